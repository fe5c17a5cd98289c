/**
 * Reads the canary steps the way the planner needs them: one action per step with defaults applied and durations
 * parsed, the field path of each step (for error messages), the traffic weight in effect at a step, and when
 * background analysis runs. Defaults come from the schema, so there is one place that says what they are.
 */
import type { TSchema } from 'typebox';
import { formatDuration, parseDuration } from './duration.ts';
import { canonicalMatch, describeRoute, type ManagedRoute } from '../routers/managedRoutes.ts';
import {
  analysisTemplateRef,
  backgroundAnalysis,
  drainingRevisionArg,
  setFlagStep,
  stepActions,
} from './rollout.schema.ts';
import type { AnalysisArg, BlueGreenStrategy, CanaryStep, RolloutSpec } from './types.ts';

export type StepKind = (typeof stepActions)[number];

const stepKinds: readonly StepKind[] = stepActions;

export const stepsField = 'spec.strategy.canary.steps';
export const backgroundAnalysisField = 'spec.strategy.canary.analysis';
export const scaleDownAnalysisField = 'spec.strategy.canary.scaleDownWhen.analysis';
/** The name status gives the run of the analysis that tells when the previous stable revision has drained. */
export const scaleDownRunName = 'scale-down';

/** Field path of the step at `index`, as error messages and conditions name it. */
export function stepField(index: number): string {
  return `${stepsField}[${index}]`;
}

/** Raised when a step does not have exactly one action (the API server refuses those; this guards other callers). */
export class StepError extends Error {
  readonly field: string;
  /** The message without the field, for callers that report the field separately. */
  readonly problem: string;

  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'StepError';
    this.field = field;
    this.problem = problem;
  }
}

/** The one action of a step. */
export function stepKind(step: CanaryStep, field = 'step'): StepKind {
  // Counted without building a list: this runs for every step several times in every reconcile.
  let only: StepKind | undefined;
  let count = 0;
  for (const kind of stepKinds) {
    if (step[kind] === undefined) continue;
    only = kind;
    count++;
  }
  if (count !== 1 || only === undefined) {
    const present = stepKinds.filter((kind) => step[kind] !== undefined);
    const found = present.length === 0 ? 'none' : present.join(' and ');
    throw new StepError(field, `a step has exactly one action (${stepKinds.join(', ')}), found ${found}`);
  }
  return only;
}

/** A template reference with clusterScope resolved. */
export interface ResolvedTemplateRef {
  templateName: string;
  clusterScope: boolean;
}

/** An analysis to run: a step's, or the background one. `field` is where it sits in the spec. */
export interface ResolvedAnalysis {
  field: string;
  templates: ResolvedTemplateRef[];
  args: AnalysisArg[];
  /** Arguments Sluice passes itself (the scale-down analysis's drainingRevision): a template may require them. */
  provided?: string[];
}

interface StepBase {
  index: number;
  /** Path of the step in the spec, e.g. spec.strategy.canary.steps[2]. */
  field: string;
}

export type ResolvedStep =
  | (StepBase & { kind: 'setWeight'; weight: number })
  // durationMs undefined: wait until promoted.
  | (StepBase & { kind: 'pause'; durationMs: number | undefined })
  | (StepBase & { kind: 'analysis'; analysis: ResolvedAnalysis })
  | (StepBase & {
      kind: 'setFlag';
      /** Path of the setFlag object itself (the step's field + .setFlag). */
      flagField: string;
      /** environment and project: the controller's defaults (--unleash-environment, --unleash-project) when undefined. */
      flag: {
        name: string;
        rollout: number;
        environment: string | undefined;
        project: string | undefined;
        onAbort: 'restore' | 'disable';
      };
    })
  /** route: what the step sets; undefined when the step takes the route away (no match, or 0%). */
  | (StepBase & { kind: 'setHeaderRoute' | 'setMirrorRoute'; name: string; route: ManagedRoute | undefined })
  /**
   * Blue-green only (api/blueGreenSteps.ts). preview: the new revision runs `replicas` pods (undefined: full size)
   * behind the preview Service; done once they are ready. switch: the new revision scales to full size and the
   * active Service (or the router, at 100%) moves to it; done once that reads back.
   */
  | (StepBase & { kind: 'preview'; service: string; replicas: number | undefined })
  | (StepBase & { kind: 'switch'; service: string });

/** The schema default of a field, read from the schema itself. */
function schemaDefault<T>(schema: TSchema): T {
  const value = (schema as { default?: unknown }).default;
  if (value === undefined) throw new Error('schema has no default: the schema and steps.ts disagree');
  return value as T;
}

const defaults = {
  clusterScope: schemaDefault<boolean>(analysisTemplateRef.properties.clusterScope),
  onAbort: schemaDefault<'restore' | 'disable'>(setFlagStep.properties.onAbort),
  startingStep: schemaDefault<number>(backgroundAnalysis.properties.startingStep),
};

