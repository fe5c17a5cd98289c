/**
 * One analysis run (a step's, or the background one) from its metrics: its phase, its message for humans, and
 * the verdict the planner acts on. Pure. Dry-run metrics are measured and shown but never decide the verdict.
 */
import type { AnalysisRunStatus, MetricResult } from '../api/types.ts';
import type { GateVerdict } from '../planner/world.ts';
import { describeMetric, isFinished, type MetricPlan } from './metric.ts';

export type RunPhase = AnalysisRunStatus['phase'];

export interface PlannedMetric {
  plan: MetricPlan;
  result: MetricResult;
}

/** A run in one of these phases takes no more measurements and keeps its verdict. */
export function isRunFinished(phase: RunPhase): boolean {
  return phase === 'Successful' || phase === 'Failed' || phase === 'Inconclusive' || phase === 'Error';
}

/** The gating metric that decided the run, if one has: a failure first, then an error, then an inconclusive. */
function decider(metrics: readonly PlannedMetric[]): PlannedMetric | undefined {
  const gating = metrics.filter((m) => !m.plan.dryRun);
  for (const phase of ['Failed', 'Error', 'Inconclusive'] as const) {
    const found = gating.find((m) => m.result.phase === phase);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Failed, Error or Inconclusive as soon as one gating metric is; Successful once every metric has finished
 * (gating ones all Successful, as nothing else is left); otherwise Running, or Pending before any measurement.
 */
export function runPhase(metrics: readonly PlannedMetric[]): RunPhase {
  const decided = decider(metrics);
  if (decided !== undefined) return decided.result.phase;
  if (metrics.length > 0 && metrics.every((m) => isFinished(m.result.phase))) return 'Successful';
  return metrics.some((m) => m.result.count > 0) ? 'Running' : 'Pending';
}

function describe(m: PlannedMetric): string {
  return `${describeMetric(m.result, m.plan)}${m.plan.dryRun ? ' (dry run, not gating)' : ''}`;
}

/** The run's message: why it ended, or where each metric stands. */
export function describeRun(metrics: readonly PlannedMetric[]): string {
  const decided = decider(metrics);
  if (decided !== undefined) {
    const others = metrics.filter(
      (m) => m !== decided && !m.plan.dryRun && ['Failed', 'Error', 'Inconclusive'].includes(m.result.phase),
    ).length;
    return `${describeMetric(decided.result, decided.plan)}${others > 0 ? ` (and ${others} more ${others === 1 ? 'metric' : 'metrics'})` : ''}`;
  }
  if (runPhase(metrics) === 'Successful') {
    const summary = metrics
      .map(
        (m) =>
          `${m.result.name} ${m.result.successful}/${m.result.successful + m.result.failed + m.result.inconclusive}`,
      )
      .join(', ');
    const dry = metrics.filter((m) => m.plan.dryRun && m.result.phase !== 'Successful').map(describe);
    return `all metrics passed (${summary})${dry.length > 0 ? `; ${dry.join('; ')}` : ''}`;
  }
  return `analysis running: ${metrics.map((m) => (m.result.count === 0 && m.plan.initialDelayMs > 0 ? `${m.result.name} waits initialDelay` : describe(m))).join('; ')}`;
}

/** What the planner sees: done, running (with when to look again), inconclusive or failed. */
export function verdictOf(phase: RunPhase, message: string, requeueAfterMs: number | undefined): GateVerdict {
  switch (phase) {
    case 'Successful':
      return { kind: 'done', message };
    case 'Failed':
    case 'Error':
      return { kind: 'failed', message };
    case 'Inconclusive':
      return { kind: 'inconclusive', message };
    case 'Pending':
    case 'Running':
      return requeueAfterMs === undefined ? { kind: 'running', message } : { kind: 'running', message, requeueAfterMs };
  }
}
