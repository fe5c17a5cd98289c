/**
 * One copy of each JSON value that repeats whole across cached objects: a Deployment's pod spec and the pod spec of
 * the ReplicaSet built from it are equal, and each is a few hundred small objects once parsed. A value is known by
 * the SHA-256 of its JSON (the API server writes an object's fields in one order, so equal values serialize
 * equally); a value seen before is replaced by the copy already cached.
 *
 * The table holds its values weakly: once no cached object holds a value any more, it is collected, and its entry
 * goes with it. It is also bounded, like InternTable, so that many values alive at once cannot grow it without
 * limit. A shared value is shared by several cached objects, of any namespace: its holder freezes it (deepFreeze)
 * once it has finished with it, so that a reader that forgets to copy it before a change fails there, instead of
 * changing another team's cached objects.
 */
import { createHash } from 'node:crypto';

export class SharedValues {
  readonly #values = new Map<string, WeakRef<object>>();
  readonly #maxEntries: number;
  readonly #forget = new FinalizationRegistry<string>((hash) => {
    if (this.#values.get(hash)?.deref() === undefined) this.#values.delete(hash);
  });

  constructor(maxEntries = 50_000) {
    this.#maxEntries = maxEntries;
  }

  /** Entries held now (some may be values collected a moment ago). */
  get size(): number {
    return this.#values.size;
  }

  /** The cached copy of a value equal to `value`, or `value` itself, kept for the next one. */
  share<T extends object>(value: T): T {
    const hash = createHash('sha256').update(JSON.stringify(value)).digest('base64');
    const known = this.#values.get(hash)?.deref();
    if (known !== undefined) return known as T;
    if (this.#values.size >= this.#maxEntries) this.#values.clear();
    this.#values.set(hash, new WeakRef(value));
    this.#forget.register(value, hash);
    return value;
  }
}

/**
 * Freezes a JSON value and everything in it, walked with a stack of its own (no recursion, whatever its depth).
 * Values already frozen are not walked again.
 */
export function deepFreeze<T>(root: T): T {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const node = pending.pop();
    if (node === null || typeof node !== 'object' || Object.isFrozen(node)) continue;
    Object.freeze(node);
    for (const value of Object.values(node)) if (value !== null && typeof value === 'object') pending.push(value);
  }
  return root;
}
