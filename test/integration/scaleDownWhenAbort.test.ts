/**
 * Hostile review of scaleDownWhen (issue 16), against the real control plane and a real Prometheus: the previous
 * stable drains while the next canary is aborted. Given rev-1 draining after rev-2's promotion and rev-3's canary
 * aborted, when rev-1's traffic stops, then rev-1 goes to 0 at once, as it does with no canary in flight.
 *
 * Defect: reconcile.ts submits due measurements only when `plan.status.abort !== true` ("never for an aborted
 * canary"), and ignores the gates' requeue then. The scale-down run is no canary measurement, but an aborted
 * canary starves it: it never measures, so scaleDownWhen silently does nothing while any canary is aborted (an
 * aborted canary stays so until the next template), and the old revision keeps its pods for the whole delay.
 */
import { describe, expect, inject, it } from 'vitest';
import { connectPrometheus } from '../fixtures/prometheus.ts';
import { startExporter, usePrometheusStory, createDrainTemplate } from './analysisStory.ts';
import {
  createApp,
  createRollout,
  getRollout,
  kubectlSluice,
  replicaSetsOf,
  routedSpec,
  setImage,
  waitForRollout,
} from './rolloutStory.ts';
import { useNamespace } from './support.ts';

const ns = useNamespace('drain-abort');
const info = inject('prometheus');
const { exporters } = usePrometheusStory(ns, (url) => createDrainTemplate(ns.name, url));

const app = 'aborted-next';
const replicasOf = async (revision: string) =>
  (await replicaSetsOf(ns.name, app)).find((s) => s.revision === revision)?.replicas;

describe('given the previous revision draining with a scale-down analysis', () => {
  it('when the next canary is aborted and the old traffic stops, the old ReplicaSet still goes at once', async () => {
    await createApp(ns.name, app, { replicas: 2, route: true });
    await createRollout(ns.name, app, {
      ...routedSpec(app),
      strategy: {
        canary: {
          steps: [{ setWeight: 50 }, { pause: {} }],
          scaleDownDelaySeconds: 300,
          scaleDownWhen: { analysis: { templates: [{ templateName: 'old-traffic' }] } },
        },
      },
    });
    const first = await waitForRollout(ns.name, app, 'Healthy', (r) => r.status?.phase === 'Healthy');
    const old = first.status!.stableRevision!;
    const prom = connectPrometheus(info!.url, info!.targetsDir);
    const traffic = await startExporter(
      [{ service: old, track: 'stable', rps: 40, errorRatio: 0, latencyMedian: 0.05 }],
      prom,
      `drain-${app}`,
    );
    exporters.push(traffic);
    await setImage(ns.name, app, 'example.invalid/app:v2');
    await waitForRollout(ns.name, app, 'paused at 50%', (r) => r.status?.phase === 'Paused');
    await kubectlSluice(ns.name, 'promote', app);
    const promoted = await waitForRollout(
      ns.name,
      app,
      'promoted, the drain of the old revision started',
      (r) => r.status?.stableRevision !== old && r.status?.scaleDown?.[0]?.scaleDownAt !== undefined,
    );
    const scaleDownAt = Date.parse(promoted.status!.scaleDown![0]!.scaleDownAt!);

    // The next release starts and is aborted while the old revision still drains.
    await setImage(ns.name, app, 'example.invalid/app:v3');
    await waitForRollout(ns.name, app, 'v3 paused at 50%', (r) => r.status?.phase === 'Paused');
    await kubectlSluice(ns.name, 'abort', app);
    await waitForRollout(ns.name, app, 'v3 aborted', (r) => r.status?.abort === true);
    expect(await replicasOf(old)).toBe(2);

    await traffic.setRps(old, 'stable', 0);
    const stopped = Date.now();
    await expect.poll(() => replicasOf(old), { timeout: 30_000, interval: 200 }).toBe(0);
    expect(Date.now() - stopped).toBeLessThan(20_000);
    expect(Date.now()).toBeLessThan(scaleDownAt - 250_000);
    const run = (await getRollout(ns.name, app)).status?.analysis?.runs.find((r) => r.name === 'scale-down');
    expect(run?.phase).toBe('Successful');
  });
});
