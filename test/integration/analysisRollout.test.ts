/**
 * Stories of automatic rollback and promotion: the real controller reads real Prometheus, which scrapes real
 * processes exporting request metrics with prom-client.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { TrafficSpec } from '../fixtures/trafficExporter.ts';
import { connectPrometheus, startPrometheus, type Prometheus } from '../fixtures/prometheus.ts';
import { waitFor } from '../support/wait.ts';
import { createErrorRateTemplate, startExporter, type ErrorRateLimits, usePrometheusStory } from './analysisStory.ts';
import {
  createApp,
  createRollout,
  eventMessages,
  eventReasons,
  getRollout,
  routeCanaryWeight,
  routedSpec,
  setImage,
  waitForRollout,
  promoteThroughTwoAnalyses,
} from './rolloutStory.ts';
import { useNamespace } from './support.ts';

const ns = useNamespace('analysis');
const info = inject('prometheus');
const story = usePrometheusStory(ns);
const { exporters } = story;

/** Starts an exporter that the suite stops at its end. */
async function exporter(traffic: TrafficSpec[], prom: Pick<Prometheus, 'setTargets' | 'query'>, job: string) {
  const started = await startExporter(traffic, prom, job);
  exporters.push(started);
  return started;
}

const errorRateTemplate = (name: string, address: string, limits: ErrorRateLimits) =>
  createErrorRateTemplate(ns.name, name, address, limits);

