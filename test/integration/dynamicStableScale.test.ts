/**
 * dynamicStableScale against the real control plane and a Gateway API HTTPRoute (issue 16): given a canary whose
 * stable shrinks as it grows, when it is aborted, then stable scales back up first and the route hands traffic back
 * to stable only as stable's pods become ready, and status says what it waits for. kwok makes pods ready within
 * moments, so a pod quota holds stable's new pods back while the story checks that the route waits for them.
 * Watches on the route, Sluice's Services and the pods replay every state: in none of them does a backend get a
 * larger share than the ready pods of the revision it selects carry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import {
  clients,
  createApp,
  createRollout,
  kubectlSluice,
  replicaSetsOf,
  routeCanaryWeight,
  routedSpec,
  setImage,
  waitForRollout,
} from './rolloutStory.ts';
import { overloaded, watchRoute } from './routeTimeline.ts';
import { watchRollout } from './rolloutWatch.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('dynstable');
const replicas = 4;
let controller: ControllerProcess;

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});
afterAll(async () => controller?.stop());

/** The namespace may run `pods` pods (not in a terminal phase); resolves once the quota counts what runs. */
async function limitPods(pods: number, running: number): Promise<void> {
  const { core } = clients();
  const body = { metadata: { name: 'pods' }, spec: { hard: { pods: String(pods) } } };
  const exists = await core.readNamespacedResourceQuota({ namespace: ns.name, name: 'pods' }).then(
    () => true,
    () => false,
  );
  if (exists) await core.replaceNamespacedResourceQuota({ namespace: ns.name, name: 'pods', body });
  else await core.createNamespacedResourceQuota({ namespace: ns.name, body });
  await waitFor(
    async () => {
      const q = await core.readNamespacedResourceQuota({ namespace: ns.name, name: 'pods' });
      return q.status?.hard?.pods === String(pods) && q.status.used?.pods === String(running);
    },
    { timeoutMs: 30_000, intervalMs: 100, what: `the quota of ${pods} pods in force` },
  );
}

const replicasOf = async (revision: string | undefined) =>
  (await replicaSetsOf(ns.name, 'dyn')).find((s) => s.revision === revision)?.replicas;

