/**
 * Which analyses should be measuring now, read from the Rollout's status the way the planner left it: the
 * analysis step the canary is at, the background analysis from its startingStep until the last step is done (a
 * rollback within spec.rollbackWindow: from its start until it is promoted), and the scale-down analysis of the
 * previous stable revision while it drains after a promotion. Nothing measures the canary without one in flight
 * (canary revision differs from stable, not aborted).
 */
import {
  resolveBackgroundAnalysis,
  resolveScaleDownAnalysis,
  resolveSteps,
  scaleDownRunName,
  type ResolvedStep,
} from '../api/steps.ts';
import type { Rollout } from '../api/types.ts';
import { analysisRunName, type ActiveAnalysis } from './engine.ts';

export function activeAnalyses(rollout: Rollout): ActiveAnalysis[] {
  const status = rollout.status;
  const draining = scaleDownAnalysis(rollout);
  const canary = status?.canaryRevision;
  if (status === undefined || canary === undefined || canary === status.stableRevision || status.abort === true)
    return draining;
  let steps: ResolvedStep[];
  let background: ReturnType<typeof resolveBackgroundAnalysis>;
  try {
    steps = resolveSteps(rollout.spec);
    background = resolveBackgroundAnalysis(rollout.spec);
  } catch {
    // A spec the planner cannot read is InvalidSpec there; nothing measures meanwhile.
    return [];
  }
  const index = status.currentStepIndex ?? 0;
  const active: ActiveAnalysis[] = [];
  const step = steps[index];
  if (step?.kind === 'analysis')
    active.push({ name: analysisRunName(index), stepIndex: index, revision: canary, analysis: step.analysis });
  // A rollback within spec.rollbackWindow skipped every step: its background analysis runs until it is promoted.
  const window = status.rollbackWithinWindow === true;
  if (background !== undefined && (window || (index >= background.startingStep && index < steps.length))) {
    active.push({ name: analysisRunName(undefined), revision: canary, analysis: background });
  }
  return [...active, ...draining];
}

/**
 * The scale-down analysis runs for the newest previous revision whose drain has started: the planner records its
 * deadline (scaleDownAt) only once users no longer reach it, as read back. An older one still draining follows its
 * deadline alone: a second promotion within the delay is rare, and status holds one run of each name.
 */
function scaleDownAnalysis(rollout: Rollout): ActiveAnalysis[] {
  const draining = (rollout.status?.scaleDown ?? []).filter((w) => w.scaleDownAt !== undefined).at(-1);
  if (draining === undefined) return [];
  // The template set back to it makes it the canary (or stable) again: its traffic is no drain, and a verdict on it
  // would scale down, or keep, the pods of a revision users are sent to on purpose.
  const { canaryRevision, stableRevision } = rollout.status ?? {};
  if (draining.revision === canaryRevision || draining.revision === stableRevision) return [];
  const analysis = resolveScaleDownAnalysis(rollout.spec, draining.revision);
  return analysis === undefined ? [] : [{ name: scaleDownRunName, revision: draining.revision, analysis }];
}
