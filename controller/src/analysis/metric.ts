/**
 * The bookkeeping of one metric, in the status's own terms (MetricResult): when the next measurement is due,
 * what a measurement changes, and what the metric's verdict is. Pure: status holds everything, so a restarted
 * controller picks up exactly where the last one stopped.
 *
 * Only decisive measurements (Successful, Failed, Inconclusive) count towards `count`: an Error is retried at
 * the next interval, and consecutiveErrorLimit bounds how often in a row. So a metric whose every measurement
 * errored can never be Successful (Argo #4479), and a metric is only Successful with at least one success.
 */
import type { TSchema } from 'typebox';
import { metric as metricSchema } from '../api/analysis.schema.ts';
import { parseDuration } from '../api/duration.ts';
import { maxMeasurementsPerMetric } from '../api/rolloutStatus.schema.ts';
import type { Measurement, Metric, MetricResult } from '../api/types.ts';

export type AnalysisKind = 'step' | 'background';
export type MetricPhase = MetricResult['phase'];

/** A metric's spec with defaults applied and durations parsed. */
export interface MetricPlan {
  name: string;
  intervalMs: number;
  /** Decisive measurements to take; undefined: measure until the analysis stops (background without count). */
  count: number | undefined;
  initialDelayMs: number;
  failureLimit: number;
  inconclusiveLimit: number;
  consecutiveErrorLimit: number;
  /** Successful measurements in a row that end the metric as Successful; undefined: only count ends it. */
  consecutiveSuccessLimit?: number;
  dryRun: boolean;
}

function schemaDefault<T>(schema: TSchema): T {
  const value = (schema as { default?: unknown }).default;
  if (value === undefined) throw new Error('schema has no default: analysis.schema.ts and metric.ts disagree');
  return value as T;
}

const props = metricSchema.properties;
const defaults = {
  interval: schemaDefault<string>(props.interval),
  failureLimit: schemaDefault<number>(props.failureLimit),
  inconclusiveLimit: schemaDefault<number>(props.inconclusiveLimit),
  consecutiveErrorLimit: schemaDefault<number>(props.consecutiveErrorLimit),
  dryRun: schemaDefault<boolean>(props.dryRun),
};

/**
 * Applies the defaults: count omitted is one measurement in an analysis step and "until the rollout finishes"
 * in background analysis. Throws DurationError, naming `field`, for a duration the schema should have refused.
 */
export function planMetric(metric: Metric, kind: AnalysisKind, field = `metrics[${metric.name}]`): MetricPlan {
  return {
    name: metric.name,
    intervalMs: parseDuration(metric.interval ?? defaults.interval, `${field}.interval`),
    // A streak to wait for, without a count: measure until it comes (or a limit ends the metric).
    count: metric.count ?? (kind === 'step' && metric.consecutiveSuccessLimit === undefined ? 1 : undefined),
    initialDelayMs: metric.initialDelay === undefined ? 0 : parseDuration(metric.initialDelay, `${field}.initialDelay`),
    failureLimit: metric.failureLimit ?? defaults.failureLimit,
    inconclusiveLimit: metric.inconclusiveLimit ?? defaults.inconclusiveLimit,
    consecutiveErrorLimit: metric.consecutiveErrorLimit ?? defaults.consecutiveErrorLimit,
    ...(metric.consecutiveSuccessLimit === undefined
      ? {}
      : { consecutiveSuccessLimit: metric.consecutiveSuccessLimit }),
    dryRun: metric.dryRun ?? defaults.dryRun,
  };
}

export function newMetricResult(plan: MetricPlan): MetricResult {
  return {
    name: plan.name,
    phase: 'Pending',
    ...(plan.dryRun ? { dryRun: true } : {}),
    count: 0,
    successful: 0,
    failed: 0,
    inconclusive: 0,
    errors: 0,
    consecutiveErrors: 0,
    measurements: [],
  };
}

/** A metric in one of these phases takes no more measurements. */
export function isFinished(phase: MetricPhase): boolean {
  return phase === 'Successful' || phase === 'Failed' || phase === 'Inconclusive' || phase === 'Error';
}

function decisive(r: MetricResult): number {
  return r.successful + r.failed + r.inconclusive;
}

/** The metric's phase from its counts; limits are checked before the count, so a breach ends it at once. */
export function metricPhase(r: MetricResult, plan: MetricPlan): MetricPhase {
  if (r.failed > plan.failureLimit) return 'Failed';
  if (r.consecutiveErrors > plan.consecutiveErrorLimit) return 'Error';
  if (r.inconclusive > plan.inconclusiveLimit) return 'Inconclusive';
  const streak = plan.consecutiveSuccessLimit;
  if (streak !== undefined && streak > 0 && (r.consecutiveSuccesses ?? 0) >= streak) return 'Successful';
  if (plan.count !== undefined && decisive(r) >= plan.count) {
    // The streak asked for is the pass: a count that runs out before it (or a streak longer than the count, which
    // validation refuses) is no pass; a person decides, as for too many inconclusive measurements.
    if (streak !== undefined) return r.failed > 0 && r.successful === 0 ? 'Failed' : 'Inconclusive';
    // Within every limit, but a metric never passes without one passing measurement.
    if (r.successful > 0) return 'Successful';
    return r.failed > 0 ? 'Failed' : 'Inconclusive';
  }
  return r.count === 0 ? 'Pending' : 'Running';
}

