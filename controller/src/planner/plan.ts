/**
 * The planner: given a Rollout, what the controller observed and the clock, what should happen next and why.
 * Pure: no I/O, no timers, no randomness. It reads as a pipeline of early returns; each returns the plan once it
 * has decided. The reasons it records become the status message, the conditions and the Events.
 */
import { DurationError } from '../api/duration.ts';
import { readableSteps, StepError, type ResolvedStep } from '../api/steps.ts';
import { abortApplies, abortDespiteInvalidSpec } from './abort.ts';
import { PlanBuilder } from './builder.ts';
import { planFlagRestores } from './flags.ts';
import { planCanary } from './canary.ts';
import { planOldReplicaSets } from './oldReplicaSets.ts';
import { recordBlueGreen } from './blueGreen.ts';
import { planScaleDown } from './scaleDown.ts';
import { recordScale } from './replicas.ts';
import { reportAutoscalerOnDeployment } from './autoscaler.ts';
import { finishStatus } from './phase.ts';
import { planUndo } from './undo.ts';
import { recordPreviousStable } from './rollbackWindow.ts';
import { planRevisionNumber } from './revisionNumbers.ts';
import { planRestart } from './restart.ts';
import { recordStableShrunk } from './dynamicStable.ts';
import type { ObservedWorld, Plan } from './world.ts';

export function planRollout(world: ObservedWorld): Plan {
  const b = new PlanBuilder(world);
  const { rollout } = world;

  if (typeof b.action === 'object') {
    b.clearAction = true;
    b.event('Warning', 'InvalidAction', b.action.invalid);
    b.condition('ActionRefused', { status: 'True', reason: 'InvalidAction', message: b.action.invalid });
  }

  let steps: readonly ResolvedStep[];
  try {
    steps = b.steps;
  } catch (err) {
    if (err instanceof StepError || err instanceof DurationError) return invalid(b, err.message);
    throw err;
  }
  if (world.specErrors.length > 0) {
    const [first] = world.specErrors;
    return invalid(b, `${first!.field}: ${first!.message}`);
  }
  if (rollout.spec.workloadRef !== undefined && world.deployment === undefined) {
    const name = `${rollout.metadata.namespace}/${rollout.spec.workloadRef.name}`;
    return invalid(b, `spec.workloadRef.name: Deployment ${name} not found: create it or fix the name`);
  }
  if (world.traffic?.kind === 'invalid') return invalid(b, `${world.traffic.field}: ${world.traffic.message}`);

  b.condition('InvalidSpec', { status: 'False', reason: 'SpecValid', message: '' });
  planUndo(b);
  planCanary(b, steps);
  recordPreviousStable(b);
  if (b.invalidStep !== undefined) reportInvalidStep(b, b.invalidStep);
  planScaleDown(b);
  recordBlueGreen(b, steps);
  recordScale(b);
  reportAutoscalerOnDeployment(b);
  // A PodDisruptionBudget for the pods of every revision, as the spec asks (none: Sluice's is removed).
  if (rollout.spec.workloadRef !== undefined) b.podDisruptionBudget = { budget: rollout.spec.pdb };
  planOldReplicaSets(b);
  planRevisionNumber(b);
  planRestart(b);
  recordStableShrunk(b);
  return finishStatus(b);
}

/** A step that needs a person (Unleash refused the token, the flag does not exist): InvalidSpec, held where it is. */
function reportInvalidStep(b: PlanBuilder, problem: { field: string; message: string }): void {
  const message = `${problem.field}: ${problem.message}`;
  if (!b.alreadySays('InvalidSpec', message)) b.event('Warning', 'InvalidSpec', message);
  b.condition('InvalidSpec', { status: 'True', reason: 'InvalidSpec', message });
  b.degraded ??= { reason: 'InvalidSpec', message: `invalid spec: ${message}` };
}

/**
 * A Rollout being deleted that changed feature flags: they go back first (its finalizer holds it meanwhile), so
 * that deleting a release never leaves a flag half rolled out. Pods, Services and traffic are left as they are;
 * the hand-over of the pods to the Deployment comes after.
 */
export function planDeletion(world: ObservedWorld): Plan {
  const b = new PlanBuilder(world);
  planFlagRestores(b, { deleting: true });
  const left = b.status.flags ?? [];
  b.status.message =
    left.length === 0
      ? 'deleting: every flag it changed is back where it was'
      : `deleting: putting back the flags it changed (${left.map((f) => f.name).join(', ')})${b.messageSuffix}`;
  b.replicaSets = world.replicaSets.map((rs) => ({ revision: rs.revision, replicas: rs.replicas }));
  return b.build();
}

/**
 * A spec the controller cannot carry out: say so and touch nothing. Traffic, pods and flags stay exactly where
 * they are, so a typo can never shift traffic; fixing the spec resumes from the same step.
 */
function invalid(b: PlanBuilder, message: string): Plan {
  if (!b.alreadySays('InvalidSpec', message)) b.event('Warning', 'InvalidSpec', message);
  b.condition('InvalidSpec', { status: 'True', reason: 'InvalidSpec', message });
  if (abortApplies(b)) {
    // An abort is the one thing an invalid spec never blocks: it only needs stable, which status names.
    abortDespiteInvalidSpec(b, message);
    planScaleDown(b); // the revision users were on drains here too
    recordBlueGreen(b, readableSteps(b.world.rollout.spec));
    b.status.phase = 'Degraded';
    b.status.message = `aborted: ${b.degraded!.message}; invalid spec: ${message}${b.messageSuffix}`;
    b.condition('Healthy', { status: 'False', reason: 'RolloutAborted', message: b.status.message });
    b.condition('Progressing', { status: 'False', reason: 'RolloutAborted', message: b.status.message });
    return b.build();
  }
  planUndo(b, { write: false });
  if (b.status.undo !== undefined) {
    const { revisionNumber, revision, from } = b.status.undo;
    b.status.message = `invalid spec: ${message}; the undo to revision ${revisionNumber} (${revision}) is written once the spec is fixed, unless the Deployment's pod template (${from}) changes first`;
  } else if (typeof b.action === 'string') {
    // Kept for when the spec is fixed: a promote or retry of a rollout that cannot run now would act on a guess.
    b.status.message = `invalid spec: ${message}; the ${b.action} request waits until the spec is fixed`;
  } else {
    b.status.message = `invalid spec: ${message}`;
  }
  b.status.phase = 'Degraded';
  b.condition('Healthy', { status: 'False', reason: 'InvalidSpec', message });
  b.condition('Progressing', { status: 'False', reason: 'InvalidSpec', message });
  // Keep every Sluice ReplicaSet at its current size: an absent entry would mean "scale to 0".
  b.replicaSets = b.world.replicaSets.map((rs) => ({ revision: rs.revision, replicas: rs.replicas }));
  return b.build();
}
