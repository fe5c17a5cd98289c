/**
 * Object keys: the only thing an informer hands to the work queue. `namespace/name` for namespaced objects and
 * `name` for cluster-scoped ones, the convention every Kubernetes controller shares, so keys read the same in logs,
 * metrics and `kubectl get -n namespace name`.
 */

export interface ObjectName {
  /** Undefined for a cluster-scoped object. */
  namespace: string | undefined;
  name: string;
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace === undefined || namespace === '' ? name : `${namespace}/${name}`;
}

/** The key of an object as the API server returns it; throws when it has no name (a caller bug, not bad data). */
export function keyOf(obj: { metadata?: { name?: string; namespace?: string } }): string {
  const name = obj.metadata?.name;
  if (name === undefined || name === '') throw new Error('a Kubernetes object without metadata.name has no key');
  return objectKey(obj.metadata?.namespace, name);
}

/** Inverse of objectKey. Names and namespaces cannot contain '/', so the first one separates them. */
export function parseObjectKey(key: string): ObjectName {
  const slash = key.indexOf('/');
  if (slash < 0) return { namespace: undefined, name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
