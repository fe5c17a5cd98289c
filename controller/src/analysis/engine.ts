/**
 * The analysis engine: given the Rollout, the clock, the runs recorded in status, the analyses that should be
 * running now and the measurements that have finished in the background, it returns the new runs for status, a
 * verdict per active run for the planner, the measurements that are due (to be taken in the background: see
 * reconcile/background.ts), and when to look again. Pure and synchronous: no Prometheus call and no Secret read
 * ever stands between a reconcile and its plan. All state lives in status (level-based): a restarted controller
 * carries each run on from where it stood and takes the measurement it was taking again. A run carries over only
 * for the same name and revision; a new canary revision starts fresh. Runs that are no longer active keep their
 * final state but measure nothing.
 */
import { maxAnalysisRuns, maxMetricsPerRun } from '../api/rolloutStatus.schema.ts';
import { DurationError } from '../api/duration.ts';
import type { ResolvedAnalysis } from '../api/steps.ts';
import type { AnalysisRunStatus, AnalysisTemplateSpec, Rollout } from '../api/types.ts';
import type { TemplateLookup } from '../api/validate.ts';
import type { GateVerdict } from '../planner/world.ts';
import type { AnalysisArg, Measurement } from '../api/types.ts';
import { templateLabel, truncate } from './errors.ts';
import { applyMeasurement, newMetricResult, nextMeasurementAt, planMetric } from './metric.ts';
import { describeRun, isRunFinished, runPhase, verdictOf, type PlannedMetric } from './run.ts';

export interface ActiveAnalysis {
  /** "step-<index>" for an analysis step, "background" for the background analysis, "scale-down" after a promotion. */
  name: string;
  /** Index of the analysis step; absent for background analysis. */
  stepIndex?: number;
  /** The canary revision being judged (the previous stable one for the scale-down analysis). */
  revision: string;
  analysis: ResolvedAnalysis;
}

export interface AnalysisInput {
  rollout: Rollout;
  now: Date;
  /** status.analysis.runs as last written (empty when there is none). */
  runs: readonly AnalysisRunStatus[];
  /** The analyses that should be measuring now. */
  active: readonly ActiveAnalysis[];
}

/** A measurement that is due: everything the background needs to take it, and the id its outcome is kept under. */
export interface DueMeasurement {
  /** "<run>/<revision>/<run start>/<metric>/<index>": the index-th measurement of the metric in that run. */
  id: string;
  /** The run it belongs to (its name and revision): the reconciler submits a canary's and a drain's differently. */
  run: { name: string; revision: string };
  metric: AnalysisTemplateSpec['metrics'][number];
  /** The template's declared args and the values the Rollout passes: resolved (Secrets read) in the background. */
  templateArgs: AnalysisTemplateSpec['args'];
  passedArgs: readonly AnalysisArg[];
  /** "AnalysisTemplate shop/error-rate" or "ClusterAnalysisTemplate error-rate". */
  template: string;
  /** ClusterAnalysisTemplates are written by cluster admins; namespaced ones by the Rollout's team. */
  clusterScope: boolean;
  /** Where the Rollout passes args, for messages. */
  argsField: string;
  /** Where the metric is defined, for messages. */
  field: string;
}

/** What the background has made of a measurement so far. */
export type MeasurementState = Measurement | 'measuring' | undefined;

export interface AnalysisDeps {
  templates: TemplateLookup;
  /** The finished measurement with this id, 'measuring' while it runs, undefined when it was not asked for. */
  measurement: (id: string) => MeasurementState;
}

export interface AnalysisOutcome {
  /** The runs to write to status.analysis.runs: newest last, at most maxAnalysisRuns. */
  runs: AnalysisRunStatus[];
  /** A verdict per active run, by run name. */
  verdicts: Map<string, GateVerdict>;
  /** Time until the next measurement of any active run is due; undefined when none is. */
  requeueAfterMs: number | undefined;
  /** Measurements due now and not finished: the reconciler asks the background to take them. */
  due: DueMeasurement[];
}

/** Never requeue sooner than this: a measurement that is already due again is taken on the next pass. */
const minRequeueMs = 500;

