/**
 * The canary pipeline: which revision is stable and which is the canary, manual requests, the steps, and
 * promotion or abort. Each sub-step records what it decided on the PlanBuilder and says whether to go on.
 */
import { canaryWeightAt, describeStep, managedRoutesAt, type ResolvedStep } from '../api/steps.ts';
import type { PlanBuilder } from './builder.ts';
import { abort, planAborted, retry } from './abort.ts';
import { canaryPodsAt, desiredReplicas, readyOf, setTraffic } from './replicas.ts';
import { keepWarm } from './scaleDown.ts';
import { revisionOf } from './revision.ts';
import { runStep, stalled } from './step.ts';
import { keepUnneededFlags, planFlagRestores } from './flags.ts';
import { describeRollback, holdsRollback, withinRollbackWindow } from './rollbackWindow.ts';
import {
  handBackFirst,
  mustHandBackFirst,
  scalesStableDynamically,
  sizeForStep,
  stableBackendReads,
  weightReadBack,
} from './dynamicStable.ts';

/** The stable revision of a flag-only Rollout before its first release. */
export const unreleased = 'none';

export function planCanary(b: PlanBuilder, steps: readonly ResolvedStep[]): void {
  const { world, status } = b;
  const spec = world.rollout.spec;
  const desired = world.deployment?.templateRevision ?? revisionOf(spec.strategy);

  if (status.stableRevision === undefined) {
    if (world.deployment === undefined) {
      // A flag-only Rollout is the release itself: nothing is released yet, so its steps run from the start.
      status.stableRevision = unreleased;
      status.canaryRevision = unreleased;
    } else {
      // First sight of a workload: what runs now is stable; there is nothing to compare a canary with.
      status.stableRevision = desired;
      status.canaryRevision = desired;
      b.enterStep(steps.length);
      b.event('Normal', 'Initialized', `revision ${desired} is the stable revision`);
    }
  }
  // With dynamicStableScale, a canary replaced while it has traffic hands it back to a stable short of pods first.
  if (mustHandBackFirst(b, desired)) return handBackFirst(b, desired);
  if (desired === status.stableRevision) return planSteady(b, steps);

  if (status.canaryRevision !== desired) startCanary(b, desired, steps.length);
  if (applyAction(b, steps) === 'stop') return;
  if (status.abort === true) return planAborted(b);

  const background = world.backgroundVerdict;
  if (background?.kind === 'failed') return abort(b, `background analysis failed: ${background.message}`, 'Analysis');
  if (background?.kind === 'inconclusive') {
    // Holds where it is: no data is never a pass. An abort, or data coming back, ends the hold.
    b.pause('AnalysisInconclusive');
    b.status.message = `background analysis inconclusive: ${background.message}; holding (abort, or wait for data)`;
    return planTraffic(b, steps, status.currentStepIndex ?? 0);
  }

  // Flags an earlier canary or an earlier spec changed, which no step names now, go back to where they were;
  // not while paused or frozen, when Unleash is left alone.
  // Kept: the flags of the steps this canary has reached; a later step's flag, changed by an earlier canary, goes
  // back now and is set again when its step comes.
  let index = status.currentStepIndex ?? 0;
  if (spec.paused !== true && world.freeze === undefined) planFlagRestores(b, { keep: steps.slice(0, index + 1) });
  if (world.deployment !== undefined && desiredReplicas(b) === 0) {
    // Parked at 0 pods: a step would pass on no pod at all, and the revision be promoted unseen.
    b.status.message = `spec.replicas is 0: the steps of ${status.canaryRevision} wait until the Rollout has pods (kubectl scale, or an autoscaler)`;
    return planTraffic(b, steps, index);
  }
  // Past the last step (a rollback within the window starts there) no step looks at the pause: it holds here.
  if (index >= steps.length && (spec.paused === true || world.freeze !== undefined)) return holdPastSteps(b);
  while (index < steps.length) {
    const step = steps[index]!;
    const where = `step ${index + 1}/${steps.length} (${describeStep(step)})`;
    if (spec.paused === true) {
      b.pause('UserPaused');
      b.status.message = `paused by spec.paused at ${where}: resume with kubectl sluice resume ${world.rollout.metadata.name}`;
      break;
    }
    if (world.freeze !== undefined) {
      b.pause('FreezeFlag');
      b.status.message = `held at ${where}: ${world.freeze.message}`;
      break;
    }
    const outcome = runStep(b, step, where);
    if (outcome === 'aborted') return;
    if (outcome === 'wait') break;
    b.event('Normal', 'StepCompleted', `${where} done`);
    index += 1;
    b.enterStep(index);
  }
  planTraffic(b, steps, index);
}