/** When the next measurement is due: initialDelay after the run started, then interval after the last one. */
export function nextMeasurementAt(r: MetricResult, plan: MetricPlan, runStartedAt: Date): Date | undefined {
  if (isFinished(r.phase)) return undefined;
  const last = r.measurements.at(-1);
  if (last === undefined) return new Date(runStartedAt.getTime() + plan.initialDelayMs);
  return new Date(Date.parse(last.startedAt) + plan.intervalMs);
}

/** Records a measurement: counts, the error streak, the newest maxMeasurementsPerMetric measurements, the phase. */
export function applyMeasurement(r: MetricResult, m: Measurement, plan: MetricPlan): MetricResult {
  const next: MetricResult = {
    ...r,
    count: r.count + 1,
    successful: r.successful + (m.phase === 'Successful' ? 1 : 0),
    failed: r.failed + (m.phase === 'Failed' ? 1 : 0),
    inconclusive: r.inconclusive + (m.phase === 'Inconclusive' ? 1 : 0),
    errors: r.errors + (m.phase === 'Error' ? 1 : 0),
    consecutiveErrors: m.phase === 'Error' ? r.consecutiveErrors + 1 : 0,
    // An error is retried and neither breaks nor extends a streak of successes.
    ...(plan.consecutiveSuccessLimit === undefined
      ? {}
      : {
          consecutiveSuccesses:
            m.phase === 'Successful'
              ? (r.consecutiveSuccesses ?? 0) + 1
              : m.phase === 'Error'
                ? (r.consecutiveSuccesses ?? 0)
                : 0,
        }),
    measurements: [...r.measurements, m].slice(-maxMeasurementsPerMetric),
  };
  return { ...next, phase: metricPhase(next, plan) };
}

function times(n: number): string {
  return n === 1 ? '1 time' : `${n} times`;
}

function lastWith(r: MetricResult, phase: Measurement['phase']): Measurement | undefined {
  return r.measurements.findLast((m) => m.phase === phase);
}

function measured(m: Measurement | undefined): string {
  if (m === undefined) return '';
  const value = m.value ?? 'nothing';
  return m.message === undefined ? `measured ${value}` : `measured ${value} (${m.message})`;
}

/** Splits "<what happened>: <detail>" as PrometheusProvider writes its error messages. */
function splitError(message: string): [string, string] {
  const at = message.indexOf(': ');
  return at < 0 ? [message, ''] : [message.slice(0, at), message.slice(at + 2)];
}

/** "Prometheus at http://... was unreachable 5 times in a row: connect ECONNREFUSED ..." */
function describeErrors(r: MetricResult, plan: MetricPlan): string {
  const streak = r.measurements.slice(-Math.max(1, r.consecutiveErrors));
  const last = streak.at(-1)?.message ?? 'no message';
  const [what, detail] = splitError(last);
  const limit = `consecutiveErrorLimit ${plan.consecutiveErrorLimit}`;
  // "Prometheus at <address> was unreachable" reads right with "5 times in a row"; other messages are quoted whole.
  if (what.startsWith('Prometheus at ') && streak.every((m) => splitError(m.message ?? '')[0] === what)) {
    return `metric ${r.name}: ${what} ${r.consecutiveErrors} times in a row${detail === '' ? '' : `: ${detail}`} (${limit})`;
  }
  return `metric ${r.name} errored ${r.consecutiveErrors} times in a row (${limit}); last: ${last}`;
}

function progress(r: MetricResult, plan: MetricPlan): string {
  const taken = plan.count === undefined ? `${decisive(r)} measurements` : `${decisive(r)}/${plan.count} measurements`;
  const errors =
    r.consecutiveErrors === 0
      ? ''
      : `, ${r.consecutiveErrors} ${r.consecutiveErrors === 1 ? 'error' : 'errors'} in a row`;
  return `${taken}, ${r.failed} failed${errors}`;
}

/** A sentence for status and events saying where the metric stands and, once it has failed, why. */
export function describeMetric(r: MetricResult, plan: MetricPlan): string {
  switch (r.phase) {
    case 'Failed': {
      const m = measured(lastWith(r, 'Failed'));
      if (r.failed > plan.failureLimit)
        return `metric ${r.name} failed: ${m} ${times(r.failed)}, failureLimit ${plan.failureLimit}`;
      return `metric ${r.name} failed: none of ${decisive(r)} measurements passed; last ${m}`;
    }
    case 'Error':
      return describeErrors(r, plan);
    case 'Inconclusive': {
      const m = measured(lastWith(r, 'Inconclusive'));
      if (r.inconclusive > plan.inconclusiveLimit) {
        return `metric ${r.name} inconclusive: ${m} ${times(r.inconclusive)}, inconclusiveLimit ${plan.inconclusiveLimit}`;
      }
      if (plan.consecutiveSuccessLimit !== undefined && r.successful > 0)
        return `metric ${r.name} inconclusive: ${decisive(r)} measurements without ${plan.consecutiveSuccessLimit} successes in a row (consecutiveSuccessLimit); last ${measured(r.measurements.at(-1))}`;
      return `metric ${r.name} inconclusive: none of ${decisive(r)} measurements passed; last ${m}`;
    }
    case 'Successful':
      return `metric ${r.name} passed (${r.successful}/${decisive(r)} measurements successful)`;
    case 'Pending':
    case 'Running':
      return `${r.name} ${progress(r, plan)}`;
  }
}
