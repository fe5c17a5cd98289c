/**
 * The traffic router interface. A router is one module in routers/<name>/ (see registry.ts): what it watches, the
 * RBAC rules it needs, its part of the Rollout schema, and a TrafficRouter per Rollout that reads the split from the
 * informer caches (no API call) and writes only what Sluice owns in the user's objects.
 */
import type { Rollout } from '../api/types.ts';
import type { KubeObject } from '../kube/objectStore.ts';
import type { ResourceRef } from '../kube/resourceRef.ts';
import type { TrafficObservation } from '../planner/world.ts';
import type { ManagedRoute } from './managedRoutes.ts';
import type { routerSchemas } from './schemas.ts';

export type { HeaderMatch, ManagedRoute } from './managedRoutes.ts';

/** What the planner wants the router to carry out: the weights, which revision is which, and the managed routes. */
export interface TrafficIntent {
  canaryWeight: number;
  /** The revisions behind stable and canary (subset-based routers point their subsets at these pods). */
  revisions: { stable: string; canary: string };
  /** The managed routes in force, in the order of spec.trafficRouting.managedRoutes (their precedence). */
  routes: readonly ManagedRoute[];
}

export interface TrafficRouter {
  readonly kind: string;
  /** The split and the managed routes as the cluster has them now; undefined when there is no router object. */
  observe(): TrafficObservation | undefined;
  /** True when the cluster differs from the intent; a steady rollout then makes no write. */
  differs(intent: TrafficIntent): boolean;
  /** Writes the intent; callers check differs() first. Throws when the user's object cannot take it. */
  apply(intent: TrafficIntent): Promise<void>;
}

/**
 * The router's only way to the cluster: reads from the informer caches of the kinds it declared in `watches`, and
 * writes to those kinds. `kind` is the watch's kind ("HTTPRoute"); the version is the one the API server serves.
 */
export interface RouterDeps {
  /** The resource as served (the first of the watch's versions the API server serves), or undefined if none is. */
  served(kind: string): ResourceRef | undefined;
  cached(kind: string, namespace: string, name: string): KubeObject | undefined;
  /**
   * Milliseconds to wait at most until the cache shows Sluice's own last write of this object; undefined when it
   * does. The reconcile uses it; a router need not.
   */
  behind?(kind: string, namespace: string, name: string): number | undefined;
  jsonPatch(kind: string, namespace: string, name: string, ops: object[]): Promise<void>;
  create(kind: string, namespace: string, body: KubeObject): Promise<void>;
}

/** A kind a router reads. The controller runs one informer for it, shared by every Rollout that uses the router. */
export interface RouterWatch {
  /** The resource; `versions` lists the versions to try, newest first, when a project serves several (SMI). */
  resource: ResourceRef;
  versions?: readonly string[];
  /** Only objects with this label (an owned kind), to keep the cache to what the router needs. */
  labelSelector?: string;
  /** The Rollouts, among those of the object's namespace, that read this object: a change to it wakes them. */
  readers(object: KubeObject, rollouts: readonly Rollout[]): Rollout[];
}

/** Readers for a kind the Rollout names in its spec: the Rollouts whose `nameIn` is the object's name. */
export function readersNamingIt(nameIn: (rollout: Rollout) => string | undefined): RouterWatch['readers'] {
  return (object, rollouts) => rollouts.filter((r) => nameIn(r) === object.metadata?.name);
}

/** One RBAC rule and why the router needs it (the reason goes into the generated manifests as a comment). */
export interface RouterRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  why: string;
}

/** The routers' names: the fields of spec.trafficRouting that schemas.ts gives them. */
export type RouterName = keyof typeof routerSchemas;

export interface RouterModule {
  name: RouterName;
  watches: readonly RouterWatch[];
  rbac: readonly RouterRule[];
  /** The managed route kinds the router can carry; a step of another kind is InvalidSpec naming the router. */
  supports: { header: boolean; mirror: boolean };
  /**
   * What of the spec the router cannot carry out, read from the Rollout alone (InvalidSpec naming the field). Kept
   * out of observe() on purpose: with the split still read back, an abort can take the canary to 0 through it.
   */
  specError?(rollout: Rollout): { field: string; message: string } | undefined;
  /** Message for the log when none of the router's kinds is served (its CRDs are not installed). */
  notServed: string;
  create(rollout: Rollout, deps: RouterDeps): TrafficRouter;
}
