/**
 * How far a Rollout is, in the words the dashboard and `kubectl sluice` show: its steps (the canary's as written,
 * or those blue-green runs through, resolved by steps.ts and worded by describeStep, so that both strategies read
 * the same way), which of them is running, and what each analysis run judges. Pure.
 */
import {
  blueGreenField,
  scaleDownRunName,
  describeStep,
  readableSteps,
  resolveStep,
  type ResolvedStep,
} from './steps.ts';
import type { AnalysisRunStatus, RolloutSpec } from './types.ts';

export type StrategyName = 'canary' | 'blueGreen';

export function strategyOf(spec: RolloutSpec): StrategyName {
  return spec.strategy.blueGreen === undefined ? 'canary' : 'blueGreen';
}

/** A step as shown: resolved, or, when it cannot be read, as written (kind 'invalid'). */
export interface ShownStep {
  index: number;
  kind: string;
  /** "setWeight 20%", "preview on Service shop-preview with 1 pod(s)" */
  text: string;
  resolved: ResolvedStep | undefined;
}

export function shownSteps(spec: RolloutSpec): ShownStep[] {
  const all = readableSteps(spec);
  if (all !== undefined)
    return all.map((step) => ({ index: step.index, kind: step.kind, text: describeStep(step), resolved: step }));
  // A step the controller cannot read is reported by it (InvalidSpec); here the others still show, that one as written.
  return (spec.strategy.canary?.steps ?? []).map((step, index) => {
    try {
      const resolved = resolveStep(step, index);
      return { index, kind: resolved.kind, text: describeStep(resolved), resolved };
    } catch {
      return { index, kind: 'invalid', text: JSON.stringify(step), resolved: undefined };
    }
  });
}

/** How many steps the rollout runs through: status.currentStepIndex counts them, and equals this once all are done. */
export function stepCount(spec: RolloutSpec): number {
  const { canary, blueGreen } = spec.strategy;
  // A canary's are counted as written, which needs no step to be readable (nor the work of reading them).
  return blueGreen === undefined ? (canary?.steps.length ?? 0) : (readableSteps(spec)?.length ?? 0);
}

export type StepState = 'done' | 'current' | 'pending';

/** Before the controller has written a status nothing has run: every step is pending. */
export function stepState(index: number, currentStepIndex: number | undefined): StepState {
  if (currentStepIndex === undefined || index > currentStepIndex) return 'pending';
  return index === currentStepIndex ? 'current' : 'done';
}

/**
 * What an analysis run judges: "Background analysis", "Analysis of step 3" (a canary step, counted from 1), or for
 * blue-green the field the analysis comes from ("prePromotionAnalysis"), as the user never wrote its steps.
 */
export function analysisRunTitle(steps: readonly ShownStep[], run: AnalysisRunStatus): string {
  if (run.name === scaleDownRunName) return 'Scale-down analysis';
  if (run.stepIndex === undefined) return 'Background analysis';
  const field = steps[run.stepIndex]?.resolved?.field ?? '';
  const blueGreenPrefix = `${blueGreenField}.`;
  if (field.startsWith(blueGreenPrefix)) return field.slice(blueGreenPrefix.length);
  return `Analysis of step ${run.stepIndex + 1}`;
}
