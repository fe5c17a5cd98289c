/**
 * spec.strategy.canary.dynamicStableScale: behind a traffic router, stable shrinks as the canary grows, as in Argo
 * Rollouts. Stable runs ceil(N × (100 - w)%) pods, where w is the smaller of the canary weight the router reads back
 * and the one this plan writes: stable shrinks only once traffic has left it (read back), and grows before a weight
 * that hands traffic back to it is written. Stable's share therefore never exceeds what its ready pods carry.
 *
 * The price is the instant abort: with fewer stable pods, traffic can go back to stable only as fast as its pods
 * become ready. An abort (and a canary replaced by a new template or reverted) scales stable back to full size
 * first and moves the canary's share back step by step, each weight within what stable's ready pods carry; the
 * canary keeps its pods while it has a share.
 */
import type { PlanBuilder } from './builder.ts';
import { canaryReplicas, desiredReplicas, readyOf, setTraffic } from './replicas.ts';

/** Whether stable scales with the weight: asked for, and a traffic router splits the requests. */
export function scalesStableDynamically(b: PlanBuilder): boolean {
  return b.world.rollout.spec.strategy.canary?.dynamicStableScale === true && b.world.traffic !== undefined;
}

/** The canary weight the router reads back (status's when it cannot be read). */
export function weightReadBack(b: PlanBuilder): number {
  const traffic = b.world.traffic;
  return traffic?.kind === 'weights' ? traffic.canary : (b.status.weights?.canary ?? 0);
}

/** Stable's pods for a canary weight: the stable share's part of the full size, rounded up. */
export function stablePodsFor(full: number, canaryWeight: number): number {
  if (full <= 0) return 0;
  const share = 100 - Math.min(100, Math.max(0, canaryWeight));
  return Math.min(full, Math.ceil((full * share) / 100));
}

/** The largest share of traffic, in whole percent, that `ready` pods of a revision carry at full size `full`. */
export function stableCarries(full: number, ready: number): number {
  if (full <= 0) return 100;
  return Math.min(100, Math.floor((ready * 100) / full));
}

/**
 * Whether the hand-back to stable is bounded by its ready pods: behind a traffic router, with the option on, or
 * while a stable that the option shrank is still short of ready pods (status.stableShrunk) whatever the option says
 * now: the option removed mid-abort (or mid-canary) leaves stable with the pods it shrank to, and writing 0% then
 * would hand every request to them. A stable Sluice never shrank keeps the instant abort, one pod short or not:
 * the canary is what the abort is about, and a share left on it until the last stable pod recovers (maybe never)
 * hurts more users than one pod less on stable does.
 */
export function boundsHandBack(b: PlanBuilder, full = desiredReplicas(b)): boolean {
  if (b.world.traffic === undefined) return false;
  if (scalesStableDynamically(b)) return true;
  return b.previous.stableShrunk === true && readyOf(b, b.status.stableRevision) < full;
}

/**
 * Records whether stable is (still) shrunk, for boundsHandBack: set when this plan sizes it below full for
 * dynamicStableScale, cleared once it is planned at full size with all its pods ready.
 */
export function recordStableShrunk(b: PlanBuilder): void {
  const stable = b.status.stableRevision;
  if (stable === undefined) return;
  const full = desiredReplicas(b);
  const planned = b.replicaSets.find((r) => r.revision === stable)?.replicas;
  if (scalesStableDynamically(b) && planned !== undefined && planned < full) b.status.stableShrunk = true;
  else if (readyOf(b, stable) >= full) delete b.status.stableShrunk;
}

/**
 * The canary weight of a hand-back to stable: the lowest that leaves stable no more than its ready pods carry, and
 * never above what the router reads back now (traffic only ever moves toward stable here). When the canary's ready
 * pods cannot carry that share either (the usual reason to abort is a canary that crashes), neither side carries
 * its share and each gets traffic in proportion to its ready pods: a canary with no ready pod gets none, at once.
 */
export function handBackWeight(b: PlanBuilder, full = desiredReplicas(b)): number {
  const stableReady = readyOf(b, b.status.stableRevision);
  const canaryReady = readyOf(b, b.status.canaryRevision);
  const now = weightReadBack(b);
  let least = 100 - stableCarries(full, stableReady);
  if (least > stableCarries(full, canaryReady)) {
    const ready = stableReady + canaryReady;
    least = ready === 0 ? now : Math.round((canaryReady * 100) / ready);
  }
  return Math.min(now, Math.max(0, least));
}

