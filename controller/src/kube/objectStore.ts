/**
 * The informer's in-memory cache: objects by namespace and name, exactly as the API server sent them (plain JSON).
 * It tells its caller which keys changed, judged by metadata.resourceVersion, so that a replayed event or a relist
 * of an unchanged world does not wake the work queue.
 */
import { keyOf } from './objectKey.ts';

/** The part of every Kubernetes object the cache relies on; the rest is carried along untouched. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/** Cluster-scoped objects live under this namespace key. */
const clusterScope = '';

export class ObjectStore<T extends KubeObject> {
  readonly #byNamespace = new Map<string, Map<string, T>>();
  #size = 0;

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#byNamespace.get(namespace ?? clusterScope)?.get(name);
  }

  /** Objects of one namespace, or of all namespaces when none is given. */
  list(namespace?: string): T[] {
    if (namespace !== undefined) return [...(this.#byNamespace.get(namespace)?.values() ?? [])];
    const all: T[] = [];
    for (const objects of this.#byNamespace.values()) all.push(...objects.values());
    return all;
  }

  get size(): number {
    return this.#size;
  }

  /** Stores the object; true when it is new or differs from the stored one (another resourceVersion). */
  upsert(obj: T): boolean {
    const { namespace, name } = nameOf(obj);
    let objects = this.#byNamespace.get(namespace);
    if (objects === undefined) {
      objects = new Map();
      this.#byNamespace.set(namespace, objects);
    }
    const before = objects.get(name);
    objects.set(name, obj);
    if (before === undefined) this.#size++;
    return before === undefined || !sameVersion(before, obj);
  }

  /** Forgets the object; true when it was there. */
  remove(obj: T): boolean {
    const { namespace, name } = nameOf(obj);
    const objects = this.#byNamespace.get(namespace);
    if (objects?.delete(name) !== true) return false;
    this.#size--;
    if (objects.size === 0) this.#byNamespace.delete(namespace);
    return true;
  }

  /**
   * Makes the store hold exactly `objects` (a fresh list) and returns the objects that were added or changed (as
   * they are now) and those removed (as they were last), in that order of discovery.
   */
  replace(objects: readonly T[]): T[] {
    const changed: T[] = [];
    const seen = new Set<string>();
    for (const obj of objects) {
      seen.add(keyOf(obj));
      if (this.upsert(obj)) changed.push(obj);
    }
    for (const obj of this.list()) {
      if (!seen.has(keyOf(obj))) {
        this.remove(obj);
        changed.push(obj);
      }
    }
    return changed;
  }
}

function nameOf(obj: KubeObject): { namespace: string; name: string } {
  keyOf(obj); // throws for an object without a name
  return { namespace: obj.metadata?.namespace ?? clusterScope, name: obj.metadata?.name ?? '' };
}

/** Two copies of one object are the same version when the API server gave them the same resourceVersion. */
function sameVersion(a: KubeObject, b: KubeObject): boolean {
  const rv = a.metadata?.resourceVersion;
  return rv !== undefined && rv === b.metadata?.resourceVersion;
}
