/**
 * Review test of the outcome counters (metrics.ts): fails on the current code, passes once the defect in its
 * `// review:` comment is fixed.
 */
import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.ts';

describe('review: outcome counters as Prometheus reads them', () => {
  // review: sluice_rollout_outcomes_total (and sluice_analysis_runs_total, sluice_rollout_duration_seconds) are
  // labelled counters that prom-client creates at their first increment, so a (namespace, outcome) series first
  // appears with the value 1. Prometheus's increase() - which every rule in examples/prometheus/sluice-outcomes.yaml
  // uses - has no earlier sample to subtract from, and counts the 0 -> 1 step as nothing. Every controller restart
  // and every leader change loses the first promotion and the first abort of each namespace: a team with one abort
  // a week reads a change-failure rate of 0. (The rules' promtool test feeds series that start at 0 - `0+3x48` -
  // which this controller never exports, so it cannot see this.) The usual remedy is to expose each namespace's
  // outcome series at 0 as soon as the controller handles a Rollout there, before anything ends.
  it("exposes a namespace's outcome series at 0 once a Rollout there is reconciled, before the first outcome", async () => {
    const metrics = createMetrics({ version: 'test' });
    metrics.setCanaryWeight('shop', 'checkout', 20); // what onPlanned reports for every Rollout it plans
    const text = await metrics.registry.metrics();
    for (const outcome of ['promoted', 'aborted_analysis', 'aborted_user', 'deadline'])
      expect(text, outcome).toContain(`sluice_rollout_outcomes_total{namespace="shop",outcome="${outcome}"} 0`);
  });
});
