/**
 * Stories of the controller core against the real control plane: a canary through its steps with the Gateway
 * API router, manual promotion with kubectl sluice, abort, and a newer image mid-canary.
 */
import { describe, expect, it } from 'vitest';
import { useController } from './controllerProcess.ts';
import {
  clients,
  createApp,
  createRollout,
  eventReasons,
  replicaSetsOf,
  routeCanaryWeight,
  setImage,
  waitForRollout,
  kubectlSluice,
} from './rolloutStory.ts';
import { stepIndices, stepsRanOnce, watchRollout } from './rolloutWatch.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('canary');
useController(ns);

const sluice = (...args: string[]) => kubectlSluice(ns.name, ...args);

const gatewaySpec = (name: string) => ({
  workloadRef: { name },
  service: { port: 80, targetPort: 8080 },
  trafficRouting: { gatewayAPI: { httpRoute: name } },
  strategy: {
    canary: {
      steps: [{ setWeight: 20 }, { pause: { duration: '2s' } }, { setWeight: 60 }, { pause: {} }],
      scaleDownDelaySeconds: 3,
    },
  },
});

describe('given a Deployment and a Rollout with the Gateway API router', () => {
  it('when the image changes, the weights go 20 then 60, it pauses, and kubectl sluice promote finishes it', async () => {
    await createApp(ns.name, 'web', { replicas: 3, route: true });
    await createRollout(ns.name, 'web', gatewaySpec('web'));
    const initial = await waitForRollout(ns.name, 'web', 'web Healthy', (r) => r.status?.phase === 'Healthy');
    const stable = initial.status!.stableRevision!;

    await setImage(ns.name, 'web', 'example.invalid/app:v2');
    const seen = new Set<number>();
    const paused = await waitForRollout(ns.name, 'web', 'paused at step 4', (r) => {
      if (r.status?.weights !== undefined) seen.add(r.status.weights.canary);
      return r.status?.phase === 'Paused' && r.status.currentStepIndex === 3;
    });
    expect([...seen]).toEqual(expect.arrayContaining([20, 60]));
    expect(paused.status?.weights).toEqual({ canary: 60, stable: 40 });
    expect(await routeCanaryWeight(ns.name, 'web')).toBe(60);
    expect(paused.status?.canaryRevision).not.toBe(stable);
    expect(paused.status?.message).toMatch(/paused until promoted/);

    expect(await sluice('promote', 'web')).toMatch(/promote requested/);
    const done = await waitForRollout(
      ns.name,
      'web',
      'web Healthy on the new revision',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === paused.status?.canaryRevision,
    );
    expect(done.status?.weights).toEqual({ canary: 0, stable: 100 });
    // status records the decision before its traffic move (execute.ts): wait the one write that follows
    await expect.poll(() => routeCanaryWeight(ns.name, 'web'), { timeout: 10_000 }).toBe(0);
    const sets = await replicaSetsOf(ns.name, 'web');
    expect(sets.find((s) => s.revision === done.status!.stableRevision)?.replicas).toBe(3);
    // Drain-safe: the old stable keeps its pods scaleDownDelaySeconds after the promotion, then goes.
    expect(sets.find((s) => s.revision === stable)?.replicas).toBe(3);
    expect(done.status?.scaleDown?.map((w) => w.revision)).toEqual([stable]);
    const keptUntil = Date.parse(done.status!.scaleDown![0]!.scaleDownAt ?? '');
    await expect
      .poll(async () => (await replicaSetsOf(ns.name, 'web')).find((s) => s.revision === stable)?.replicas, {
        timeout: 20_000,
      })
      .toBe(0);
    expect(Date.now()).toBeGreaterThanOrEqual(keptUntil - 1_000); // not before its time (clocks of one machine)
    expect(sets).toHaveLength(2); // promotion kept the canary's ReplicaSet: no second rollout of v2
    await expect
      .poll(() => eventReasons(ns.name, 'web'), { timeout: 5_000 })
      .toEqual(expect.arrayContaining(['CanaryStarted', 'StepCompleted', 'Paused', 'Promoted', 'Healthy']));
    expect(await sluice('get')).toMatch(/web\s+Healthy\s+4\/4\s+0/);
  });

  it('when aborted at step 2, the canary weight is 0 right after, no pod starts, and the canary scales down after the delay', async () => {
    await createApp(ns.name, 'shop', { replicas: 2, route: true });
    await createRollout(ns.name, 'shop', {
      ...gatewaySpec('shop'),
      strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }], abortScaleDownDelaySeconds: 3 } },
    });
    await waitForRollout(ns.name, 'shop', 'shop Healthy', (r) => r.status?.phase === 'Healthy');
    await setImage(ns.name, 'shop', 'example.invalid/app:v2');
    const paused = await waitForRollout(ns.name, 'shop', 'paused at step 2', (r) => r.status?.phase === 'Paused');
    expect(await routeCanaryWeight(ns.name, 'shop')).toBe(50);
    const pods = async () => (await clientsPods(ns.name, 'shop')).sort();
    const podsBefore = await pods();

    const requested = performance.now();
    await sluice('abort', 'shop');
    await waitForRollout(ns.name, 'shop', 'shop aborted', (r) => r.status?.abort === true, 10_000);
    // The abort is recorded in status first, and the route is the next write: it comes after one more write, not
    // after a wait. How long a write takes here is what the abort took to be recorded (on a loaded machine, more).
    const oneWriteMs = performance.now() - requested;
    await expect
      .poll(() => routeCanaryWeight(ns.name, 'shop'), { timeout: Math.max(1_000, 2 * oneWriteMs), interval: 20 })
      .toBe(0);
    expect(await pods()).toEqual(podsBefore); // the abort started no pod
    const abortedAt = Date.now();
    const after = await waitForRollout(ns.name, 'shop', 'Degraded', (r) => r.status?.phase === 'Degraded');
    expect(after.status?.message).toBe('aborted: aborted by a user request');
    const canaryRs = async () =>
      (await replicaSetsOf(ns.name, 'shop')).find((s) => s.revision === paused.status?.canaryRevision)?.replicas;
    expect(await canaryRs()).toBe(1); // kept for abortScaleDownDelaySeconds
    while ((await canaryRs()) !== 0 && Date.now() - abortedAt < 20_000) await new Promise((r) => setTimeout(r, 200));
    expect(await canaryRs()).toBe(0);
    expect(Date.now() - abortedAt).toBeGreaterThan(2_000);
    await expect.poll(() => eventReasons(ns.name, 'shop'), { timeout: 5_000 }).toContain('Aborted');
  });

  it('when a newer image arrives mid-canary, the steps restart for the newest revision', async () => {
    await createApp(ns.name, 'api', { replicas: 2, route: true });
    await createRollout(ns.name, 'api', gatewaySpec('api'));
    await waitForRollout(ns.name, 'api', 'api Healthy', (r) => r.status?.phase === 'Healthy');
    await setImage(ns.name, 'api', 'example.invalid/app:v2');
    const first = await waitForRollout(
      ns.name,
      'api',
      'paused at the last step',
      (r) => r.status?.phase === 'Paused' && r.status.currentStepIndex === 3,
    );
    const history = await watchRollout(ns.name, 'api');
    await setImage(ns.name, 'api', 'example.invalid/app:v3');
    const second = await waitForRollout(
      ns.name,
      'api',
      'a new canary',
      (r) =>
        r.status?.canaryRevision !== first.status?.canaryRevision &&
        r.status?.phase === 'Paused' &&
        r.status.currentStepIndex === 3,
    );
    await history.stop();
    expect(second.status?.stableRevision).toBe(first.status?.stableRevision);
    // Both canaries end paused at step 4 at 60%: only what happened in between shows that the steps restarted.
    const newest = history.versions.filter((v) => v.status?.canaryRevision === second.status?.canaryRevision);
    const indices = stepIndices(newest);
    expect(stepsRanOnce(indices, 3), `step indices ${JSON.stringify(indices)}`).toBe(true);
    const weights = newest.map((v) => v.status?.weights?.canary);
    expect(weights.indexOf(20)).toBeGreaterThanOrEqual(0);
    expect(weights.indexOf(20)).toBeLessThan(weights.lastIndexOf(60));
    await expect.poll(() => eventReasons(ns.name, 'api'), { timeout: 5_000 }).toContain('Superseded');
    const sets = await replicaSetsOf(ns.name, 'api');
    expect(sets.find((s) => s.revision === first.status?.canaryRevision)?.replicas).toBe(0);
  });
});

