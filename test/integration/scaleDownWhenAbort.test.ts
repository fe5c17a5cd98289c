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
import { describe, expect, it } from 'vitest';
import { createDrainTemplate, promoteWithTraffic, usePrometheusStory } from './analysisStory.ts';
import { getRollout, kubectlSluice, replicaSetsOf, setImage, waitForRollout } from './rolloutStory.ts';
import { useNamespace } from './support.ts';

const ns = useNamespace('drain-abort');
const { exporters } = usePrometheusStory(ns, (url) => createDrainTemplate(ns.name, url));

const app = 'aborted-next';
const replicasOf = async (revision: string) =>
  (await replicaSetsOf(ns.name, app)).find((s) => s.revision === revision)?.replicas;

describe('given the previous revision draining with a scale-down analysis', () => {
  it('when the next canary is aborted and the old traffic stops, the old ReplicaSet still goes at once', async () => {
    const { old, traffic, scaleDownAt } = await promoteWithTraffic(ns.name, exporters, app, 300);

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
