/**
 * The traffic router interface: one implementation per way of splitting traffic, chosen by trafficRouting.
 * A router reads the current split from the informer cache (no API call) and writes only the weights of the
 * user's object, never the rest of it.
 */
import type { Rollout } from '../api/types.ts';
import type { TrafficObservation } from '../planner/world.ts';

export interface TrafficRouter {
  readonly kind: string;
  /** The split as the cluster has it now; undefined when there is no router object (replica ratio). */
  observe(): TrafficObservation | undefined;
  /** True when the cluster's split differs from `canaryWeight`% canary / the rest stable. */
  differs(canaryWeight: number): boolean;
  /** Writes the split; callers check differs() first so a steady rollout makes no write. */
  setWeight(canaryWeight: number): Promise<void>;
}

export interface RouterDeps {
  /** Reads an object of the router's kind from the informer cache. */
  cached(kind: 'HTTPRoute', namespace: string, name: string): unknown;
  /** Sends a JSON Patch to a namespaced custom object. */
  jsonPatch(
    target: { group: string; version: string; plural: string; namespace: string; name: string },
    ops: object[],
  ): Promise<void>;
}

export type RouterFactory = (rollout: Rollout, deps: RouterDeps) => TrafficRouter;