describe('given a Rollout whose analysis reads Prometheus', () => {
  it('when the canary answers 30% errors, analysis aborts it: canary weight 0 within scrape + interval + 2 s', async () => {
    const prom = connectPrometheus(info!.url, info!.targetsDir);
    const canary = await exporter(
      [{ service: 'bad', track: 'canary', rps: 200, errorRatio: 0, latencyMedian: 0.05 }],
      prom,
      'bad-canary',
    );
    // While the 3 s rate window fills after the flip, one measurement can land between the thresholds (5-10%):
    // tolerate that one, as a user with a rising error rate would, so the story measures the abort, not the luck.
    await errorRateTemplate('bad-error-rate', info!.url, { count: 1000, inconclusiveLimit: 1 });
    await createApp(ns.name, 'bad', { replicas: 2, route: true });
    await createRollout(ns.name, 'bad', {
      ...routedSpec('bad'),
      strategy: {
        canary: {
          steps: [{ setWeight: 20 }, { pause: {} }],
          analysis: {
            templates: [{ templateName: 'bad-error-rate' }],
            args: [{ name: 'service', value: 'bad' }],
            startingStep: 0,
          },
        },
      },
    });
    await waitForRollout(ns.name, 'bad', 'Healthy', (r) => r.status?.phase === 'Healthy');
    await setImage(ns.name, 'bad', 'example.invalid/app:v3');
    await waitForRollout(
      ns.name,
      'bad',
      'paused at 20% with analysis passing',
      (r) => r.status?.currentStepIndex === 1 && (r.status.analysis?.runs[0]?.metrics[0]?.successful ?? 0) > 0,
    );
    expect(await routeCanaryWeight(ns.name, 'bad')).toBe(20);
    // The interval is 1 s on paper; on a loaded machine measurements come further apart. Measure it here, for the
    // bound below: two more measurements, and the time they took.
    const measuredCount = async () =>
      (await getRollout(ns.name, 'bad')).status?.analysis?.runs[0]?.metrics[0]?.count ?? 0;
    const countBefore = await measuredCount();
    const intervalStarted = Date.now();
    await waitFor(async () => (await measuredCount()) >= countBefore + 2, {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: 'two more measurements',
    });
    const intervalMs = Math.max(1_000, (Date.now() - intervalStarted) / 2);

    // The canary starts answering 30% errors now.
    await canary.setErrorRatio('bad', 'canary', 0.3);
    const errorsStarted = Date.now();
    await waitFor(async () => (await routeCanaryWeight(ns.name, 'bad')) === 0, {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: 'the canary weight to drop to 0',
    }).catch(async (err: unknown) => {
      throw new Error(
        `${String(err)}; status: ${JSON.stringify((await waitForRollout(ns.name, 'bad', 'any', () => true)).status)}`,
        { cause: err },
      );
    });
    const reactionMs = Date.now() - errorsStarted;
    console.log(
      `[analysis story] errors started -> HTTPRoute canary weight 0 in ${reactionMs} ms; measurements ${Math.round(intervalMs)} ms apart`,
    );
    expect(reactionMs).toBeLessThan(1_000 + intervalMs + 2_000); // scrape + one measurement interval + 2 s

    const r = await waitForRollout(ns.name, 'bad', 'aborted', (x) => x.status?.abort === true);
    expect(r.status?.phase).toBe('Degraded');
    expect(r.status?.message).toMatch(/metric error-rate failed: measured 0\.\d+ \(failureCondition result >= 0\.10\)/);
    // Events are written in the background, just after the status they report.
    await expect
      .poll(async () => (await eventMessages(ns.name, 'bad', 'Aborted'))[0], { timeout: 5_000 })
      .toMatch(/error-rate failed: measured 0\.\d+/);

    // Why, in status: the cause of the abort, and the condition that failed the measurement.
    expect(r.status?.abortCause).toBe('Analysis');
    const failed = r.status?.analysis?.runs[0]?.metrics[0]?.measurements.findLast((m) => m.phase === 'Failed');
    expect(failed?.decidedBy).toBe('failureCondition');
    // Counted once, by the status write that recorded the abort; the reconciles after it count nothing more.
    const metrics = async () => (await fetch(`${story.controller.metricsUrl}/metrics`)).text();
    const series = (name: string, label: string) =>
      new RegExp(`^${name}\\{namespace="${ns.name}",${label}\\} (\\d+)$`, 'm');
    const outcome = series('sluice_rollout_outcomes_total', 'outcome="aborted_analysis"');
    await expect.poll(async () => (await metrics()).match(outcome)?.[1], { timeout: 5_000 }).toBe('1');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const text = await metrics();
    expect(text.match(outcome)?.[1]).toBe('1');
    expect(text.match(series('sluice_analysis_runs_total', 'result="Failed"'))?.[1]).toBe('1');
    expect(text).toMatch(
      new RegExp(
        `^sluice_rollout_duration_seconds_count\\{namespace="${ns.name}",outcome="aborted_analysis"\\} 1$`,
        'm',
      ),
    );
  });

  it('when the canary is healthy (0.5% errors against a 5% threshold), it is promoted through every step', async () => {
    const prom = connectPrometheus(info!.url, info!.targetsDir);
    await exporter(
      [{ service: 'good', track: 'canary', rps: 200, errorRatio: 0.005, latencyMedian: 0.05 }],
      prom,
      'good-canary',
    );
    await errorRateTemplate('good-error-rate', info!.url, { count: 3 });
    const done = await promoteThroughTwoAnalyses(ns.name, 'good', {
      analysis: { templates: [{ templateName: 'good-error-rate' }], args: [{ name: 'service', value: 'good' }] },
    });
    expect(done.status?.weights).toEqual({ canary: 0, stable: 100 });
    const run = done.status?.analysis?.runs.find((x) => x.name === 'step-3');
    expect(run?.phase).toBe('Successful');
    expect(run?.metrics[0]?.successful).toBe(3);
    await expect
      .poll(() => eventReasons(ns.name, 'good'), { timeout: 5_000 })
      .toEqual(expect.arrayContaining(['CanaryStarted', 'Promoted']));
  });

  it('when Prometheus stops mid-analysis, it never promotes and aborts after consecutiveErrorLimit, saying Prometheus was unreachable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-prom-'));
    const own: Prometheus = await startPrometheus({ dir, scrapeInterval: '1s' });
    try {
      await exporter(
        [{ service: 'flaky', track: 'canary', rps: 200, errorRatio: 0, latencyMedian: 0.05 }],
        own,
        'flaky-canary',
      );
      await errorRateTemplate('flaky-error-rate', own.url, { count: 1000, consecutiveErrorLimit: 3 });
      await createApp(ns.name, 'flaky', { replicas: 2, route: true });
      await createRollout(ns.name, 'flaky', {
        ...routedSpec('flaky'),
        strategy: {
          canary: {
            steps: [
              { setWeight: 20 },
              {
                analysis: {
                  templates: [{ templateName: 'flaky-error-rate' }],
                  args: [{ name: 'service', value: 'flaky' }],
                },
              },
              { setWeight: 60 },
            ],
          },
        },
      });
      await waitForRollout(ns.name, 'flaky', 'Healthy', (r) => r.status?.phase === 'Healthy');
      await setImage(ns.name, 'flaky', 'example.invalid/app:v2');
      await waitForRollout(
        ns.name,
        'flaky',
        'a successful measurement',
        (r) => (r.status?.analysis?.runs[0]?.metrics[0]?.successful ?? 0) > 0,
        60_000,
      );
      await own.stop();
      const r = await waitForRollout(ns.name, 'flaky', 'aborted', (x) => x.status?.abort === true, 60_000);
      expect(r.status?.message).toMatch(/Prometheus at http:\/\/127\.0\.0\.1:\d+ was unreachable 4 times in a row/);
      expect(r.status?.currentStepIndex).toBe(1); // never went past the analysis
      expect(r.status?.analysis?.runs[0]?.metrics[0]?.errors).toBeGreaterThanOrEqual(4);
      // status records the decision before its traffic move (execute.ts): wait the one write that follows
      await expect.poll(() => routeCanaryWeight(ns.name, 'flaky'), { timeout: 10_000 }).toBe(0);
    } finally {
      await own.stop();
    }
  });
});
