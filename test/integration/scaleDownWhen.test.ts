/**
 * scaleDownWhen against the real control plane and a real Prometheus (issue 16): given a canary behind a Gateway
 * API route whose scale-down analysis measures the previous revision's request rate (a real process exports it,
 * labelled with the revision, and Prometheus scrapes it), when it is promoted, then the previous ReplicaSet goes to
 * 0 as soon as its traffic stops, well before scaleDownDelaySeconds; and when its traffic never stops, at the delay
 * and not before, with the promoted release left alone.
 */
import { describe, expect, it } from 'vitest';
import { createDrainTemplate, promoteWithTraffic, usePrometheusStory } from './analysisStory.ts';
import { eventMessages, getRollout, kubectlSluice, replicaSetsOf } from './rolloutStory.ts';
import { useNamespace } from './support.ts';

const ns = useNamespace('drain');
const { exporters } = usePrometheusStory(ns, (url) => createDrainTemplate(ns.name, url));

const sluice = (...args: string[]) => kubectlSluice(ns.name, ...args);
const replicasOf = async (app: string, revision: string) =>
  (await replicaSetsOf(ns.name, app)).find((s) => s.revision === revision)?.replicas;

const drainRun = async (app: string) =>
  (await getRollout(ns.name, app)).status?.analysis?.runs.find((r) => r.name === 'scale-down');

describe('given a canary with a scale-down analysis of the previous revision', () => {
  it('when its traffic stops after the promotion, its ReplicaSet goes to 0 at once, well before the delay', async () => {
    const { old, traffic, scaleDownAt } = await promoteWithTraffic(ns.name, exporters, 'drained', 300);
    await expect.poll(async () => (await drainRun('drained'))?.phase, { timeout: 20_000 }).toBe('Running');
    expect((await drainRun('drained'))?.revision).toBe(old);
    // A negative needs a window: measurements come every second, and the old revision still serves.
    const until = Date.now() + 4_000;
    while (Date.now() < until) {
      expect(await replicasOf('drained', old), 'the old revision while its traffic flows').toBe(2);
      await new Promise((r) => setTimeout(r, 250));
    }

    await traffic.setRps(old, 'stable', 0);
    const stopped = Date.now();
    await expect.poll(() => replicasOf('drained', old), { timeout: 30_000, interval: 200 }).toBe(0);
    // The 3 s rate window, a scrape, two measurements a second apart, and a reconcile: far from 300 s.
    expect(Date.now() - stopped).toBeLessThan(20_000);
    expect(Date.now()).toBeLessThan(scaleDownAt - 250_000);
    const done = await getRollout(ns.name, 'drained');
    expect(done.status?.phase).toBe('Healthy');
    expect(done.status?.scaleDown).toBeUndefined();
    expect((await drainRun('drained'))?.phase).toBe('Successful');
    await expect
      .poll(() => eventMessages(ns.name, 'drained', 'Drained'), { timeout: 5_000 })
      .toEqual([expect.stringMatching(new RegExp(`^revision ${old} has drained \\(all metrics passed`))]);
    expect(await sluice('status', 'drained')).toMatch(/Scale-down analysis\s+Successful\s+revision /);
  });

  it('when its traffic never stops, its ReplicaSet goes at scaleDownDelaySeconds, not before', async () => {
    const { old, scaleDownAt } = await promoteWithTraffic(ns.name, exporters, 'busy', 12);
    await expect.poll(async () => (await drainRun('busy'))?.phase, { timeout: 20_000 }).toBe('Running');
    while (Date.now() < scaleDownAt - 1_500) {
      expect(await replicasOf('busy', old), 'the old revision before its delay').toBe(2);
      await new Promise((r) => setTimeout(r, 250));
    }
    await expect.poll(() => replicasOf('busy', old), { timeout: 15_000, interval: 200 }).toBe(0);
    expect(Date.now()).toBeGreaterThanOrEqual(scaleDownAt - 1_000); // clocks of one machine
    const done = await getRollout(ns.name, 'busy');
    expect(done.status?.phase).toBe('Healthy');
    expect(done.status?.abort).toBeUndefined();
    expect(done.status?.stableRevision).not.toBe(old);
    // Never drained: the delay ended it, and status says the run had no verdict in time.
    const ended = await drainRun('busy');
    expect(ended?.phase).toBe('Inconclusive');
    expect(ended?.message).toMatch(/^no verdict before scaleDownDelaySeconds ended the drain/);
  });
});
