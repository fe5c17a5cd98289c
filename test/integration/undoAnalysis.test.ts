/**
 * A rollback within spec.rollbackWindow against the real control plane and the real Prometheus: `kubectl sluice undo`
 * to the previous stable revision skips the steps, and the background analysis still judges it. A healthy rollback
 * is promoted once the analysis has measured a success; one that answers errors is aborted, traffic back to stable.
 */
import { describe, expect, inject, it } from 'vitest';
import { connectPrometheus } from '../fixtures/prometheus.ts';
import { waitFor } from '../support/wait.ts';
import { createErrorRateTemplate, startExporter, usePrometheusStory } from './analysisStory.ts';
import {
  createApp,
  createRollout,
  eventMessages,
  kubectlSluice,
  routeCanaryWeight,
  routedSpec,
  setImage,
  waitForRollout,
} from './rolloutStory.ts';
import { watchRollout } from './rolloutWatch.ts';
import { useNamespace } from './support.ts';

const ns = useNamespace('undo-analysis');
const info = inject('prometheus');
const { exporters } = usePrometheusStory(ns);

const sluice = (...args: string[]) => kubectlSluice(ns.name, ...args);

describe('given a Rollout with a rollback window and background analysis on the real Prometheus', () => {
  it('an undo within the window skips the steps and is promoted once analysis passed; a failing one is aborted', async () => {
    const prom = connectPrometheus(info!.url, info!.targetsDir);
    const exporter = await startExporter(
      [{ service: 'back', track: 'canary', rps: 200, errorRatio: 0, latencyMedian: 0.05 }],
      prom,
      'back-canary',
    );
    exporters.push(exporter);
    // Measures until the rollout stops it (count far off): only its first success can promote a rollback. The first
    // measurement waits 4 s, so that the rollback is seen holding at 100% before it.
    await createErrorRateTemplate(ns.name, 'back-error-rate', info!.url, {
      count: 1000,
      inconclusiveLimit: 2,
      initialDelay: '4s',
    });
    await createApp(ns.name, 'back', { replicas: 2, route: true });
    await createRollout(ns.name, 'back', {
      ...routedSpec('back'),
      rollbackWindow: { revisions: 2 },
      strategy: {
        canary: {
          steps: [{ setWeight: 20 }, { pause: {} }],
          analysis: { templates: [{ templateName: 'back-error-rate' }], args: [{ name: 'service', value: 'back' }] },
          scaleDownDelaySeconds: 0,
        },
      },
    });
    const v1 = (await waitForRollout(ns.name, 'back', 'Healthy', (r) => r.status?.phase === 'Healthy')).status!
      .stableRevision!;
    await setImage(ns.name, 'back', 'example.invalid/app:v2');
    const paused = await waitForRollout(ns.name, 'back', 'v2 paused', (r) => r.status?.phase === 'Paused');
    const v2 = paused.status!.canaryRevision!;
    await sluice('promote', 'back', '--full');
    await waitForRollout(
      ns.name,
      'back',
      'v2 stable',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === v2,
    );

    // 1. Undo to v1, the stable revision before: no step runs, all traffic goes to it, analysis judges it.
    const watch = await watchRollout(ns.name, 'back');
    // Named by number, resolved from the cluster: a second engineer's undo at the same moment names the same one.
    expect(await sluice('undo', 'back')).toMatch(
      /undo to the previous revision requested \(revision 1: sluice.dev\/action=undo:1\)/,
    );
    const promoted = await waitForRollout(ns.name, 'back', 'v1 stable again', (r) => {
      return r.status?.phase === 'Healthy' && r.status.stableRevision === v1;
    });
    await watch.stop();
    const { versions } = watch;
    const rollback = versions.filter((r) => r.status?.canaryRevision === v1 && r.status.stableRevision === v2);
    // Every version that named the rollback had skipped every step; it held at 100% until analysis had passed.
    expect(new Set(rollback.map((r) => r.status?.currentStepIndex))).toEqual(new Set([2]));
    const atFull = rollback.filter((r) => r.status?.weights?.canary === 100);
    expect(atFull[0]?.status?.message).toMatch(/^rollback within window: steps skipped; all traffic on/);
    const successes = (r: (typeof versions)[number]) =>
      r.status?.analysis?.runs.find((x) => x.name === 'background' && x.revision === v1)?.metrics[0]?.successful ?? 0;
    expect(atFull.some((r) => successes(r) === 0)).toBe(true);
    // Promoted only once the analysis had a success to show.
    expect(successes(versions.find((r) => r.status?.stableRevision === v1)!)).toBeGreaterThan(0);
    const run = promoted.status?.analysis?.runs.find((x) => x.name === 'background' && x.revision === v1);
    expect(run?.metrics[0]?.successful).toBeGreaterThanOrEqual(1);
    expect(promoted.status?.previousStableRevisions).toEqual([v2]);
    await expect
      .poll(async () => (await eventMessages(ns.name, 'back', 'RollbackWithinWindow')).join('\n'), { timeout: 5_000 })
      .toMatch(new RegExp(`revision ${v1} was stable before .*rollback within window: steps skipped`));
    await waitFor(async () => (await routeCanaryWeight(ns.name, 'back')) === 0, { timeoutMs: 10_000, what: 'route 0' });

    // 2. The revision it would go back to now (v2) answers 30% errors: the undo within the window is aborted.
    await exporter.setErrorRatio('back', 'canary', 0.3);
    await waitFor(
      async () => {
        const [sample] = await prom.query(
          'sum(rate(http_requests_total{service="back",track="canary",code=~"5.."}[3s])) / sum(rate(http_requests_total{service="back",track="canary"}[3s]))',
        );
        return sample !== undefined && Number(sample.value[1]) >= 0.2;
      },
      { timeoutMs: 30_000, what: 'Prometheus to see the errors' },
    );
    await sluice('undo', 'back');
    const aborted = await waitForRollout(ns.name, 'back', 'the rollback to v2 aborted', (r) => {
      return r.status?.canaryRevision === v2 && r.status.abort === true;
    });
    expect(aborted.status).toMatchObject({ stableRevision: v1, phase: 'Degraded', rollbackWithinWindow: true });
    expect(aborted.status?.message).toMatch(/background analysis failed: .*error-rate/);
    // Aborted: not good now, so no longer trusted to skip the steps.
    expect(aborted.status?.previousStableRevisions ?? []).not.toContain(v2);
    await waitFor(async () => (await routeCanaryWeight(ns.name, 'back')) === 0, {
      timeoutMs: 10_000,
      what: 'all traffic back on v1',
    });
  });
});
