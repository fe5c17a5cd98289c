/**
 * Abort and retry. An abort moves all traffic back to stable in the reconcile that decides it and starts no pod
 * (stable never shrank); the canary's pods stay for abortScaleDownDelaySeconds, then scale to 0. With
 * dynamicStableScale stable did shrink: it grows back first, and traffic returns as its pods become ready (as long
 * as a stable it shrank is short of ready pods, even once the option is removed: dynamicStable.ts boundsHandBack). Every
 * flag the rollout touched is put back. An abort works whenever a stable revision exists, even when the spec has become
 * invalid (a template deleted, the Deployment deleted, the route edited): nothing a spec error blocks may stand
 * between a user's abort and the traffic move.
 */
import { formatDuration } from '../api/duration.ts';
import type { RolloutStatus } from '../api/types.ts';
import type { PlanBuilder } from './builder.ts';
import { planFlagRestores } from './flags.ts';
import { desiredReplicas, readyOf, setTraffic, switchesByService } from './replicas.ts';
import {
  boundsHandBack,
  handBackWait,
  handBackWeight,
  scalesStableDynamically,
  weightReadBack,
} from './dynamicStable.ts';

/** Why a canary is aborted, recorded in status.abortCause (the outcome metrics count each cause). */
export type AbortCause = NonNullable<RolloutStatus['abortCause']>;

export function abort(b: PlanBuilder, reason: string, cause: AbortCause): void {
  recordAbort(b, reason, cause);
  planAborted(b);
  // Said once the plan is known: with stable short of ready pods, part of the traffic stays on the canary for now.
  const left = b.canaryWeight ?? 0;
  const stable = b.status.stableRevision;
  const where =
    left > 0
      ? `traffic goes back to stable ${stable} as its pods become ready (${left}% stays on the canary for now)`
      : `all traffic is back on stable ${stable}`;
  b.event('Warning', 'Aborted', `${reason}; ${where}`);
}

function recordAbort(b: PlanBuilder, reason: string, cause: AbortCause): void {
  b.status.abort = true;
  b.status.abortCause = cause;
  b.status.abortedAt = b.now;
  b.degraded = { reason: 'RolloutAborted', message: reason };
  // An abort proves the canary is not good now, whatever it was before: a rollback within spec.rollbackWindow that
  // is aborted must not skip the steps again the next time the template goes back to it.
  const known = b.status.previousStableRevisions;
  const canary = b.status.canaryRevision;
  if (known?.includes(canary ?? '') === true) {
    const kept = known.filter((r) => r !== canary);
    if (kept.length > 0) b.status.previousStableRevisions = kept;
    else delete b.status.previousStableRevisions;
  }
}

function keepAbortReason(b: PlanBuilder): void {
  if (b.degraded !== undefined) return;
  const before = b.conditionOf('Progressing');
  const kept = before?.reason === 'RolloutAborted' || before?.reason === 'AbortStalled';
  b.degraded = { reason: 'RolloutAborted', message: kept ? before.message : 'aborted' };
}

/**
 * An abort that waits for stable's pods has the bound of a step that waits on the cluster: progressDeadlineSeconds,
 * from the abort. Past it the rollout says so (Progressing reason AbortStalled, a Warning event once); it goes on
 * waiting, since it never promotes and never moves traffic to pods that are not ready: a person has to find out
 * why stable's pods do not become ready.
 */
function boundHandBack(b: PlanBuilder): void {
  const deadlineMs = (b.world.rollout.spec.progressDeadlineSeconds ?? 600) * 1000;
  const left = Date.parse(b.status.abortedAt ?? b.now) + deadlineMs - b.world.now.getTime();
  if (left > 0) {
    b.requeueAfter(left);
    return;
  }
  const stable = b.status.stableRevision;
  const message = `the abort has waited ${formatDuration(deadlineMs)} (progressDeadlineSeconds) for the pods of stable ${stable} to become ready; traffic stays where ready pods carry it: check why they do not start`;
  if (b.conditionOf('Progressing')?.reason !== 'AbortStalled') b.event('Warning', 'AbortStalled', message);
  b.degraded = { reason: 'AbortStalled', message: b.degraded?.message ?? 'aborted' };
  b.messageSuffix += ` (stalled: ${formatDuration(deadlineMs)} without them)`;
}