/**
 * spec.paused or the freeze flag after the last step: nothing moves until resume. The canary keeps its pods and its
 * weight, and is not promoted.
 */
function holdPastSteps(b: PlanBuilder): void {
  const { status, world } = b;
  const stable = status.stableRevision!;
  const canary = status.canaryRevision!;
  const what = status.rollbackWithinWindow === true ? `rollback within window ${canary}` : `promotion of ${canary}`;
  if (world.rollout.spec.paused === true) {
    b.pause('UserPaused');
    b.status.message = `paused by spec.paused before the ${what}: resume with kubectl sluice resume ${world.rollout.metadata.name}`;
  } else {
    b.pause('FreezeFlag');
    b.status.message = `held before the ${what}: ${world.freeze!.message}`;
  }
  if (world.deployment === undefined) return;
  const n = desiredReplicas(b);
  const pods = world.replicaSets.find((rs) => rs.revision === canary)?.replicas ?? 0;
  b.replicaSets = [
    { revision: stable, replicas: n },
    { revision: canary, replicas: pods },
  ];
  takeOverWhenStableReady(b, n);
  setTraffic(b, status.weights?.canary ?? 0, { stable, canary });
}

/** The pod template is the stable one: no canary in flight (or the one in flight was reverted by the user). */
function planSteady(b: PlanBuilder, steps: readonly ResolvedStep[]): void {
  const stepCount = steps.length;
  const { status, world } = b;
  const stable = status.stableRevision!;
  if (status.canaryRevision !== stable) {
    b.event(
      'Normal',
      'CanaryReverted',
      `the pod template is back at stable revision ${stable}: canary ${status.canaryRevision} is removed`,
    );
    status.canaryRevision = stable;
    b.enterStep(stepCount);
  }
  delete status.rollbackWithinWindow;
  if (typeof b.action === 'string') {
    b.actedOn(b.action);
    b.event('Warning', 'ActionIgnored', `${b.action} ignored: no canary is in flight`);
  }
  delete status.abort;
  delete status.abortedAt;
  delete status.abortCause;
  // No canary in flight: any flag still recorded is one no release wants changed (the canary was reverted, or a
  // promotion left a flag its steps did not set): put it back, unless paused or frozen, when Unleash is left alone.
  if (world.rollout.spec.paused !== true && world.freeze === undefined) planFlagRestores(b, { keep: [] });
  // status.analysis stays: the last canary's measurements are worth reading after it was promoted or removed.
  const n = desiredReplicas(b);
  if (world.deployment !== undefined) b.replicaSets = [{ revision: stable, replicas: n }];
  // With dynamicStableScale, the old stable that kept a share was shrunk to it: the share the canary Service still
  // has comes back once the stable backend reads back selecting the promoted revision (the canary's selects it too).
  const handBack = scalesStableDynamically(b) && stableBackendReads(b) !== stable;
  setTraffic(b, handBack ? weightReadBack(b) : 0, { stable, canary: stable });
  const takingOver = (world.deployment?.replicas ?? 0) > 0;
  if (world.rollout.spec.strategy.blueGreen !== undefined && takingOver && world.services?.stable !== stable) {
    // While the Deployment still runs its pods, blue-green's active Service may be the user's own, serving them:
    // it moves to stable's pods once they are all ready, and the Deployment keeps its pods until the Service reads
    // back selecting them. Either sooner, and it would select pods that cannot take its requests. Once taken over,
    // a move back to stable (a revert, a Service deleted by hand) goes at once, as an abort does.
    if (readyOf(b, stable) < n) b.services = undefined;
    return;
  }
  takeOverWhenStableReady(b, n);
}