function resolveAnalysis(
  field: string,
  analysis: { templates: { templateName: string; clusterScope?: boolean }[]; args?: AnalysisArg[] },
): ResolvedAnalysis {
  return {
    field,
    templates: analysis.templates.map((t) => ({
      templateName: t.templateName,
      clusterScope: t.clusterScope ?? defaults.clusterScope,
    })),
    args: analysis.args ?? [],
  };
}

/** Resolves one step; throws StepError or DurationError naming the field when the step cannot be read. */
export function resolveStep(step: CanaryStep, index: number): ResolvedStep {
  const field = stepField(index);
  const base = { index, field };
  switch (stepKind(step, field)) {
    case 'setWeight':
      return { ...base, kind: 'setWeight', weight: step.setWeight! };
    case 'pause': {
      const duration = step.pause!.duration;
      return {
        ...base,
        kind: 'pause',
        durationMs: duration === undefined ? undefined : parseDuration(duration, `${field}.pause.duration`),
      };
    }
    case 'analysis':
      return { ...base, kind: 'analysis', analysis: resolveAnalysis(`${field}.analysis`, step.analysis!) };
    case 'setFlag': {
      const f = step.setFlag!;
      return {
        ...base,
        kind: 'setFlag',
        flagField: `${field}.setFlag`,
        flag: {
          name: f.name,
          rollout: f.rollout,
          environment: f.environment,
          project: f.project,
          onAbort: f.onAbort ?? defaults.onAbort,
        },
      };
    }
    case 'setHeaderRoute': {
      const { name, match } = step.setHeaderRoute!;
      const route = match === undefined ? undefined : { kind: 'header' as const, name, match: canonicalMatch(match) };
      return { ...base, kind: 'setHeaderRoute', name, route };
    }
    case 'setMirrorRoute': {
      const { name, percentage, match } = step.setMirrorRoute!;
      const route =
        percentage === 0
          ? undefined
          : { kind: 'mirror' as const, name, percentage, match: canonicalMatch(match ?? []) };
      return { ...base, kind: 'setMirrorRoute', name, route };
    }
  }
}

/** All steps of the spec, resolved: the canary's, or those blue-green runs through. */
export function resolveSteps(spec: RolloutSpec): ResolvedStep[] {
  const { canary, blueGreen } = spec.strategy;
  if (blueGreen !== undefined) return blueGreenSteps(blueGreen);
  return (canary?.steps ?? []).map((step, index) => resolveStep(step, index));
}

export const blueGreenField = 'spec.strategy.blueGreen';

/**
 * Blue-green as steps, so that it runs on the canary's planner, analysis and flag machinery unchanged: preview,
 * pre-promotion analysis, the wait for promotion, the flags before the switch, the switch, the flags after it and
 * the post-promotion analysis. Past the last step the new revision is promoted (planner/blueGreen.ts keeps the old
 * one warm for scaleDownDelaySeconds). Each step's field is the blue-green field it comes from.
 */
function blueGreenSteps(bg: BlueGreenStrategy): ResolvedStep[] {
  const steps: ResolvedStep[] = [];
  const add = (step: ResolvedStep) => steps.push({ ...step, index: steps.length });
  const at = (field: string) => ({ index: 0, field: `${blueGreenField}.${field}` });
  add({ ...at('previewService'), kind: 'preview', service: bg.previewService, replicas: bg.previewReplicaCount });
  if (bg.prePromotionAnalysis !== undefined) {
    const field = `${blueGreenField}.prePromotionAnalysis`;
    add({ ...at('prePromotionAnalysis'), kind: 'analysis', analysis: resolveAnalysis(field, bg.prePromotionAnalysis) });
  }
  if (bg.autoPromotionEnabled === false) add({ ...at('autoPromotionEnabled'), kind: 'pause', durationMs: undefined });
  else if ((bg.autoPromotionSeconds ?? 0) > 0)
    add({ ...at('autoPromotionSeconds'), kind: 'pause', durationMs: bg.autoPromotionSeconds! * 1000 });
  const flags = (list: 'prePromotionFlags' | 'postPromotionFlags') =>
    (bg[list] ?? []).forEach((f, i) => {
      const step = resolveStep(f, 0);
      if (step.kind === 'setFlag')
        add({ ...step, ...at(`${list}[${i}]`), flagField: `${blueGreenField}.${list}[${i}].setFlag` });
    });
  flags('prePromotionFlags');
  add({ ...at('activeService'), kind: 'switch', service: bg.activeService });
  flags('postPromotionFlags');
  if (bg.postPromotionAnalysis !== undefined) {
    const field = `${blueGreenField}.postPromotionAnalysis`;
    add({
      ...at('postPromotionAnalysis'),
      kind: 'analysis',
      analysis: resolveAnalysis(field, bg.postPromotionAnalysis),
    });
  }
  return steps;
}

