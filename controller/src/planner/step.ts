/** One step of the canary: is it done, does it wait, or did it end the canary? */
import { canaryWeightAt, managedRoutesAt, type ResolvedStep } from '../api/steps.ts';
import { describeRoute, sameRoutes } from '../routers/managedRoutes.ts';
import { formatDuration } from '../api/duration.ts';
import type { PlanBuilder } from './builder.ts';
import { abort } from './abort.ts';
import { canaryPodsAt, canaryReplicas, desiredReplicas, fullSizeFrom, readyOf, switchesByService } from './replicas.ts';
import { planSetFlag } from './flags.ts';
import { handBackWeight, scalesStableDynamically, stablePodsFor } from './dynamicStable.ts';
import { releaseNames } from './blueGreen.ts';

export type StepOutcome = 'next' | 'wait' | 'aborted';

export function runStep(b: PlanBuilder, step: ResolvedStep, where: string): StepOutcome {
  switch (step.kind) {
    case 'setWeight':
      return setWeight(b, step.index, step.weight, where);
    case 'pause':
      return pause(b, step.durationMs, where);
    case 'analysis':
      return gate(b, step.index, where);
    case 'setFlag':
      return beforeTheSwitch(b, step.index, where) ?? planSetFlag(b, step, where);
    case 'setHeaderRoute':
    case 'setMirrorRoute':
      return setRoute(b, step.index, where);
    case 'preview':
      return preview(b, step.index, releaseNames(b).previewService, where);
    case 'switch':
      return switchActive(b, step.index, releaseNames(b).activeService, where);
  }
}

/** A blue-green flag set just before the switch waits for the new revision at full size, as the switch does. */
function beforeTheSwitch(b: PlanBuilder, index: number, where: string): StepOutcome | undefined {
  const steps = b.steps;
  const fullAt = fullSizeFrom(steps);
  if (fullAt === undefined || index < fullAt || steps[index + 1] === undefined) return undefined;
  if (steps.slice(index).every((s) => s.kind !== 'switch')) return undefined; // after the switch
  const pods = canaryPodsAt(b, steps, index);
  const ready = readyOf(b, b.status.canaryRevision);
  if (ready >= pods) return undefined;
  b.status.message = `${where}: waiting for the new revision at full size before the flag (${ready}/${pods} ready)`;
  return stalled(b, where);
}

/**
 * Blue-green's preview counts once its pods are ready and the preview Service reads back selecting them: the
 * pre-promotion analysis that follows measures the preview, so it must not start against nothing.
 */
function preview(b: PlanBuilder, index: number, service: string, where: string): StepOutcome {
  const pods = canaryPodsAt(b, b.steps, index);
  const canary = b.status.canaryRevision;
  const ready = readyOf(b, canary);
  if (ready < pods) {
    b.status.message = `${where}: waiting for preview pods (${ready}/${pods} ready)`;
    return stalled(b, where);
  }
  const selects = b.world.services?.canary;
  if (selects !== canary) {
    b.status.message = `${where}: waiting for Service ${service} to select revision ${canary} (selects ${selects ?? 'nothing'})`;
    return stalled(b, where);
  }
  return 'next';
}

/**
 * Blue-green's switch: every pod of the new revision ready, then all traffic at once. It counts once the switch
 * reads back: the router at 100% on the new revision, or, without a router, the active Service selecting it.
 */
function switchActive(b: PlanBuilder, index: number, service: string, where: string): StepOutcome {
  const outcome = setWeight(b, index, 100, where);
  if (outcome !== 'next' || !switchesByService(b)) return outcome;
  const canary = b.status.canaryRevision;
  const selects = b.world.services?.stable;
  if (selects !== canary) {
    b.status.message = `${where}: waiting for Service ${service} to select revision ${canary} (selects ${selects ?? 'nothing'})`;
    return stalled(b, where);
  }
  return 'next';
}

/**
 * A managed route step counts once the router reads back every managed route as the steps so far left them, in
 * order; a route that sends requests to the canary first waits for a canary pod to take them.
 */
function setRoute(b: PlanBuilder, index: number, where: string): StepOutcome {
  const { world } = b;
  const steps = b.steps;
  const wanted = managedRoutesAt(steps, index, managedRoutesOf(b));
  const pods = canaryReplicas(desiredReplicas(b), canaryWeightAt(steps, index), wanted.length > 0);
  const ready = readyOf(b, b.status.canaryRevision);
  if (ready < pods) {
    b.status.message = `${where}: waiting for canary pods (${ready}/${pods} ready)`;
    return stalled(b, where);
  }
  const traffic = world.traffic;
  if (traffic?.kind === 'weights' && !sameRoutes(traffic.routes ?? [], wanted)) {
    const reads = (traffic.routes ?? []).map(describeRoute).join('; ') || 'none';
    b.status.message = `${where}: waiting for the traffic router to confirm the managed routes (reads ${reads})`;
    return stalled(b, where);
  }
  return 'next';
}

