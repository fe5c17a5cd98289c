/**
 * Turns a cached Rollout into what the dashboard shows: a list row, or the detail view with its steps, analysis
 * (each metric's measurements beside the thresholds read from its template), flags, Events and weight history.
 * `detailOf` and `summarize` are pure; `rolloutViews` reads them from the caches and the in-memory records.
 */
import { explainMeasurement, explainMetric } from '../analysis/verdictExplanation.ts';
import { scaleDownRunName } from '../api/steps.ts';
import { analysisRunTitle, shownSteps, stepCount, stepState, strategyOf, type ShownStep } from '../api/progress.ts';
import type {
  AnalysisRunStatus,
  AnalysisTemplate,
  AnalysisTemplateSpec,
  ClusterAnalysisTemplate,
  Metric,
  MetricResult,
  Rollout,
} from '../api/types.ts';
import type { ObjectCache } from '../reconcile/caches.ts';
import type { WeightHistory, WeightSeries } from './weightHistory.ts';
import {
  compareSummaries,
  type AnalysisRunView,
  type BlueGreenView,
  type DashboardAction,
  type EventView,
  type MetricView,
  type RolloutDetail,
  type RolloutSummary,
} from './model.ts';
import type { RecentEvents } from './recentEvents.ts';
import { thresholdsOf } from './thresholds.ts';

export function keyOfRollout(r: Rollout): string {
  return `${r.metadata.namespace ?? ''}/${r.metadata.name ?? ''}`;
}

export function summarize(r: Rollout): RolloutSummary {
  const s = r.status ?? {};
  const total = stepCount(r.spec);
  return {
    key: keyOfRollout(r),
    namespace: r.metadata.namespace ?? '',
    name: r.metadata.name ?? '',
    strategy: strategyOf(r.spec),
    phase: s.phase ?? '',
    message: s.message ?? '',
    step: { current: Math.min((s.currentStepIndex ?? 0) + 1, total), total },
    canaryWeight: s.weights?.canary ?? 0,
    createdAt:
      r.metadata.creationTimestamp === undefined ? undefined : new Date(r.metadata.creationTimestamp).toISOString(),
    paused: r.spec.paused === true,
    aborted: s.abort === true,
  };
}

export interface DetailSources {
  analysisTemplate: (namespace: string, name: string) => AnalysisTemplateSpec | undefined;
  clusterAnalysisTemplate: (name: string) => AnalysisTemplateSpec | undefined;
  events: EventView[];
  weightHistory: WeightSeries;
}

export function detailOf(r: Rollout, sources: DetailSources): RolloutDetail {
  const s = r.status ?? {};
  const summary = summarize(r);
  const steps = shownSteps(r.spec);
  return {
    ...summary,
    stableRevision: s.stableRevision,
    canaryRevision: s.canaryRevision,
    stableWeight: s.weights?.stable ?? 100,
    steps: steps.map((step) => ({
      index: step.index,
      kind: step.kind,
      text: step.text,
      state: stepState(step.index, s.currentStepIndex),
    })),
    blueGreen: blueGreenOf(r),
    scaleDown: (s.scaleDown ?? []).map((w) => ({ revision: w.revision, scaleDownAt: w.scaleDownAt })),
    pauseReasons: (s.pauseConditions ?? []).map((p) => p.reason),
    conditions: (s.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
    })),
    analysis: (s.analysis?.runs ?? []).map((run) => runView(r, steps, run, sources)),
    flags: (s.flags ?? []).map((f) => ({
      name: f.name,
      project: f.project,
      environment: f.environment,
      rollout: f.rollout,
      previousEnabled: f.previousEnabled,
      previousRollout: f.previousRollout,
      onAbort: f.onAbort,
    })),
    events: sources.events,
    weightHistory: sources.weightHistory,
    applicableActions: applicableActions(r),
  };
}

/** The Services blue-green points and where they point now; undefined for a canary. */
function blueGreenOf(r: Rollout): BlueGreenView | undefined {
  const spec = r.spec.strategy.blueGreen;
  if (spec === undefined) return undefined;
  const s = r.status?.blueGreen;
  return {
    activeService: spec.activeService,
    previewService: spec.previewService,
    phase: s?.phase ?? '',
    activeRevision: s?.activeRevision,
    previewRevision: s?.previewRevision,
    switchedAt: s?.switchedAt,
  };
}

function inFlight(r: Rollout): boolean {
  const s = r.status;
  if (s === undefined) return false;
  if (s.phase === 'Progressing' || s.phase === 'Paused') return true;
  return s.canaryRevision !== undefined && s.canaryRevision !== s.stableRevision && s.abort !== true;
}

/** What makes sense to press now; the controller still decides (and reports a request it cannot take). */
export function applicableActions(r: Rollout): DashboardAction[] {
  const actions: DashboardAction[] = [];
  const flying = inFlight(r) && r.status?.abort !== true;
  if (flying) actions.push('promote', 'promote-full', 'abort');
  if (r.status?.abort === true) actions.push('retry');
  actions.push(r.spec.paused === true ? 'resume' : 'pause');
  return actions;
}