describe('given a Rollout with revisionHistoryLimit 1', () => {
  it('when releases are promoted, one reverted to, only stable and the most recently used old ReplicaSet are left', async () => {
    await createApp(ns.name, 'cart', { replicas: 1, route: false });
    await createRollout(ns.name, 'cart', {
      workloadRef: { name: 'cart' },
      revisionHistoryLimit: 1,
      strategy: { canary: { steps: [{ setWeight: 50 }] } },
    });
    const revisions = new Map([
      [
        'v1',
        (await waitForRollout(ns.name, 'cart', 'cart Healthy', (r) => r.status?.phase === 'Healthy')).status!
          .stableRevision!,
      ],
    ]);
    const release = async (version: string) => {
      const before = (await waitForRollout(ns.name, 'cart', 'any', () => true)).status!.stableRevision;
      await setImage(ns.name, 'cart', `example.invalid/app:${version}`);
      const done = await waitForRollout(
        ns.name,
        'cart',
        `${version} stable`,
        (r) => r.status?.phase === 'Healthy' && r.status.stableRevision !== before,
      );
      revisions.set(version, done.status!.stableRevision!);
    };
    const replicaSetOf = async (version: string) => {
      const list = await clients().apps.listNamespacedReplicaSet({
        namespace: ns.name,
        labelSelector: `sluice.dev/rollout=cart,sluice.dev/revision=${revisions.get(version)}`,
      });
      return list.items.map((rs) => ({ uid: rs.metadata?.uid, replicas: rs.spec?.replicas }))[0];
    };
    await release('v2');
    const v2 = await replicaSetOf('v2');
    await release('v3');
    await expect
      .poll(async () => (await replicaSetsOf(ns.name, 'cart')).map((s) => s.revision).sort(), { timeout: 15_000 })
      .toEqual([revisions.get('v2'), revisions.get('v3')].sort()); // v1 went once its pod was gone
    // A revert: v2's own ReplicaSet comes back (not a new one), and after v4 it is the most recently used old one,
    // though v3's was created later: the one kept must be chosen by use, not by creation.
    await release('v2');
    expect(await replicaSetOf('v2')).toMatchObject({ uid: v2?.uid, replicas: 1 });
    await release('v4');
    await expect
      .poll(async () => (await replicaSetsOf(ns.name, 'cart')).map((s) => `${s.revision}:${s.replicas}`).sort(), {
        timeout: 15_000,
      })
      .toEqual([`${revisions.get('v2')}:0`, `${revisions.get('v4')}:1`].sort());
  });
});

async function clientsPods(namespace: string, rollout: string): Promise<string[]> {
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const list = await adminKubeConfig()
    .makeApiClient(CoreV1Api)
    .listNamespacedPod({ namespace, labelSelector: `sluice.dev/rollout=${rollout}` });
  return list.items.map((p) => p.metadata!.name!);
}
