/**
 * The informer's in-memory cache: objects by namespace and name, exactly as the API server sent them (plain JSON).
 * It tells its caller which keys changed, judged by metadata.resourceVersion, so that a replayed event or a relist
 * of an unchanged world does not wake the work queue.
 *
 * With `indexBy`, it also keeps the objects of each namespace by one value of theirs (client-go's Indexer, with one
 * index): a reconcile that wants a Rollout's ReplicaSets, or a Deployment event that wants the Rollouts running it,
 * reads a handful of names instead of filtering the whole namespace. That filter was per reconcile, so a namespace of
 * N Rollouts cost N x N; at 1,000 it was the controller's largest single cost after the garbage collector.
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
  /** namespace -> index value -> names: only when indexBy is given. */
  readonly #index = new Map<string, Map<string, Set<string>>>();
  readonly #indexBy: ((obj: T) => string | undefined) | undefined;
  #size = 0;

  /** `indexBy`: the value an object is found by in listIndexed (undefined: not in the index). */
  constructor(indexBy?: (obj: T) => string | undefined) {
    this.#indexBy = indexBy;
  }

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

  /**
   * The objects of `namespace` (of every namespace when it is undefined, as list()) whose index value (indexBy) is
   * `value`; undefined when the store keeps no index, so that a caller can tell "none" from "not indexed" and filter
   * list() instead.
   */
  listIndexed(namespace: string | undefined, value: string): T[] | undefined {
    if (this.#indexBy === undefined) return undefined;
    const found: T[] = [];
    // As list(): no namespace means every namespace (a controller watching all of them), not the cluster scope.
    for (const ns of namespace === undefined ? this.#index.keys() : [namespace]) {
      const names = this.#index.get(ns)?.get(value);
      if (names === undefined) continue;
      const objects = this.#byNamespace.get(ns);
      for (const name of names) {
        const obj = objects?.get(name);
        if (obj !== undefined) found.push(obj);
      }
    }
    return found;
  }

  #unindex(namespace: string, name: string, value: string | undefined): void {
    if (value === undefined) return;
    const values = this.#index.get(namespace);
    const names = values?.get(value);
    if (names === undefined) return;
    names.delete(name);
    if (names.size > 0) return;
    values!.delete(value);
    if (values!.size === 0) this.#index.delete(namespace);
  }

  #addToIndex(namespace: string, name: string, value: string | undefined): void {
    if (value === undefined) return;
    let values = this.#index.get(namespace);
    if (values === undefined) {
      values = new Map();
      this.#index.set(namespace, values);
    }
    let names = values.get(value);
    if (names === undefined) {
      names = new Set();
      values.set(value, names);
    }
    names.add(name);
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
    if (this.#indexBy !== undefined) {
      // Left in place when the value is the same (most updates: a status): its order among the value's objects
      // stays that of list(), and no set or map is dropped and rebuilt per event.
      const was = before === undefined ? undefined : this.#indexBy(before);
      const now = this.#indexBy(obj);
      if (was !== now) {
        this.#unindex(namespace, name, was);
        this.#addToIndex(namespace, name, now);
      }
    }
    if (before === undefined) this.#size++;
    return before === undefined || !sameVersion(before, obj);
  }

  /** Forgets the object; true when it was there. */
  remove(obj: T): boolean {
    const { namespace, name } = nameOf(obj);
    const objects = this.#byNamespace.get(namespace);
    const before = objects?.get(name);
    if (objects === undefined || before === undefined) return false;
    objects.delete(name);
    this.#unindex(namespace, name, this.#indexBy?.(before));
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