function startCanary(b: PlanBuilder, desired: string, stepCount: number): void {
  const { status } = b;
  const superseded = status.canaryRevision !== status.stableRevision ? status.canaryRevision : undefined;
  status.canaryRevision = desired;
  // The weight the superseded canary had was for its pods; the canary Service (or subset) selects the new
  // revision from this reconcile on, whose pods are not ready yet: it starts from nothing, as a first canary does.
  if (superseded !== undefined) status.weights = { canary: 0, stable: 100 };
  // status.flags stays: the superseded canary's flags keep their first recorded state, so that this canary's
  // steps on the same flag steer it from there and an abort still puts it back where it was before any of them;
  // flags this canary's steps do not name are put back while it runs (planCanary).
  status.abort = false;
  delete status.abortedAt;
  delete status.abortCause;
  delete status.analysis;
  delete status.progressDeadlineExceededAt;
  // A new release starts here (a superseding one too): its duration, for the outcome metrics, counts from now.
  status.releaseStartedAt = b.now;
  if (withinRollbackWindow(b, desired)) {
    status.rollbackWithinWindow = true;
    b.enterStep(stepCount); // every step skipped: full size next, then stable once background analysis passed
    const over = superseded === undefined ? '' : ` (it replaces canary ${superseded})`;
    b.event('Normal', 'RollbackWithinWindow', `${describeRollback(b, desired)}${over}`);
    return;
  }
  delete status.rollbackWithinWindow;
  b.enterStep(0);
  if (superseded !== undefined) {
    b.event(
      'Normal',
      'Superseded',
      `canary ${superseded} is replaced by the newer revision ${desired}; the steps start again`,
    );
  } else {
    b.event(
      'Normal',
      'CanaryStarted',
      `canary revision ${desired} started against stable ${status.stableRevision} (${stepCount} steps)`,
    );
  }
}

/** Acts on a promote / promote-full / abort / retry request; 'stop' when the plan is complete already. */
function applyAction(b: PlanBuilder, steps: readonly ResolvedStep[]): 'go' | 'stop' {
  const action = b.action;
  if (action === undefined || typeof action !== 'string') return 'go';
  b.actedOn(action);
  const { status } = b;
  const index = status.currentStepIndex ?? 0;
  switch (action) {
    case 'abort':
      if (status.abort === true) return 'go';
      abort(b, 'aborted by a user request', 'User');
      return 'stop';
    case 'retry':
      if (status.abort !== true) {
        b.event('Warning', 'ActionIgnored', 'retry ignored: the rollout is not aborted');
        return 'go';
      }
      retry(b);
      return 'go';
    case 'promote':
    case 'promote-full':
      if (status.abort === true) {
        b.event(
          'Warning',
          'ActionIgnored',
          `${action} ignored: the rollout is aborted; use retry to start the canary again`,
        );
        return 'go';
      }
      if (index >= steps.length) {
        if (status.rollbackWithinWindow === true) endRollbackHold(b, action);
        return 'go';
      }
      if (action === 'promote' && waitsOnTheCluster(steps[index]!)) {
        // Blue-green's preview and switch wait for pods and for the read-back, not for a person: skipping them would
        // analyse a preview with no pod, or start what comes after the switch while the old version still serves.
        b.event(
          'Warning',
          'ActionIgnored',
          `promote ignored at step ${index + 1}/${steps.length} (${describeStep(steps[index])}): it waits on the cluster, not on a person (${b.previous.message ?? 'no status yet'}); fix what it waits for, or abort to go back to ${status.stableRevision}`,
        );
        return 'go';
      }
      if (action === 'promote') {
        b.event(
          'Normal',
          'Promoted',
          `step ${index + 1}/${steps.length} (${describeStep(steps[index]!)}) ended by a promote request`,
        );
        b.enterStep(index + 1);
      } else {
        b.event('Normal', 'PromotedFull', `steps ${index + 1}-${steps.length} skipped by a promote-full request`);
        b.enterStep(steps.length);
      }
      return 'go';
    default:
      return 'go'; // undo: planUndo acted on it, and consumed it
  }
}

/**
 * promote-full during a rollback within the window ends its hold, as it ends the remaining steps and analysis of any
 * canary (what an Argo Rollouts user expects): it becomes stable once its pods are ready, and its background
 * analysis stops, as a promoted canary's does. A promote has no step to end here, and says so.
 */
function endRollbackHold(b: PlanBuilder, action: 'promote' | 'promote-full'): void {
  const canary = b.status.canaryRevision;
  if (action === 'promote') {
    b.event(
      'Warning',
      'ActionIgnored',
      `promote ignored: rollback within window ${canary} has no step left to end; promote-full makes it stable without waiting for background analysis`,
    );
    return;
  }
  delete b.status.rollbackWithinWindow;
  b.event(
    'Normal',
    'PromotedFull',
    `rollback within window ${canary}: promote-full ends the hold and its background analysis: it becomes stable once its pods are ready`,
  );
}

const waitsOnTheCluster = (step: ResolvedStep) => step.kind === 'preview' || step.kind === 'switch';

