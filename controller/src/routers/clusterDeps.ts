/**
 * The routers' way to the cluster (RouterDeps) as the controller gives it: the informer caches of their kinds,
 * and writes to those kinds at the version the API server serves, each remembered until its watch event is back.
 *
 * Why remember: a router writes, then the Rollout's own status write (or any event) wakes the Rollout again before
 * the router object's watch event has arrived. That reconcile would read the object as it was before the write and
 * patch again from stale indexes: the JSON Patch test operations make that patch fail (never wrong), but it is a
 * WriteFailed condition and a warning for nothing. `behind()` tells the reconcile to let the write's event arrive
 * first (it wakes the Rollout when it does); an abort does not wait.
 */
import type { KubeConfig } from '../kube/clientNode.ts';
import { PatchStrategy, type CustomObjectsClient } from '../kube/resourceClients.ts';
import { isNotFound } from '../kube/apiErrors.ts';
import { KubeJsonApi } from '../kube/kubeJsonApi.ts';
import type { KubeObject } from '../kube/objectStore.ts';
import { collectionPath, type ResourceRef } from '../kube/resourceRef.ts';
import type { ObjectCache } from '../reconcile/caches.ts';
import { WriteExpectations } from '../reconcile/expectations.ts';
import type { RouterDeps } from './router.ts';

/** The key a router object's writes are remembered under. */
export const routerObjectKey = (kind: string, namespace: string | undefined, name: string) =>
  `${kind}/${namespace ?? ''}/${name}`;

/** Writes are remembered this long at most: a relist can skip the version a write made. */
const writeMemoryMs = 5_000;

export function routerDeps(
  custom: CustomObjectsClient,
  routed: ReadonlyMap<string, ObjectCache<KubeObject>>,
  served: ReadonlyMap<string, ResourceRef>,
  writes = new WriteExpectations({ ttlMs: writeMemoryMs }),
): RouterDeps & { writes: WriteExpectations } {
  const target = (kind: string, namespace: string) => {
    const ref = served.get(kind);
    if (ref === undefined) throw new Error(`the ${kind} kind is not served by this cluster`);
    return { group: ref.group, version: ref.version, plural: ref.plural, namespace };
  };
  const remember = (kind: string, ns: string, name: string, answer: unknown) => {
    const rv = (answer as KubeObject | undefined)?.metadata?.resourceVersion;
    if (typeof rv === 'string' && rv !== '') writes.wrote(routerObjectKey(kind, ns, name), rv);
  };
  return {
    writes,
    served: (kind) => served.get(kind),
    cached: (kind, ns, name) => routed.get(kind)?.get(ns, name),
    behind: (kind, ns, name) => writes.behind(routerObjectKey(kind, ns, name)),
    jsonPatch: async (kind, ns, name, ops) => {
      const answer: unknown = await custom.patchNamespacedCustomObject(
        { ...target(kind, ns), name, body: ops },
        PatchStrategy.JsonPatch,
      );
      remember(kind, ns, name, answer);
    },
    create: async (kind, ns, body) => {
      const answer: unknown = await custom.createNamespacedCustomObject({ ...target(kind, ns), body });
      remember(kind, ns, body.metadata?.name ?? '', answer);
    },
  };
}

/**
 * The first of `versions` of a kind that the API server serves (its CRD may not be installed, or serve other
 * versions). Asked in the watched namespace when there is one: a controller confined to a namespace may have no
 * right to list the kind across the cluster.
 */
export async function firstServed(
  kc: KubeConfig,
  resource: ResourceRef,
  versions: readonly string[],
  namespace: string | undefined,
): Promise<ResourceRef | undefined> {
  const api = kc.makeApiClient(KubeJsonApi);
  for (const version of versions) {
    const ref = { ...resource, version };
    try {
      await api.list(collectionPath(ref, namespace), { limit: 1 });
      return ref;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return undefined;
}