const managedRoutesOf = (b: PlanBuilder) => b.world.rollout.spec.trafficRouting?.managedRoutes ?? [];

function setWeight(b: PlanBuilder, index: number, weight: number, where: string): StepOutcome {
  // The pods planTraffic asks for: with a managed route in force, one even at weight 0, or the route is dropped.
  const routed = managedRoutesAt(b.steps, index, managedRoutesOf(b)).length > 0;
  const pods = canaryReplicas(desiredReplicas(b), weight, routed);
  const ready = readyOf(b, b.status.canaryRevision);
  const traffic = b.world.traffic;
  if (ready < pods) {
    b.status.message = `${where}: waiting for canary pods (${ready}/${pods} ready)`;
    return stalled(b, where);
  }
  // With dynamicStableScale, a share handed back to stable waits for stable's pods to carry it.
  const least = scalesStableDynamically(b) ? handBackWeight(b) : 0;
  if (traffic?.kind === 'weights' && weight < least) {
    const need = stablePodsFor(desiredReplicas(b), weight);
    b.status.message = `${where}: waiting for stable pods before taking traffic off the canary (${readyOf(b, b.status.stableRevision)}/${need} ready)`;
    return stalled(b, where);
  }
  // The router must confirm the weight before the step counts as done: a write is not a fact until read back.
  if (traffic?.kind === 'weights' && traffic.canary !== weight) {
    b.status.message = `${where}: waiting for the traffic router to confirm ${weight}% (reads ${traffic.canary}%)`;
    return stalled(b, where);
  }
  return 'next';
}

function pause(b: PlanBuilder, durationMs: number | undefined, where: string): StepOutcome {
  const name = b.world.rollout.metadata.name;
  if (durationMs === undefined) {
    b.pause('PauseStep');
    b.status.message = `${where}: paused until promoted (kubectl sluice promote ${name})`;
    return 'wait';
  }
  const endsAt = Date.parse(b.status.stepStartedAt ?? b.now) + durationMs;
  const left = endsAt - b.world.now.getTime();
  if (left <= 0) return 'next';
  b.pause('PauseStep');
  // The end time, not a countdown: a message that changed on every reconcile would be a status write each time.
  b.status.message = `${where}: paused until ${new Date(endsAt).toISOString()}`;
  b.requeueAfter(left);
  return 'wait';
}

/** Analysis steps: their verdict comes from the analysis engine, through the world. */
function gate(b: PlanBuilder, index: number, where: string): StepOutcome {
  const verdict = b.world.stepVerdicts.get(index);
  if (verdict === undefined) {
    b.status.message = `${where}: waiting for a verdict (kubectl sluice promote ${b.world.rollout.metadata.name} skips this step)`;
    return 'wait';
  }
  switch (verdict.kind) {
    case 'done':
      return 'next';
    case 'running':
      b.status.message = `${where}: ${verdict.message}`;
      if (verdict.requeueAfterMs !== undefined) b.requeueAfter(verdict.requeueAfterMs);
      return 'wait';
    case 'inconclusive':
      b.pause('AnalysisInconclusive');
      b.status.message = `${where}: inconclusive, ${verdict.message}; promote to go on or abort`;
      return 'wait';
    case 'failed':
      abort(b, `${where} failed: ${verdict.message}`, 'Analysis');
      return 'aborted';
  }
}

/**
 * A step that waits on the cluster (pods, router) counts against progressDeadlineSeconds; pauses and analysis
 * do not. Past the deadline the rollout is Degraded, and aborted when progressDeadlineAbort asks for it.
 */
export function stalled(b: PlanBuilder, where: string): StepOutcome {
  const spec = b.world.rollout.spec;
  const deadlineMs = (spec.progressDeadlineSeconds ?? 600) * 1000;
  const since = Date.parse(b.status.stepStartedAt ?? b.now);
  const left = since + deadlineMs - b.world.now.getTime();
  if (left > 0) {
    b.requeueAfter(left);
    return 'wait';
  }
  const message = `progress deadline exceeded: ${where} made no progress for ${formatDuration(deadlineMs)} (${b.status.message ?? ''})`;
  if (spec.progressDeadlineAbort === true) {
    abort(b, message, 'ProgressDeadline');
    return 'aborted';
  }
  if (b.conditionOf('Progressing')?.reason !== 'ProgressDeadlineExceeded')
    b.event('Warning', 'ProgressDeadlineExceeded', message);
  // Kept for the release, unlike the condition (a pause or a resume replaces it): the release is counted once.
  b.status.progressDeadlineExceededAt ??= b.now;
  b.degraded = { reason: 'ProgressDeadlineExceeded', message };
  return 'wait';
}
