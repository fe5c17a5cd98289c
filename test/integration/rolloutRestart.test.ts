/**
 * spec.restartAt and `kubectl sluice restart` against the real control plane (issue 16): given a Rollout with four
 * stable pods and a PodDisruptionBudget (Sluice's own from spec.pdb, or the user's), when a user runs
 * `kubectl sluice restart`, then every stable pod is evicted and replaced (kube-controller-manager's ReplicaSet
 * controller recreates each, kwok makes it ready), and a watch on the pods shows the ready stable pods never below the
 * budget's minimum; a budget that allows nothing holds the restart without an error until it allows; a restart asked
 * during a canary waits until the release is done.
 */
import { PatchStrategy, PolicyV1Api, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rollout } from '../../controller/src/api/types.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { watchPods, type PodHistory } from './podWatch.ts';
import {
  createApp,
  createRollout,
  eventReasons,
  getRollout,
  kubectlSluice,
  setImage,
  troubleConditions,
  waitForRollout,
} from './rolloutStory.ts';
import { watchRollout } from './rolloutWatch.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('restart');
let controller: ControllerProcess;

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});
afterAll(async () => controller?.stop());

const policy = () => adminKubeConfig().makeApiClient(PolicyV1Api);
const restarting = (r: Rollout) => r.status?.conditions?.find((c) => c.type === 'Restarting');
const restarted = (r: Rollout) => r.spec.restartAt !== undefined && r.status?.restartedAt === r.spec.restartAt;

/** A Healthy Rollout of `replicas` stable pods, all ready; returns its stable revision. */
async function healthyRollout(name: string, replicas: number, spec: Record<string, unknown> = {}): Promise<string> {
  await createApp(ns.name, name, { replicas, route: false });
  await createRollout(ns.name, name, {
    workloadRef: { name },
    strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } },
    ...spec,
  });
  const healthy = await waitForRollout(ns.name, name, 'Healthy', (r) => r.status?.phase === 'Healthy');
  return healthy.status!.stableRevision!;
}

/** The stable pods (of `revision`) the watch saw, and which of them are still there. */
function stablePods(history: PodHistory, revision: string) {
  const all = [...history.pods.values()].filter((p) => p.revision === revision);
  return { all, live: all.filter((p) => !p.leaving) };
}

describe('given a Rollout with 4 stable pods and spec.pdb minAvailable 3', () => {
  it('kubectl sluice restart replaces every stable pod, never leaving fewer than 3 ready', async () => {
    const stable = await healthyRollout('shop', 4, { pdb: { minAvailable: 3 } });
    await expect
      .poll(
        async () =>
          (
            await policy()
              .readNamespacedPodDisruptionBudget({ namespace: ns.name, name: 'shop' })
              .catch(() => undefined)
          )?.status?.currentHealthy,
        { timeout: 30_000 },
      )
      .toBe(4);
    const pods = await watchPods(ns.name, 'shop');
    const versions = await watchRollout(ns.name, 'shop');
    const before = stablePods(pods, stable).live.map((p) => p.name);
    expect(before).toHaveLength(4);

    expect(await kubectlSluice(ns.name, 'restart', 'shop')).toMatch(/restart of the stable pods requested/);
    const done = await waitForRollout(ns.name, 'shop', 'restartedAt', restarted, 120_000);
    await versions.stop();
    await pods.stop();

    const after = stablePods(pods, stable);
    expect(after.live).toHaveLength(4);
    expect(after.live.filter((p) => before.includes(p.name))).toEqual([]); // every one replaced
    expect(after.live.every((p) => Date.parse(p.createdAt) >= Date.parse(done.spec.restartAt!))).toBe(true);
    expect(pods.fewestReady(stable)).toBe(3); // one at a time: never below the budget, and the dip was seen
    // The condition said so while it ran; nothing went wrong on the way.
    expect(versions.versions.some((v) => restarting(v)?.status === 'True')).toBe(true);
    expect(versions.versions.flatMap(troubleConditions)).toEqual([]);
    expect(restarting(done)).toBeUndefined();
    const reasons = await eventReasons(ns.name, 'shop');
    expect(reasons).toEqual(expect.arrayContaining(['RestartStarted', 'PodEvicted', 'Restarted']));
    expect(reasons.filter((r) => r === 'PodEvicted').length).toBeLessThan(4); // throttled
    await waitForRollout(ns.name, 'shop', 'Healthy again', (r) => r.status?.phase === 'Healthy');
  });
});

