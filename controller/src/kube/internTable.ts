/**
 * One copy of each string that repeats across cached objects. A thousand ReplicaSets of one namespace carry a
 * thousand copies of the namespace, of each label key and value, of the image and of every other string of their
 * pod templates: JSON.parse gives each object its own copies (V8 shares property names, and string values of at
 * most 10 characters, not longer values). Interned as an object enters the cache, they are kept once.
 *
 * The table is bounded in entries and in characters, so that a tenant writing objects with unique label values,
 * or long unique annotations, cannot grow it without limit nor make it hold megabytes of strings no cached object
 * holds any more: when it is full it starts again empty. The strings already shared stay shared (the cached objects
 * hold them, not the table); only later copies of them are not found again until they come back into the table.
 * Long strings (a JSON blob in an annotation, a script in a command) are left alone: they rarely repeat, and each
 * would take a slot from the short ones that do.
 */

export interface InternTableOptions {
  /** Strings kept at most before the table starts again empty. Default 50,000. */
  maxEntries?: number;
  /**
   * Characters kept at most (all strings together) before the table starts again empty. Default 1,000,000: at most
   * about 2 MiB of strings, two-byte ones included, whatever a tenant writes.
   */
  maxChars?: number;
  /** Longer strings are not interned. Default 256. */
  maxLength?: number;
}

/**
 * Fields whose values are unique to each object or each version of it: interning them would only fill the table,
 * and empty it, for nothing.
 */
const uniqueFields = new Set(['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp']);

export class InternTable {
  readonly #strings = new Map<string, string>();
  readonly #maxEntries: number;
  readonly #maxLength: number;
  readonly #maxChars: number;
  #chars = 0;

  constructor(options: InternTableOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 50_000;
    this.#maxLength = options.maxLength ?? 256;
    this.#maxChars = options.maxChars ?? 1_000_000;
  }

  /** How many strings the table holds now. */
  get size(): number {
    return this.#strings.size;
  }

  /** The table's copy of `value` (equal to it), kept if it is short enough. */
  intern(value: string): string {
    if (value.length > this.#maxLength) return value;
    const known = this.#strings.get(value);
    if (known !== undefined) return known;
    if (this.#strings.size >= this.#maxEntries || this.#chars + value.length > this.#maxChars) {
      this.#strings.clear();
      this.#chars = 0;
    }
    this.#strings.set(value, value);
    this.#chars += value.length;
    return value;
  }

  /**
   * Replaces every string value in a JSON object (and its keys' values at any depth) by the table's copy, in place,
   * and returns the object. Only for an object nobody else holds yet (the informer's freshly parsed JSON): the values
   * it replaces are equal, so no reader could tell, but a frozen object is left as it is. Walked with a stack of its
   * own, not by recursion, so that a deeply nested custom object cannot overflow the call stack.
   */
  internValues<T>(root: T): T {
    const pending: unknown[] = [root];
    while (pending.length > 0) {
      const node = pending.pop();
      if (node === null || typeof node !== 'object' || Object.isFrozen(node)) continue;
      if (Array.isArray(node)) {
        for (let i = 0; i < node.length; i++) {
          const item: unknown = node[i];
          if (typeof item === 'string') node[i] = this.intern(item);
          else if (item !== null && typeof item === 'object') pending.push(item);
        }
        continue;
      }
      const record = node as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const value = record[key];
        if (typeof value === 'string') {
          if (!uniqueFields.has(key)) record[key] = this.intern(value);
        } else if (value !== null && typeof value === 'object') pending.push(value);
      }
    }
    return root;
  }
}