/** Scales the Deployment to 0 once Sluice's stable pods can carry its traffic, never before. */
function takeOverWhenStableReady(b: PlanBuilder, n: number): void {
  const d = b.world.deployment;
  if (d === undefined) return;
  if (d.replicas > 0 && readyOf(b, b.status.stableRevision) >= n) b.takeOverDeployment = { recordReplicas: n };
  // Taken over already: the size recorded on the Deployment (what deleting the Rollout hands back, and the size
  // once spec.replicas goes) follows the Rollout's own size as kubectl scale or an autoscaler change it.
  else if (d.replicas === 0 && b.world.rollout.spec.replicas !== undefined && (d.recordedReplicas ?? 0) !== n)
    b.takeOverDeployment = { recordReplicas: n };
}

/**
 * Pods and traffic for the step the rollout is at. The canary gets the step's weight only once its pods for that
 * weight are ready; until then it keeps the weight it had. After the last step the canary scales to full size and,
 * once ready, becomes stable.
 */
function planTraffic(b: PlanBuilder, steps: readonly ResolvedStep[], index: number): void {
  const { status, world } = b;
  const stable = status.stableRevision!;
  const canary = status.canaryRevision!;
  if (world.deployment === undefined) {
    if (index >= steps.length) promoteFlagOnly(b, steps);
    return;
  }
  const n = desiredReplicas(b);
  const target = index >= steps.length ? 100 : canaryWeightAt(steps, index);
  const routes = managedRoutesAt(steps, index, world.rollout.spec.trafficRouting?.managedRoutes ?? []);
  const pods = canaryPodsAt(b, steps, index, routes.length > 0);
  b.replicaSets = [
    { revision: stable, replicas: n },
    { revision: canary, replicas: pods },
  ];
  takeOverWhenStableReady(b, n);
  const ready = readyOf(b, canary) >= pods;

  if (index >= steps.length) {
    if (!ready) {
      const rollback = status.rollbackWithinWindow === true ? 'rollback within window: steps skipped; ' : '';
      b.status.message = `${rollback}promoting: waiting for canary pods (${readyOf(b, canary)}/${n} ready)`;
      // No step runs past the last one, so the progress deadline is kept here: pods that never become ready (an
      // image pruned from the registry) are reported, also for a rollback within the window, which starts here.
      if (stalled(b, rollback === '' ? 'the promotion' : 'the rollback within window') === 'aborted') return;
      const weight = status.weights?.canary ?? 0;
      // A rollback within the window keeps stable at full size until it is promoted (dynamicStableScale or not):
      // it is what an abort of the rollback goes back to, and the rollback's pods flapping is when that happens.
      const dynamic = scalesStableDynamically(b) && status.rollbackWithinWindow !== true;
      setTraffic(b, dynamic ? sizeForStep(b, weight, pods) : weight, { stable, canary });
      return;
    }
    if (holdsRollback(b, stable, canary)) return;
    // Both Services now select the new revision, so setting the router back to 100% stable moves no request
    // to the old pods; the old stable ReplicaSet is left out of the plan and scales to 0.
    status.stableRevision = canary;
    delete status.rollbackWithinWindow;
    keepUnneededFlags(b, steps); // promoted: the flags the steps set stay where they left them
    b.replicaSets = [{ revision: canary, replicas: n }];
    keepWarm(b, stable);
    // dynamicStableScale: the old stable runs only the pods for its share; the weight goes back to the stable
    // backend once it reads back selecting the promoted revision (planSteady), never to the old pods.
    setTraffic(b, scalesStableDynamically(b) ? weightReadBack(b) : 0, { stable: canary, canary });
    b.event('Normal', 'Promoted', `revision ${canary} is now stable (was ${stable})`);
    return;
  }
  const previousWeight = Math.min(status.weights?.canary ?? 0, target);
  let weight = ready ? target : previousWeight;
  if (scalesStableDynamically(b)) weight = sizeForStep(b, weight, pods);
  // A managed route sends requests to the canary whatever the weight: only while a canary pod is ready to take them.
  setTraffic(b, weight, { stable, canary }, readyOf(b, canary) > 0 ? routes : []);
}

function promoteFlagOnly(b: PlanBuilder, steps: readonly ResolvedStep[]): void {
  const { status } = b;
  b.event('Normal', 'Promoted', `every step of revision ${status.canaryRevision} is done`);
  status.stableRevision = status.canaryRevision;
  keepUnneededFlags(b, steps);
}