describe('given a Gateway API canary with dynamicStableScale', () => {
  it('stable shrinks as the canary grows; an abort hands traffic back only as stable pods become ready', async () => {
    await createApp(ns.name, 'dyn', { replicas, route: true });
    await createRollout(ns.name, 'dyn', {
      ...routedSpec('dyn'),
      strategy: {
        canary: { steps: [{ setWeight: 50 }, { pause: {} }], dynamicStableScale: true, abortScaleDownDelaySeconds: 1 },
      },
    });
    const initial = await waitForRollout(ns.name, 'dyn', 'dyn Healthy', (r) => r.status?.phase === 'Healthy');
    const stable = initial.status!.stableRevision!;
    const timeline = await watchRoute(ns.name, 'dyn');
    const history = await watchRollout(ns.name, 'dyn');

    // Given: the canary at 50%, stable down to half its pods.
    await setImage(ns.name, 'dyn', 'example.invalid/app:v2');
    const paused = await waitForRollout(ns.name, 'dyn', 'paused at 50%', (r) => r.status?.phase === 'Paused');
    const canary = paused.status!.canaryRevision!;
    expect(await routeCanaryWeight(ns.name, 'dyn')).toBe(50);
    await expect.poll(() => replicasOf(stable), { timeout: 20_000 }).toBe(2);
    expect(await replicasOf(canary)).toBe(2);

    // Stable cannot start a pod: the namespace holds only the 4 that run.
    await limitPods(4, 4);
    expect(await kubectlSluice(ns.name, 'abort', 'dyn')).toMatch(/abort requested/);
    const waiting = await waitForRollout(
      ns.name,
      'dyn',
      'aborted, waiting for stable pods',
      (r) => r.status?.abort === true && (r.status.message ?? '').includes('waiting for 2 more stable pods'),
    );
    expect(waiting.status?.message).toMatch(
      /^aborted: aborted by a user request; waiting for 2 more stable pods \(2\/4 ready\) before moving the remaining 50% of traffic off the canary/,
    );
    expect(waiting.status?.phase).toBe('Degraded');
    await expect.poll(() => replicasOf(stable), { timeout: 10_000 }).toBe(replicas); // stable asked for first
    // A negative needs a window: the reconciles the abort and the refused pods woke have run by then.
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      expect(await routeCanaryWeight(ns.name, 'dyn'), 'the route while stable has 2 ready pods').toBe(50);
      await new Promise((r) => setTimeout(r, 200));
    }

    // One more stable pod may start: stable's 3 ready pods carry 75%.
    await limitPods(5, 5);
    await expect.poll(() => routeCanaryWeight(ns.name, 'dyn'), { timeout: 60_000, interval: 100 }).toBe(25);
    await clients().core.deleteNamespacedResourceQuota({ namespace: ns.name, name: 'pods' });
    await expect.poll(() => routeCanaryWeight(ns.name, 'dyn'), { timeout: 60_000, interval: 100 }).toBe(0);
    await expect.poll(() => replicasOf(canary), { timeout: 20_000 }).toBe(0);
    const done = await waitForRollout(ns.name, 'dyn', 'all back on stable', (r) => r.status?.weights?.canary === 0);
    expect(done.status?.message).toBe('aborted: aborted by a user request');

    const moments = await timeline.stop();
    await history.stop();
    expect(overloaded(moments, replicas)).toEqual([]);
    // The order, from the watches: stable shrank only after the route gave the canary its share; the route took
    // the canary's share down to 25% and to 0 only after stable had 3 and 4 ready pods.
    const at = (pred: (m: (typeof moments)[number]) => boolean) => moments.findIndex(pred);
    const shrunk = at((m) => (m.ready.get(stable) ?? 0) === 2);
    expect(shrunk).toBeGreaterThan(at((m) => m.canaryWeight === 50));
    const to25 = at((m) => m.canaryWeight === 25);
    const to0 = moments.findIndex((m, i) => i > to25 && m.canaryWeight === 0);
    expect(moments[to25]!.ready.get(stable)).toBeGreaterThanOrEqual(3);
    expect(moments[to0]!.ready.get(stable)).toBe(replicas);
    expect(
      history.versions.some((v) => /waiting for 1 more stable pods \(3\/4 ready\)/.test(v.status?.message ?? '')),
    ).toBe(true);
  });

  it('a promotion and a newer image mid-canary never give a backend more than its ready pods carry', async () => {
    await createApp(ns.name, 'lean', { replicas, route: true });
    await createRollout(ns.name, 'lean', {
      ...routedSpec('lean'),
      strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }], dynamicStableScale: true } },
    });
    const initial = await waitForRollout(ns.name, 'lean', 'lean Healthy', (r) => r.status?.phase === 'Healthy');
    const first = initial.status!.stableRevision!;
    const timeline = await watchRoute(ns.name, 'lean');

    await setImage(ns.name, 'lean', 'example.invalid/app:v2');
    const at50 = await waitForRollout(ns.name, 'lean', 'paused at 50%', (r) => r.status?.phase === 'Paused');
    const superseded = at50.status!.canaryRevision!;
    await expect
      .poll(async () => (await replicaSetsOf(ns.name, 'lean')).find((s) => s.revision === first)?.replicas, {
        timeout: 20_000,
      })
      .toBe(2);
    // A newer image while the canary has half the traffic and stable half its pods.
    await setImage(ns.name, 'lean', 'example.invalid/app:v3');
    const again = await waitForRollout(
      ns.name,
      'lean',
      'the newest revision paused at 50%',
      (r) => r.status?.phase === 'Paused' && r.status.canaryRevision !== superseded,
    );
    expect(await kubectlSluice(ns.name, 'promote', 'lean')).toMatch(/promote requested/);
    await waitForRollout(
      ns.name,
      'lean',
      'the newest revision Healthy',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === again.status?.canaryRevision,
    );
    expect(await routeCanaryWeight(ns.name, 'lean')).toBe(0);

    const moments = await timeline.stop();
    expect(overloaded(moments, replicas)).toEqual([]);
    // The superseded canary kept the canary Service until the route read back 0%.
    const moved = moments.findIndex((m) => m.canarySelects === again.status?.canaryRevision);
    expect(moments.slice(0, moved).some((m) => m.canarySelects === superseded && m.canaryWeight === 50)).toBe(true);
    expect(moments[moved - 1]?.canaryWeight ?? 0).toBe(0);
  });
});