describe("given a Rollout with 4 stable pods and the user's own PodDisruptionBudget", () => {
  it('holds the restart without an error while the budget allows nothing, and completes once it allows one', async () => {
    const stable = await healthyRollout('cart', 4);
    await policy().createNamespacedPodDisruptionBudget({
      namespace: ns.name,
      body: { metadata: { name: 'cart-users' }, spec: { minAvailable: 4, selector: { matchLabels: { app: 'cart' } } } },
    });
    const budget = () => policy().readNamespacedPodDisruptionBudget({ namespace: ns.name, name: 'cart-users' });
    await expect.poll(async () => (await budget()).status?.currentHealthy, { timeout: 30_000 }).toBe(4);
    const pods = await watchPods(ns.name, 'cart');
    const before = stablePods(pods, stable).live.map((p) => p.name);

    await kubectlSluice(ns.name, 'restart', 'cart');
    const held = await waitForRollout(ns.name, 'cart', 'the budget refusing', (r) =>
      /not evicted yet: a PodDisruptionBudget allows no disruption now/.test(restarting(r)?.message ?? ''),
    );
    await new Promise((resolve) => setTimeout(resolve, 6_000)); // at least one more ask
    expect(stablePods(pods, stable).all.filter((p) => p.leaving)).toEqual([]);
    const still = await getRollout(ns.name, 'cart');
    expect(troubleConditions(still)).toEqual([]); // a 429 is "not now", not a failure
    expect(still.status?.restartedAt).toBeUndefined();
    expect(held.status?.phase).toBe('Progressing');

    await policy().patchNamespacedPodDisruptionBudget(
      { namespace: ns.name, name: 'cart-users', body: { spec: { minAvailable: 3 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitForRollout(ns.name, 'cart', 'restartedAt', restarted, 120_000);
    await pods.stop();
    const after = stablePods(pods, stable).live;
    expect(after).toHaveLength(4);
    expect(after.filter((p) => before.includes(p.name))).toEqual([]);
    expect(pods.fewestReady(stable)).toBe(3);
  });
});

describe('given a canary paused at 50%', () => {
  it('a restart waits until the release is done, says so, then replaces the stable pods made before it', async () => {
    await healthyRollout('search', 2);
    await setImage(ns.name, 'search', 'example.invalid/app:v2');
    const paused = await waitForRollout(ns.name, 'search', 'paused at 50%', (r) => r.status?.phase === 'Paused');
    const canary = paused.status!.canaryRevision!;
    const pods = await watchPods(ns.name, 'search');

    await kubectlSluice(ns.name, 'restart', 'search');
    const waiting = await waitForRollout(
      ns.name,
      'search',
      'the restart waiting',
      (r) => restarting(r)?.reason === 'WaitingForRelease',
    );
    expect(restarting(waiting)?.message).toMatch(new RegExp(`waits until the release of revision ${canary} is done`));
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect([...pods.pods.values()].filter((p) => p.leaving)).toEqual([]); // nothing evicted meanwhile
    const canaryPods = stablePods(pods, canary).live.map((p) => p.name);
    expect(canaryPods).toHaveLength(1);

    await kubectlSluice(ns.name, 'promote', 'search', '--full');
    const done = await waitForRollout(
      ns.name,
      'search',
      'released and restarted',
      (r) => r.status?.stableRevision === canary && restarted(r),
      120_000,
    );
    await pods.stop();
    // The canary's pod predates restartAt: replaced once it was stable; those made at promotion are newer and stay.
    const after = stablePods(pods, canary);
    expect(after.all.find((p) => p.name === canaryPods[0])?.leaving).toBe(true);
    expect(after.live.every((p) => Date.parse(p.createdAt) >= Date.parse(done.spec.restartAt!))).toBe(true);
    expect(await eventReasons(ns.name, 'search')).toContain('Restarted');
  });
});