/** The run name status uses for an analysis step (by index) or the background analysis. */
export function analysisRunName(stepIndex: number | undefined): string {
  return stepIndex === undefined ? 'background' : `step-${stepIndex}`;
}

/** Splits the engine's verdicts into the planner's ObservedWorld fields (the scale-down run's is read from status). */
export function splitVerdicts(verdicts: ReadonlyMap<string, GateVerdict>): {
  stepVerdicts: Map<number, GateVerdict>;
  backgroundVerdict: GateVerdict | undefined;
} {
  const stepVerdicts = new Map<number, GateVerdict>();
  for (const [name, verdict] of verdicts) {
    const m = /^step-(\d+)$/.exec(name);
    if (m !== null) stepVerdicts.set(Number(m[1]), verdict);
  }
  return { stepVerdicts, backgroundVerdict: verdicts.get('background') };
}

interface TemplateMetrics {
  metrics: (PlannedMetric & {
    field: string;
    template: string;
    clusterScope: boolean;
    templateArgs: AnalysisTemplateSpec['args'];
    spec: AnalysisTemplateSpec['metrics'][number];
  })[];
  /** Why the run cannot measure at all (a missing template), if so. */
  blocked?: string;
}

/** The run's metrics from its templates, each with its plan, its result so far and its template's args. */
function metricsOf(
  active: ActiveAnalysis,
  run: AnalysisRunStatus,
  rollout: Rollout,
  deps: Pick<AnalysisDeps, 'templates'>,
): TemplateMetrics {
  const namespace = rollout.metadata.namespace ?? 'default';
  // A scale-down analysis ends as a step's does (count defaults to 1): only a finished run can say "drained".
  const kind = active.name === analysisRunName(undefined) ? 'background' : 'step';
  const out: TemplateMetrics['metrics'] = [];
  const seen = new Set<string>();
  for (const ref of active.analysis.templates) {
    const label = templateLabel(ref, namespace);
    const spec = ref.clusterScope
      ? deps.templates.clusterAnalysisTemplate(ref.templateName)
      : deps.templates.analysisTemplate(namespace, ref.templateName);
    if (spec === undefined)
      return { metrics: [], blocked: `waiting for ${label}, which does not exist: create it or fix the templateName` };
    for (const [i, metric] of spec.metrics.entries()) {
      // Results are kept by metric name; validate.ts reports two templates defining one name.
      if (seen.has(metric.name)) continue;
      seen.add(metric.name);
      const field = `${label} spec.metrics[${i}]`;
      let plan;
      try {
        plan = planMetric(metric, kind, field);
      } catch (err) {
        if (err instanceof DurationError) return { metrics: [], blocked: err.message };
        throw err;
      }
      const previous = run.metrics.find((r) => r.name === metric.name);
      const result = previous === undefined ? newMetricResult(plan) : { ...previous };
      if (plan.dryRun) result.dryRun = true;
      else delete result.dryRun;
      out.push({
        plan,
        result,
        field,
        template: label,
        clusterScope: ref.clusterScope === true,
        templateArgs: spec.args,
        spec: metric,
      });
    }
  }
  if (out.length > maxMetricsPerRun) {
    return {
      metrics: [],
      blocked: `this analysis has ${out.length} metrics but status holds at most ${maxMetricsPerRun} per run: split its templates over two analysis steps`,
    };
  }
  return { metrics: out };
}

interface RunOutcome {
  run: AnalysisRunStatus;
  verdict: GateVerdict;
  nextDueAt: number | undefined;
  due: DueMeasurement[];
}

