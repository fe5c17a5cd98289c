/**
 * A cluster of router objects in memory, for the routers' unit tests: the caches read what it holds, and writes
 * change it the way the API server would (JSON patches applied with their test operations, creates refused when
 * the name is taken), and every write is recorded. Beside it, the Rollout and the intents those tests route, so
 * that each test file states only what its router adds.
 */
import { applyPatch, deepClone } from 'fast-json-patch';
import type { KubeObject } from '../kube/objectStore.ts';
import type { CanaryStep, Rollout, TrafficRouting } from '../api/types.ts';
import type { ResourceRef } from '../kube/resourceRef.ts';
import type { ManagedRoute } from './managedRoutes.ts';
import type { RouterDeps, TrafficIntent } from './router.ts';

export interface FakeRouterCluster {
  deps: RouterDeps;
  /** Writes in order: [verb, kind, namespace/name, body or ops]. */
  writes: [string, string, string, unknown][];
  get(kind: string, namespace: string, name: string): KubeObject | undefined;
  put(kind: string, object: KubeObject): void;
}

export function fakeRouterCluster(served: Record<string, ResourceRef>, objects: [string, KubeObject][] = []) {
  const store = new Map<string, KubeObject>();
  const key = (kind: string, ns: string, name: string) => `${kind}/${ns}/${name}`;
  let version = 1;
  const put = (kind: string, object: KubeObject) => {
    const meta = object.metadata ?? {};
    object.metadata = { uid: `uid-${meta.name}`, ...meta, resourceVersion: String(version++) };
    store.set(key(kind, meta.namespace ?? '', meta.name ?? ''), object);
  };
  for (const [kind, object] of objects) put(kind, deepClone(object) as KubeObject);
  const writes: FakeRouterCluster['writes'] = [];
  const deps: RouterDeps = {
    served: (kind) => served[kind],
    cached: (kind, ns, name) => store.get(key(kind, ns, name)),
    jsonPatch: (kind, ns, name, ops) => {
      writes.push(['patch', kind, `${ns}/${name}`, ops]);
      const current = store.get(key(kind, ns, name));
      if (current === undefined) return Promise.reject(new Error(`${kind} ${ns}/${name} not found`));
      // Applied to a copy: a failed test operation leaves the object as it was, as the API server does.
      const next = applyPatch(deepClone(current), ops as never, true, false).newDocument as KubeObject;
      put(kind, next);
      return Promise.resolve();
    },
    create: (kind, ns, body) => {
      writes.push(['create', kind, `${ns}/${body.metadata?.name}`, body]);
      if (store.has(key(kind, ns, body.metadata?.name ?? '')))
        return Promise.reject(new Error(`${kind} ${ns}/${body.metadata?.name} already exists`));
      put(kind, deepClone({ ...body, metadata: { ...body.metadata, namespace: ns } }) as KubeObject);
      return Promise.resolve();
    },
  };
  return {
    deps,
    writes,
    get: (kind: string, ns: string, name: string) => store.get(key(kind, ns, name)),
    put,
  } satisfies FakeRouterCluster;
}

/** The ResourceRef of a namespaced router kind, as the served map of fakeRouterCluster takes it. */
export const servedRef = (group: string, version: string, kind: string, plural: string): ResourceRef => ({
  group,
  version,
  plural,
  kind,
  namespaced: true,
});

/**
 * The Rollout shop/checkout the routers' tests route: one Service port, the given trafficRouting, and canary steps
 * (a single setWeight unless given). The uid is the one an owned router object's ownerReference must name.
 */
export function routedRollout(
  trafficRouting: TrafficRouting,
  steps: CanaryStep[] = [{ setWeight: 10 }],
  { name = 'checkout', port = 80 }: { name?: string; port?: number } = {},
): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: 'shop', uid: 'rollout-uid' },
    spec: {
      workloadRef: { name },
      service: { port },
      trafficRouting,
      strategy: { canary: { steps } },
    },
  };
}

/** What the planner would ask of a router: a weight, the managed routes in force, and revisions a (stable), b (canary). */
export const intentOf = (
  canaryWeight: number,
  routes: ManagedRoute[] = [],
  revisions = { stable: 'a', canary: 'b' },
): TrafficIntent => ({ canaryWeight, revisions, routes });
