/**
 * Hostile review of consecutiveSuccessLimit and the scale-down analysis (issue 16): a drain is "confirmed" only by
 * what the user asked for, and the drain analysis measures only a revision that is draining.
 */
import { describe, expect, it } from 'vitest';
import { scaleDownRunName } from '../api/steps.ts';
import type { Measurement, Metric, MetricResult, Rollout } from '../api/types.ts';
import { activeAnalyses } from './active.ts';
import { applyMeasurement, newMetricResult, planMetric, type MetricPlan } from './metric.ts';

const drainMetric: Metric = {
  name: 'old-requests',
  interval: '10s',
  successCondition: 'result < 0.5',
  provider: { prometheus: { address: 'http://prom:9090', query: 'rps{revision="{{args.drainingRevision}}"}' } },
};

function measured(plan: MetricPlan, phases: Measurement['phase'][]): MetricResult {
  const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i * 10)).toISOString();
  return phases.reduce(
    (r, phase, i) => applyMeasurement(r, { phase, value: '0', startedAt: at(i), finishedAt: at(i) }, plan),
    newMetricResult(plan),
  );
}

describe('review: consecutiveSuccessLimit with count', () => {
  it('does not pass a metric whose count ran out before the streak was ever reached', () => {
    // Defect (metric.ts metricPhase): the count branch returns Successful for any passing measurement, so with
    // count 3, consecutiveSuccessLimit 3 and failureLimit 1, "still serving, drained, still serving... drained"
    // (S F S) ends Successful: a scale-down analysis then says "drained" and the old revision is scaled to 0 at
    // once although the streak the user asked for never happened (Argo Rollouts does not pass it either). The
    // same holds for an analysis step gating a canary: the streak the template demands is silently dropped.
    const plan = planMetric({ ...drainMetric, count: 3, consecutiveSuccessLimit: 3, failureLimit: 1 }, 'step');
    const r = measured(plan, ['Successful', 'Failed', 'Successful']);
    expect(r.phase).not.toBe('Successful');
  });

  it('does not pass a metric whose streak is longer than its count (it can never be reached)', () => {
    // Same defect, and nothing refuses the template: consecutiveSuccessLimit 5 with count 2 is accepted by the
    // schema (both only bounded by 10,000) and then means nothing, the count alone decides.
    const plan = planMetric({ ...drainMetric, count: 2, consecutiveSuccessLimit: 5 }, 'step');
    expect(measured(plan, ['Successful', 'Successful']).phase).not.toBe('Successful');
  });
});

describe('review: the scale-down analysis while the draining revision is the canary again', () => {
  it('does not measure a "drain" of the revision the canary is releasing', () => {
    // Defect (active.ts scaleDownAnalysis): the template set back to the draining revision makes it the canary
    // (its warm pods take the canary's share at once), but status.scaleDown still holds its deadline, so the
    // scale-down run goes on measuring it. Its verdict is about a revision that serves the canary's traffic:
    // a Successful one makes the planner emit "revision rev-a has drained ...: scaled down" for the live canary,
    // a Failed one "its pods stay until scaleDownDelaySeconds"; both mislead whoever is on call.
    const rollout: Rollout = {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'checkout', namespace: 'shop' },
      spec: {
        workloadRef: { name: 'checkout' },
        service: { port: 80 },
        trafficRouting: { gatewayAPI: { httpRoute: 'checkout' } },
        strategy: {
          canary: {
            steps: [{ setWeight: 50 }, { pause: {} }],
            scaleDownWhen: { analysis: { templates: [{ templateName: 'old-traffic' }] } },
          },
        },
      },
      status: {
        stableRevision: 'rev-b',
        canaryRevision: 'rev-a',
        currentStepIndex: 1,
        scaleDown: [{ revision: 'rev-a', scaleDownAt: '2026-11-29T03:10:00.000Z' }],
      },
    };
    expect(activeAnalyses(rollout).filter((a) => a.name === scaleDownRunName)).toEqual([]);
  });
});