function evaluateRun(
  active: ActiveAnalysis,
  previous: AnalysisRunStatus | undefined,
  input: AnalysisInput,
  deps: AnalysisDeps,
): RunOutcome {
  const run: AnalysisRunStatus = previous ?? {
    name: active.name,
    ...(active.stepIndex === undefined ? {} : { stepIndex: active.stepIndex }),
    revision: active.revision,
    phase: 'Pending',
    startedAt: input.now.toISOString(),
    metrics: [],
  };
  if (isRunFinished(run.phase))
    return { run, verdict: verdictOf(run.phase, run.message ?? run.phase, undefined), nextDueAt: undefined, due: [] };

  const { metrics, blocked } = metricsOf(active, run, input.rollout, deps);
  if (blocked !== undefined) {
    const message = truncate(blocked, 1024);
    return { run: { ...run, message }, verdict: { kind: 'running', message }, nextDueAt: undefined, due: [] };
  }

  const runStartedAt = new Date(run.startedAt);
  const due: DueMeasurement[] = [];
  for (const m of metrics) {
    const at = nextMeasurementAt(m.result, m.plan, runStartedAt);
    if (at === undefined || at.getTime() > input.now.getTime()) continue;
    // The index-th measurement of this metric in this run: its outcome is folded in exactly once, because status
    // then holds count index + 1 and the next measurement has another id. The run's start tells a retried run
    // (same name and revision, counts from 0 again) from the one before it.
    const id = `${run.name}/${run.revision}/${run.startedAt}/${m.result.name}/${m.result.count}`;
    const state = deps.measurement(id);
    if (state === undefined || state === 'measuring') {
      if (state === undefined) {
        due.push({
          id,
          run: { name: run.name, revision: run.revision },
          metric: m.spec,
          templateArgs: m.templateArgs,
          passedArgs: active.analysis.args,
          template: m.template,
          clusterScope: m.clusterScope,
          argsField: `${active.analysis.field}.args`,
          field: m.field,
        });
      }
      continue;
    }
    m.result = applyMeasurement(m.result, state, m.plan);
  }

  const phase = runPhase(metrics);
  const message = truncate(describeRun(metrics), 1024);
  const updated: AnalysisRunStatus = { ...run, phase, message, metrics: metrics.map((m) => m.result) };
  if (isRunFinished(phase)) updated.finishedAt = input.now.toISOString();
  const dues = isRunFinished(phase)
    ? []
    : metrics.flatMap((m) => nextMeasurementAt(m.result, m.plan, runStartedAt)?.getTime() ?? []);
  // A measurement under way wakes the key when it ends; only the next one still to come needs a timer.
  const future = dues.filter((t) => t > input.now.getTime());
  const nextDueAt = future.length === 0 ? undefined : Math.min(...future);
  const requeue = nextDueAt === undefined ? undefined : Math.max(minRequeueMs, nextDueAt - input.now.getTime());
  return { run: updated, verdict: verdictOf(phase, message, requeue), nextDueAt, due: isRunFinished(phase) ? [] : due };
}

/**
 * Carries the runs on: folds in the measurements that finished, lists those that are due, and returns the runs
 * for status with a verdict per active run. Never throws for anything a template says.
 */
export function evaluateAnalysis(input: AnalysisInput, deps: AnalysisDeps): AnalysisOutcome {
  const active = input.active.filter((a, i) => input.active.findIndex((b) => b.name === a.name) === i);
  const outcomes = active.map((a) =>
    evaluateRun(
      a,
      input.runs.find((r) => r.name === a.name && r.revision === a.revision),
      input,
      deps,
    ),
  );

  // Previous runs keep their place; a run restarted for a new revision moves to the end (newest last).
  const byName = new Map(outcomes.map((o) => [o.run.name, o.run]));
  const carried = input.runs.filter(
    (r) => !byName.has(r.name) || active.some((a) => a.name === r.name && a.revision === r.revision),
  );
  let runs = [
    ...carried.map((r) => byName.get(r.name) ?? r),
    ...outcomes.map((o) => o.run).filter((r) => !carried.some((c) => c.name === r.name)),
  ];
  const activeNames = new Set(active.map((a) => a.name));
  while (runs.length > maxAnalysisRuns) {
    const oldest = runs.findIndex((r) => !activeNames.has(r.name));
    if (oldest < 0) break;
    runs = runs.filter((_, i) => i !== oldest);
  }

  const dues = outcomes.flatMap((o) => o.nextDueAt ?? []);
  return {
    runs,
    verdicts: new Map(outcomes.map((o) => [o.run.name, o.verdict])),
    requeueAfterMs: dues.length === 0 ? undefined : Math.max(minRequeueMs, Math.min(...dues) - input.now.getTime()),
    due: outcomes.flatMap((o) => o.due),
  };
}