export function planAborted(b: PlanBuilder): void {
  const { status, world } = b;
  const stable = status.stableRevision!;
  const canary = status.canaryRevision!;
  keepAbortReason(b);
  planFlagRestores(b, { abort: true });
  if (world.deployment === undefined) return;

  const left = scaleDownLeftMs(b);
  const canaryNow = world.replicaSets.find((rs) => rs.revision === canary)?.replicas ?? 0;
  b.replicaSets = [{ revision: stable, replicas: desiredReplicas(b) }];
  const stableNow = world.replicaSets.find((rs) => rs.revision === stable)?.replicas ?? 0;
  if (readyOf(b, stable) === 0 && readyOf(b, canary) > 0) {
    // Stable has no ready pod: moving the traffic now would send every request to nothing. The canary keeps its
    // pods and its share until stable's pods are ready. Either Sluice is starting them (stable was shrunk, by
    // dynamicStableScale or by hand, and grows back in this plan), or they exist and do not become ready.
    b.replicaSets.push({ revision: canary, replicas: canaryNow });
    const weight = weightReadBack(b);
    setTraffic(b, b.world.traffic === undefined ? (b.status.weights?.canary ?? 0) : weight, { stable, canary });
    b.messageSuffix =
      stableNow > 0 && stableNow >= desiredReplicas(b)
        ? `; stable ${stable} has no ready pod, so traffic stays on the canary until it has (restore its pods)`
        : handBackWait(b, weight) || `; stable ${stable} has no ready pod yet: its pods are starting`;
    if (weight > 0) boundHandBack(b);
    return;
  }
  // Stable short of ready pods behind a router (dynamicStableScale shrank it, even if the option is gone now):
  // stable grows back first, and each weight leaves it no more than its ready pods carry; the canary keeps its pods
  // while it has a share (as read back), whatever abortScaleDownDelaySeconds says.
  const weight = boundsHandBack(b) ? handBackWeight(b) : 0;
  const shared = weight > 0 || (scalesStableDynamically(b) && weightReadBack(b) > 0);
  if ((left > 0 || shared) && canaryNow > 0) {
    b.replicaSets.push({ revision: canary, replicas: canaryNow });
    if (left > 0) b.requeueAfter(left);
  }
  setTraffic(b, weight, { stable, canary });
  b.messageSuffix += handBackWait(b, weight); // after the flags still to restore, if any
  if (weight > 0) boundHandBack(b);
}

function scaleDownLeftMs(b: PlanBuilder): number {
  const { canary, blueGreen } = b.world.rollout.spec.strategy;
  const delayMs = ((blueGreen ?? canary)?.abortScaleDownDelaySeconds ?? 30) * 1000;
  return Date.parse(b.status.abortedAt ?? b.now) + delayMs - b.world.now.getTime();
}

/** Whether an abort is asked for or in force on a canary in flight over a known stable revision. */
export function abortApplies(b: PlanBuilder): boolean {
  const { status } = b;
  const inFlight =
    status.stableRevision !== undefined &&
    status.canaryRevision !== undefined &&
    status.canaryRevision !== status.stableRevision;
  return inFlight && (status.abort === true || b.action === 'abort');
}

/**
 * The abort of a rollout whose spec cannot be carried out. Only what the abort needs is trusted: the revisions in
 * status, the ReplicaSets that exist, and the router's reading when it has one. Stable keeps the pods it has now
 * (the Deployment may be gone, so its replica count is not known); traffic goes to 0 on the canary where the router
 * can be written; where it cannot (the route lost a backend), the canary is scaled to 0 at once, since taking its
 * pods away is then the only way to take requests off it.
 */