/**
 * Sizes both revisions for a canary step: the canary's weight may not drop below what stable's ready pods leave it
 * (stable grows first), stable is sized for the largest of its shares (read back, written, the step's), and the
 * canary keeps the pods for the share it still has. Returns the weight to write.
 */
export function sizeForStep(b: PlanBuilder, weight: number, canaryPods: number): number {
  const n = desiredReplicas(b);
  const now = weightReadBack(b);
  const planned = Math.max(weight, handBackWeight(b));
  b.replicaSets = [
    // For the step's weight too: a share handed back waits for these pods.
    { revision: b.status.stableRevision!, replicas: stablePodsFor(n, Math.min(weight, planned, now)) },
    { revision: b.status.canaryRevision!, replicas: Math.max(canaryPods, canaryReplicas(n, Math.max(planned, now))) },
  ];
  return planned;
}

/** The revision the router's stable backend reaches, as read back (Istio subsets say so themselves). */
export function stableBackendReads(b: PlanBuilder): string | undefined {
  const { traffic, services } = b.world;
  if (traffic?.kind === 'weights' && traffic.revisions !== undefined) return traffic.revisions.stable;
  return services?.stable;
}

/** Why the traffic still on the canary waits: the stable pods it needs, for the status message. */
export function handBackWait(b: PlanBuilder, weight: number, n = desiredReplicas(b)): string {
  const ready = readyOf(b, b.status.stableRevision);
  if (weight <= 0) return '';
  return `; waiting for ${Math.max(1, n - ready)} more stable pods (${ready}/${n} ready) before moving the remaining ${weight}% of traffic off the canary`;
}

/**
 * A canary replaced while it still has a share (a newer template, or the template set back to stable) with stable
 * shrunk: the superseded canary keeps its pods and its Service, stable grows to full size, and its share
 * comes back as stable's pods become ready. The new canary starts once the router reads back 0%: until then the
 * canary Service keeps selecting the pods that have the share.
 */
export function mustHandBackFirst(b: PlanBuilder, desired: string): boolean {
  const { status, world } = b;
  if (world.deployment === undefined || !boundsHandBack(b)) return false;
  const canary = status.canaryRevision;
  if (canary === undefined || canary === status.stableRevision || canary === desired) return false;
  // Not only while stable is short: stable just fully ready with the route still at 25% is a hand-back too (0% is
  // written now), or the canary Service would select the new revision's unready pods while the 25% still stands.
  return weightReadBack(b) > 0;
}

export function handBackFirst(b: PlanBuilder, desired: string): void {
  const { status, world } = b;
  const stable = status.stableRevision!;
  const canary = status.canaryRevision!;
  const canaryNow = world.replicaSets.find((rs) => rs.revision === canary)?.replicas ?? 0;
  const weight = handBackWeight(b);
  b.replicaSets = [
    { revision: stable, replicas: desiredReplicas(b) },
    { revision: canary, replicas: canaryNow },
  ];
  setTraffic(b, weight, { stable, canary });
  const why = desired === stable ? `the pod template is back at stable ${stable}` : `revision ${desired} replaces it`;
  ignoreActionDuringHandBack(b, canary, why);
  status.message = `canary ${canary} is being replaced (${why})${handBackWait(b, weight) || '; waiting for the traffic router to confirm 0% on the canary'}`;
}

/**
 * A request typed while the superseded canary hands its share back was meant for it (status still shows it), not
 * for the revision that starts after the hand-back: it is recorded as handled and ignored now, with the reason,
 * rather than left pending and applied to a revision nobody has looked at (a promote-full would make it stable with
 * no step and no analysis). The hand-back already moves the traffic to stable, which is all an abort would do.
 */
function ignoreActionDuringHandBack(b: PlanBuilder, canary: string, why: string): void {
  const action = b.action;
  if (typeof action !== 'string') return;
  b.actedOn(action);
  b.event(
    'Warning',
    'ActionIgnored',
    `${action} ignored: it was meant for canary ${canary}, which is being replaced (${why}) and hands its traffic back to stable ${b.status.stableRevision}; ask again once the next revision has started`,
  );
}
