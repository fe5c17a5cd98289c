/**
 * Hostile review of spec.restartAt (issue 16) against the local control plane: given a Rollout with 3 ready stable
 * pods and a fourth stable pod stuck Terminating (a finalizer here; on a real cluster, a pod on a node that died
 * stays Terminating until the Node object goes, often for hours), when a user runs `kubectl sluice restart`, then the
 * restart should replace the ready pods: the ReplicaSet already replaced the stuck one, and evicting through the
 * budget costs nothing the user would miss.
 *
 * Defect (controller/src/planner/restart.ts:82-83): any stable pod with a deletionTimestamp holds the restart
 * ("waiting for pod ... to go before the next eviction"), also one Sluice never evicted, with no deadline and no
 * Warning: the restart never starts.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rollout } from '../../controller/src/api/types.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { clients, createApp, createRollout, kubectlSluice, waitForRollout } from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('restart-stuck');
let controller: ControllerProcess;
const held: string[] = [];
const hold = 'example.com/hold';
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});
afterAll(async () => {
  // Let the held pod go, so that the namespace can be deleted.
  for (const name of held)
    await clients()
      .core.patchNamespacedPod({ namespace: ns.name, name, body: { metadata: { finalizers: null } } }, merge)
      .catch(() => undefined);
  await controller?.stop();
});

const restarted = (r: Rollout) => r.spec.restartAt !== undefined && r.status?.restartedAt === r.spec.restartAt;

describe('given a Rollout whose stable pod is stuck Terminating', () => {
  it('kubectl sluice restart still replaces the other stable pods', async () => {
    await createApp(ns.name, 'orders', { replicas: 3, route: false });
    await createRollout(ns.name, 'orders', {
      workloadRef: { name: 'orders' },
      strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } },
    });
    await waitForRollout(ns.name, 'orders', 'Healthy', (r) => r.status?.phase === 'Healthy');
    const { core } = clients();
    const list = async () =>
      (await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'sluice.dev/rollout=orders' })).items;
    const [stuck, ...others] = (await list()).map((p) => p.metadata!.name!);
    await core.patchNamespacedPod(
      { namespace: ns.name, name: stuck!, body: { metadata: { finalizers: [hold] } } },
      merge,
    );
    held.push(stuck!);
    await core.deleteNamespacedPod({ namespace: ns.name, name: stuck! });
    // The ReplicaSet replaces it; kwok makes the replacement ready: three live ready pods again.
    await expect
      .poll(
        async () =>
          (await list()).filter(
            (p) =>
              p.metadata?.deletionTimestamp === undefined &&
              p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
          ).length,
        { timeout: 30_000 },
      )
      .toBe(3);

    await kubectlSluice(ns.name, 'restart', 'orders');
    await waitForRollout(ns.name, 'orders', 'restartedAt', restarted, 60_000);
    const left = (await list()).map((p) => p.metadata!.name!);
    expect(left.filter((name) => others.includes(name))).toEqual([]);
  });
});