/**
 * The templates an analysis run measured: its step's (a canary's, or blue-green's pre- or post-promotion analysis),
 * or the background analysis's.
 */
function templateRefsOf(
  r: Rollout,
  steps: readonly ShownStep[],
  run: AnalysisRunStatus,
): { templateName: string; clusterScope?: boolean }[] {
  if (run.name === scaleDownRunName) return r.spec.strategy.canary?.scaleDownWhen?.analysis.templates ?? [];
  if (run.stepIndex === undefined) return r.spec.strategy.canary?.analysis?.templates ?? [];
  const step = steps[run.stepIndex]?.resolved;
  return step?.kind === 'analysis' ? step.analysis.templates : [];
}

function findMetric(
  r: Rollout,
  steps: readonly ShownStep[],
  run: AnalysisRunStatus,
  name: string,
  sources: DetailSources,
): Metric | undefined {
  for (const ref of templateRefsOf(r, steps, run)) {
    const spec =
      ref.clusterScope === true
        ? sources.clusterAnalysisTemplate(ref.templateName)
        : sources.analysisTemplate(r.metadata.namespace ?? '', ref.templateName);
    const metric = spec?.metrics.find((m) => m.name === name);
    if (metric !== undefined) return metric;
  }
  return undefined;
}

function runView(
  r: Rollout,
  steps: readonly ShownStep[],
  run: AnalysisRunStatus,
  sources: DetailSources,
): AnalysisRunView {
  return {
    name: run.name,
    title: analysisRunTitle(steps, run),
    stepIndex: run.stepIndex,
    revision: run.revision,
    phase: run.phase,
    message: run.message,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    metrics: run.metrics.map((m) => metricView(m, findMetric(r, steps, run, m.name, sources))),
  };
}

function metricView(result: MetricResult, metric: Metric | undefined): MetricView {
  const compare = metric?.compare;
  const conditions = { successCondition: metric?.successCondition, failureCondition: metric?.failureCondition };
  return {
    name: result.name,
    phase: result.phase,
    dryRun: result.dryRun === true,
    count: result.count,
    successful: result.successful,
    failed: result.failed,
    inconclusive: result.inconclusive,
    errors: result.errors,
    successCondition: metric?.successCondition,
    failureCondition: metric?.failureCondition,
    compare:
      compare === undefined
        ? undefined
        : [
            compare.method ?? 'mannWhitney',
            compare.direction ?? 'either',
            `confidence ${compare.confidence ?? 0.98}`,
          ].join(', '),
    thresholds: [
      ...thresholdsOf(metric?.successCondition, 'success'),
      ...thresholdsOf(metric?.failureCondition, 'failure'),
    ],
    explanation: explainMetric(result, conditions),
    measurements: result.measurements.map((m) => {
      const value = m.value === undefined || m.value.trim() === '' ? NaN : Number(m.value);
      return {
        phase: m.phase,
        value: Number.isFinite(value) ? value : null,
        text: m.value,
        message: m.message,
        explanation: explainMeasurement(m, conditions),
        startedAt: m.startedAt,
        finishedAt: m.finishedAt,
      };
    }),
  };
}

/** The caches and in-memory records the views are built from. */
export interface ViewSources {
  rollouts: ObjectCache<Rollout>;
  analysisTemplates: ObjectCache<AnalysisTemplate>;
  clusterAnalysisTemplates: ObjectCache<ClusterAnalysisTemplate>;
  history: WeightHistory;
  events: RecentEvents;
}

/** Everything the server and the stream read, from the informer caches (no API call). */
export interface RolloutViews {
  summaries(): RolloutSummary[];
  summary(key: string): RolloutSummary | undefined;
  detail(key: string): RolloutDetail | undefined;
  rollout(key: string): Rollout | undefined;
}

/** "shop/checkout" -> ["shop", "checkout"] */
export function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return slash === -1 ? ['', key] : [key.slice(0, slash), key.slice(slash + 1)];
}

export function rolloutViews(sources: ViewSources): RolloutViews {
  const rollout = (key: string) => {
    const [namespace, name] = splitKey(key);
    return sources.rollouts.get(namespace, name);
  };
  return {
    rollout,
    summaries: () => sources.rollouts.list().map(summarize).sort(compareSummaries),
    summary(key) {
      const r = rollout(key);
      return r === undefined ? undefined : summarize(r);
    },
    detail(key) {
      const r = rollout(key);
      if (r === undefined) return undefined;
      return detailOf(r, {
        analysisTemplate: (ns, template) => sources.analysisTemplates.get(ns, template)?.spec,
        clusterAnalysisTemplate: (template) => sources.clusterAnalysisTemplates.get(undefined, template)?.spec,
        events: sources.events.of(key, r.metadata.uid),
        weightHistory: sources.history.get(key),
      });
    },
  };
}