/**
 * All steps of the spec, resolved, or undefined when they cannot be read: for the checks that add to the spec's
 * validation, which already names the step that cannot be read.
 */
export function readableSteps(spec: RolloutSpec): ResolvedStep[] | undefined {
  try {
    return resolveSteps(spec);
  } catch {
    return undefined;
  }
}

/** The setHeaderRoute and setMirrorRoute steps of the spec; none when the steps cannot be read (validation says why). */
export function routeSteps(spec: RolloutSpec) {
  return (readableSteps(spec) ?? []).flatMap((s) =>
    s.kind === 'setHeaderRoute' || s.kind === 'setMirrorRoute' ? [s] : [],
  );
}

/**
 * The canary's traffic percentage while step `index` runs: that of the last setWeight at or before it, 0 before
 * the first one, and 100 once every step is done (the canary is then promoted to stable).
 */
export function canaryWeightAt(steps: readonly ResolvedStep[], index: number): number {
  if (index >= steps.length) return 100;
  let weight = 0;
  for (const step of steps.slice(0, index + 1)) {
    if (step.kind === 'setWeight') weight = step.weight;
    if (step.kind === 'switch') weight = 100;
  }
  return weight;
}

/**
 * The managed routes in force while step `index` runs: each route as the last step at or before it that names it
 * left it, in the order of `order` (spec.trafficRouting.managedRoutes: the first wins). None once every step is
 * done: promotion removes them all, as does an abort (which does not ask).
 */
export function managedRoutesAt(
  steps: readonly ResolvedStep[],
  index: number,
  order: readonly { name: string }[],
): ManagedRoute[] {
  if (index >= steps.length) return [];
  const byName = new Map<string, ManagedRoute | undefined>();
  for (const step of steps.slice(0, index + 1)) {
    if (step.kind === 'setHeaderRoute' || step.kind === 'setMirrorRoute') byName.set(step.name, step.route);
  }
  return order.flatMap((r) => {
    const route = byName.get(r.name);
    return route === undefined ? [] : [route];
  });
}

/** The background analysis and the step index it starts at, if the spec has one. */
export function resolveBackgroundAnalysis(
  spec: RolloutSpec,
): (ResolvedAnalysis & { startingStep: number }) | undefined {
  const background = spec.strategy.canary?.analysis;
  if (background === undefined) return undefined;
  return {
    ...resolveAnalysis(backgroundAnalysisField, background),
    startingStep: background.startingStep ?? defaults.startingStep,
  };
}

/**
 * The analysis that tells when the previous stable revision has drained, after a promotion; its templates get
 * drainingRevision from Sluice (`revision`: undefined while validating, when no revision is draining yet).
 */
export function resolveScaleDownAnalysis(spec: RolloutSpec, revision?: string): ResolvedAnalysis | undefined {
  const when = spec.strategy.canary?.scaleDownWhen?.analysis;
  if (when === undefined) return undefined;
  const resolved = resolveAnalysis(scaleDownAnalysisField, when);
  // Sluice's value wins: no one can know the revision when writing the spec.
  const own = resolved.args.filter((a) => a.name !== drainingRevisionArg);
  return {
    ...resolved,
    args: revision === undefined ? own : [...own, { name: drainingRevisionArg, value: revision }],
    provided: [drainingRevisionArg],
  };
}

/** Every analysis the spec runs, steps first, then the background one, then the scale-down one. */
export function analysesOf(spec: RolloutSpec): ResolvedAnalysis[] {
  const fromSteps = resolveSteps(spec).flatMap((s) => (s.kind === 'analysis' ? [s.analysis] : []));
  const others = [resolveBackgroundAnalysis(spec), resolveScaleDownAnalysis(spec)];
  return [...fromSteps, ...others.filter((a) => a !== undefined)];
}

/** A Rollout without a workload releases only feature flags: it has no pods and moves no traffic. */
export function isFlagOnly(spec: RolloutSpec): boolean {
  return spec.workloadRef === undefined;
}

/** A short description of a step for status messages and events, e.g. "setWeight 10%" or "pause until promoted". */
export function describeStep(step: ResolvedStep): string {
  switch (step.kind) {
    case 'setWeight':
      return `setWeight ${step.weight}%`;
    case 'pause':
      return step.durationMs === undefined ? 'pause until promoted' : `pause ${formatDuration(step.durationMs)}`;
    case 'analysis':
      return `analysis ${step.analysis.templates.map((t) => t.templateName).join(', ')}`;
    case 'setFlag':
      return `setFlag ${step.flag.name} to ${step.flag.rollout}%`;
    case 'setHeaderRoute':
    case 'setMirrorRoute':
      return step.route === undefined ? `remove route ${step.name}` : describeRoute(step.route);
    case 'preview':
      return `preview on Service ${step.service}${step.replicas === undefined ? '' : ` with ${step.replicas} pod(s)`}`;
    case 'switch':
      return `switch Service ${step.service} to the new revision`;
  }
}
