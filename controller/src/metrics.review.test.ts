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

  // review: the outcome series are per namespace and never deleted (metrics.ts says "the series count follows the
  // namespaces"), but nothing removes a namespace's series when its last Rollout goes. With a namespace per pull
  // request (preview environments, a common pattern), every namespace that ever released adds ~19 series
  // (outcomes, 17 for the duration histogram, analysis runs) for the life of the process, and a tenant who may
  // create namespaces grows the controller's memory and the scrape without bound. Prometheus keeps the history
  // already exported; the registry need not.
  it("forgets a namespace's outcome series once its last Rollout is forgotten", async () => {
    const metrics = createMetrics({ version: 'test' });
    metrics.setCanaryWeight('pr-123', 'checkout', 20);
    metrics.countTransition('pr-123', { outcome: 'promoted', durationSeconds: 60, analysisRuns: ['Successful'] });
    metrics.forgetRollout('pr-123', 'checkout');
    expect(await metrics.registry.metrics()).not.toMatch(/namespace="pr-123"/);
  });
});
