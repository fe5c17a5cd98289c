/**
 * How many pods each revision runs. Stable keeps its full size while a canary is in flight, whatever the router:
 * an abort then only moves traffic and never has to start a pod (unless the spec trades that for fewer pods with
 * dynamicStableScale: dynamicStable.ts). The canary runs ceil(N × weight%) pods, at
 * least one once it gets any traffic. With the replica-ratio router the traffic share therefore follows the pod
 * ratio canary / (stable + canary), a little under the weight; a traffic router gets the exact weight.
 */
import { canaryWeightAt, type ResolvedStep } from '../api/steps.ts';
import type { ManagedRoute } from '../routers/managedRoutes.ts';
import type { PlanBuilder } from './builder.ts';
import { rolloutLabel } from '../workload/names.ts';

/** `routed`: a managed route sends (or copies) requests to the canary, which then needs a pod whatever its weight. */
export function canaryReplicas(desired: number, weight: number, routed = false): number {
  if (desired <= 0) return 0;
  if (weight <= 0) return routed ? 1 : 0;
  return Math.min(desired, Math.max(1, Math.ceil((desired * weight) / 100)));
}

/**
 * The canary's pods while step `index` runs. Canary: its weight's share (full size once every step is done).
 * Blue-green: previewReplicaCount until the switch step, then full size (the switch needs every pod ready first).
 */
export function canaryPodsAt(b: PlanBuilder, steps: readonly ResolvedStep[], index: number, routed = false): number {
  const n = desiredReplicas(b);
  if (index >= steps.length) return n;
  const fullAt = fullSizeFrom(steps);
  if (fullAt !== undefined) {
    const preview = steps.find((s) => s.kind === 'preview');
    const count = preview?.kind === 'preview' && preview.replicas !== undefined ? preview.replicas : n;
    return index >= fullAt ? n : Math.min(count, n);
  }
  return canaryReplicas(n, canaryWeightAt(steps, index), routed);
}

/**
 * Blue-green's new revision runs at full size from the first flag set before the switch (or the switch itself):
 * those flags go with the switch, so they wait until nothing but the switch's read-back stands between them and it.
 * Undefined for a canary.
 */
export function fullSizeFrom(steps: readonly ResolvedStep[]): number | undefined {
  const switchAt = steps.findIndex((s) => s.kind === 'switch');
  if (switchAt < 0) return undefined;
  const firstFlag = steps.findIndex((s, i) => s.kind === 'setFlag' && i < switchAt);
  return firstFlag >= 0 && steps.slice(firstFlag, switchAt).every((s) => s.kind === 'setFlag') ? firstFlag : switchAt;
}

/** Blue-green switches with its active Service when it has no traffic router, and with the router when it has one. */
export function switchesByService(b: PlanBuilder): boolean {
  return b.world.rollout.spec.strategy.blueGreen !== undefined && b.world.traffic === undefined;
}

/** The canary's share of pods under the replica-ratio router, in whole percent (what status reports as its weight). */
export function podShare(stable: number, canary: number): number {
  const total = stable + canary;
  return total === 0 ? 0 : Math.round((canary * 100) / total);
}

/** The user's replica count: the Deployment's own while Sluice has not taken it over, then the recorded one. */
export function desiredReplicas(b: PlanBuilder): number {
  const d = b.world.deployment;
  if (d === undefined) return 0;
  const set = b.world.rollout.spec.replicas;
  if (set !== undefined) return set; // kubectl scale, an autoscaler, or the user
  return d.replicas > 0 ? d.replicas : (d.recordedReplicas ?? 1);
}

/**
 * A revision's ready pods, never more than its ReplicaSet asks for: status.readyReplicas lags a scale-down (the
 * pods being removed are still counted until the ReplicaSet controller recounts), and a hand-back that trusted it
 * would give a shrunk stable traffic for pods that are terminating.
 */
export function readyOf(b: PlanBuilder, revision: string | undefined): number {
  const rs = b.world.replicaSets.find((r) => r.revision === revision);
  return rs === undefined ? 0 : Math.min(rs.readyReplicas, rs.replicas);
}

/** Sets the weight and the managed routes (none unless given: promotion, abort and a steady rollout have none). */
export function setTraffic(
  b: PlanBuilder,
  canaryWeight: number,
  services: { stable: string; canary: string },
  routes: ManagedRoute[] = [],
): void {
  if (b.world.deployment === undefined) return; // a flag-only rollout moves no traffic
  b.services = services;
  b.canaryWeight = canaryWeight;
  b.routes = routes;
  if (switchesByService(b)) {
    // Blue-green without a router: the active Service is the switch, all or nothing.
    const switched = canaryWeight >= 100 && services.canary !== services.stable;
    if (switched) b.services = { stable: services.canary, canary: services.canary };
    b.status.weights = switched ? { canary: 100, stable: 0 } : { canary: 0, stable: 100 };
  } else if (b.world.traffic === undefined) {
    // Replica ratio: the canary's share is its share of the pods.
    const canary = b.replicaSets.find((rs) => rs.revision === services.canary && services.canary !== services.stable);
    const share = podShare(desiredReplicas(b), Math.min(canary?.replicas ?? 0, readyOf(b, services.canary)));
    b.status.weights = { canary: share, stable: 100 - share };
  } else {
    b.status.weights = { canary: canaryWeight, stable: 100 - canaryWeight };
  }
}

/**
 * What the scale subresource reads: the full size, and the selector of the pods of every revision (an autoscaler
 * averages over them). None for a flag-only Rollout or one whose Deployment is missing.
 */
export function recordScale(b: PlanBuilder): void {
  if (b.world.deployment === undefined) {
    delete b.status.replicas;
    delete b.status.selector;
    return;
  }
  b.status.replicas = desiredReplicas(b);
  b.status.selector = `${rolloutLabel}=${b.world.rollout.metadata.name}`;
}
