/**
 * Hostile-review tests for spec.rollbackWindow (issue 16): the background analysis is the only thing between a
 * rollback that skipped every step and all users, so it must have measured something before the rollback is
 * promoted. No data is never a pass.
 */
import { describe, expect, it } from 'vitest';
import type { AnalysisRunStatus, MetricResult, RolloutSpec } from '../api/types.ts';
import { baseSpec, release, SimCluster } from './fixtures.test-support.ts';

const spec: RolloutSpec = baseSpec({
  rollbackWindow: { revisions: 2 },
  strategy: {
    canary: {
      steps: [{ setWeight: 20 }, { pause: { duration: '2s' } }, { setWeight: 60 }, { pause: {} }],
      analysis: { templates: [{ templateName: 'shadow-latency' }] },
    },
  },
});

const metric = (overrides: Partial<MetricResult>): MetricResult => ({
  name: 'latency',
  phase: 'Pending',
  count: 0,
  successful: 0,
  failed: 0,
  inconclusive: 0,
  errors: 0,
  consecutiveErrors: 0,
  measurements: [],
  ...overrides,
});

const run = (revision: string, metrics: MetricResult[]): AnalysisRunStatus[] => [
  { name: 'background', revision, phase: 'Pending', startedAt: '2026-11-29T03:00:00Z', metrics },
];

/** rev-a then rev-b released; the template goes back to rev-a: a rollback within the window, pods ready. */
function rollingBack(metrics: MetricResult[]): SimCluster {
  const sim = new SimCluster(spec);
  sim.converge();
  sim.backgroundVerdict = { kind: 'running', message: 'analysis running' };
  release(sim, 'rev-b');
  sim.templateRevision = 'rev-a';
  sim.analysisRuns = run('rev-a', metrics);
  sim.backgroundVerdict = { kind: 'running', message: 'analysis running: latency waits initialDelay' };
  sim.converge(40);
  return sim;
}

describe('a rollback within the window whose background analysis has measured nothing', () => {
  // Defect (planner/rollbackWindow.ts analysisWait: `metrics.every((m) => m.dryRun === true || m.successful > 0)`).
  // When every metric of the background analysis is dryRun, the condition is vacuously true: the rollback, whose
  // steps were all skipped, is promoted the moment its pods are ready, with zero measurements taken (count 0, the
  // run still Pending). The user configured an analysis and the status message promised "stable once background
  // analysis has passed"; nothing was measured, so nothing passed. A dry-run metric must not gate, but it must not
  // pass a rollback on no data either: hold until some measurement exists (or say plainly that nothing gates).
  it('is not promoted when every metric is a dry run that has taken no measurement', () => {
    const sim = rollingBack([metric({ dryRun: true })]);
    expect(sim.rollout.status?.canaryRevision).toBe('rev-a');
    expect(sim.rollout.status?.stableRevision).toBe('rev-b');
    expect(sim.rollout.status?.rollbackWithinWindow).toBe(true);
  });

  it('(control) is held while a gating metric has taken no measurement', () => {
    const sim = rollingBack([metric({})]);
    expect(sim.rollout.status?.stableRevision).toBe('rev-b');
    expect(sim.rollout.status?.rollbackWithinWindow).toBe(true);
  });

  it('is promoted once a dry-run metric has taken a measurement (nothing gates it, but it was looked at)', () => {
    const sim = rollingBack([metric({ dryRun: true })]);
    expect(sim.rollout.status?.message).toContain('no metric gates it');
    sim.analysisRuns = run('rev-a', [metric({ dryRun: true, count: 1, failed: 1, phase: 'Running' })]);
    sim.converge(40);
    expect(sim.rollout.status?.stableRevision).toBe('rev-a');
  });
});