export function abortDespiteInvalidSpec(b: PlanBuilder, specMessage: string): void {
  const { status, world } = b;
  if (b.action === 'abort') b.actedOn('abort');
  if (status.abort !== true) {
    const reason = `aborted by a user request while the spec is invalid (${specMessage})`;
    recordAbort(b, reason, 'User');
    b.event('Warning', 'Aborted', `${reason}; traffic goes back to stable ${status.stableRevision}`);
  }
  keepAbortReason(b);
  planFlagRestores(b, { abort: true });
  const stable = status.stableRevision!;
  const canary = status.canaryRevision!;
  const stableNow = world.replicaSets.find((rs) => rs.revision === stable);
  const canaryNow = world.replicaSets.find((rs) => rs.revision === canary)?.replicas ?? 0;
  const writable = world.traffic?.kind === 'weights' || (world.traffic?.kind === 'invalid' && world.traffic.abortable);
  const routerWritable = world.traffic === undefined || writable === true;
  // Every other Sluice ReplicaSet keeps its size: an absent entry would mean "scale to 0".
  b.replicaSets = world.replicaSets
    .filter((rs) => rs.revision !== canary)
    .map((rs) => ({ revision: rs.revision, replicas: rs.replicas }));
  const left = scaleDownLeftMs(b);
  // dynamicStableScale (or what it left, the option removed since): stable shrank for the canary's share; it grows
  // back to the full size status last recorded (the Deployment may be gone), and a writable router hands the share
  // back only as stable's pods become ready.
  const full = Math.max(stableNow?.replicas ?? 0, desiredReplicas(b) || (b.previous.replicas ?? 0));
  const dynamic = stableNow !== undefined && boundsHandBack(b, full);
  if (dynamic) {
    b.replicaSets = b.replicaSets.map((rs) => (rs.revision === stable ? { revision: stable, replicas: full } : rs));
  }
  const weight = dynamic && routerWritable ? handBackWeight(b, full) : 0;
  const shared = dynamic && routerWritable && (weight > 0 || weightReadBack(b) > 0);
  // Every request goes to the canary (a blue-green switch through the router): with the router unwritable, scaling
  // it away would take the whole service down, so it keeps its pods until the router object is fixed.
  const allOnCanary = !routerWritable && (b.previous.weights?.canary ?? 0) >= 100;
  if ((routerWritable && (left > 0 || shared) && canaryNow > 0) || allOnCanary) {
    b.replicaSets.push({ revision: canary, replicas: canaryNow });
    if (!allOnCanary && left > 0) b.requeueAfter(left);
  }
  if (stableNow === undefined) return; // a flag-only rollout, or no stable pods: there is no traffic to move
  // Blue-green without a router switches back with its active Service, which an invalid spec does not stop.
  if (writable === true || switchesByService(b)) {
    b.services = { stable, canary };
    b.canaryWeight = weight;
    b.routes = [];
  }
  if (allOnCanary) {
    b.messageSuffix = `; the traffic router cannot be written and sends every request to ${canary}, so its pods stay until the router object is fixed`;
    return; // status keeps the weights the router still has
  }
  status.weights = { canary: weight, stable: 100 - weight };
  b.messageSuffix += routerWritable
    ? handBackWait(b, weight, full)
    : '; the traffic router cannot be written, so the canary was scaled to 0 at once';
}

/** A retry runs every step: a rollback within the window that was aborted is no longer trusted to skip them. */
export function retry(b: PlanBuilder): void {
  b.status.abort = false;
  delete b.status.rollbackWithinWindow;
  delete b.status.abortedAt;
  delete b.status.abortCause;
  delete b.status.analysis;
  b.enterStep(0);
  b.event('Normal', 'Retried', `canary ${b.status.canaryRevision} starts again from the first step`);
}
