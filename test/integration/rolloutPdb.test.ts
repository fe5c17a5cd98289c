/**
 * A Rollout's PodDisruptionBudget (spec.pdb, issue 16) against the real control plane: given a Rollout with
 * minAvailable 2 of 2 pods, then Sluice keeps a PodDisruptionBudget over its pods that kube-controller-manager's
 * disruption controller enforces (an eviction is refused); a budget changed in the spec is changed in the object,
 * and removing it removes the object.
 */
import { CoreV1Api, PatchStrategy, PolicyV1Api, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { clients, createApp, createRollout, waitForRollout } from './rolloutStory.ts';
import { rolloutRef } from '../../controller/src/reconcile/execute.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('pdb');
let controller: ControllerProcess;

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});
afterAll(async () => controller?.stop());

const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
const policy = () => adminKubeConfig().makeApiClient(PolicyV1Api);
const pdb = () => policy().readNamespacedPodDisruptionBudget({ namespace: ns.name, name: 'guarded' });

/** Evicts one of the Rollout's pods as a node drain would; resolves with the HTTP code. */
async function evictOne(): Promise<number> {
  const core = adminKubeConfig().makeApiClient(CoreV1Api);
  const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'sluice.dev/rollout=guarded' });
  const name = pods.items[0]!.metadata!.name!;
  try {
    await core.createNamespacedPodEviction({
      namespace: ns.name,
      name,
      body: { metadata: { name, namespace: ns.name } },
    });
    return 201;
  } catch (err) {
    return (err as { code?: number }).code ?? 0;
  }
}

describe('given a Rollout with spec.pdb minAvailable 2 over 2 pods', () => {
  it('keeps a PodDisruptionBudget the disruption controller enforces, follows a change, and removes it with the field', async () => {
    await createApp(ns.name, 'guarded', { replicas: 2, route: false });
    await createRollout(ns.name, 'guarded', {
      workloadRef: { name: 'guarded' },
      pdb: { minAvailable: 2 },
      strategy: { canary: { steps: [{ setWeight: 50 }] } },
    });
    await waitForRollout(ns.name, 'guarded', 'Healthy', (r) => r.status?.phase === 'Healthy');
    // Written after the status that says Healthy (decisions first, their effects after): looked for until it is there.
    const made = await expect
      .poll(() => pdb().catch(() => undefined), { timeout: 15_000 })
      .toBeDefined()
      .then(() => pdb());
    expect(made.spec).toMatchObject({
      minAvailable: 2,
      selector: { matchLabels: { 'sluice.dev/rollout': 'guarded' } },
    });
    expect(made.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Rollout', name: 'guarded' });
    await expect.poll(async () => (await pdb()).status?.currentHealthy, { timeout: 30_000 }).toBe(2);
    expect(await evictOne()).toBe(429); // a drain may not take one

    await clients().custom.patchNamespacedCustomObject(
      {
        ...rolloutRef,
        namespace: ns.name,
        name: 'guarded',
        body: [{ op: 'replace', path: '/spec/pdb', value: { maxUnavailable: 1 } }],
      },
      jsonPatch,
    );
    await expect.poll(async () => (await pdb()).spec?.maxUnavailable, { timeout: 15_000 }).toBe(1);
    expect((await pdb()).spec?.minAvailable).toBeUndefined();
    await expect.poll(async () => (await pdb()).status?.disruptionsAllowed, { timeout: 30_000 }).toBe(1);
    expect(await evictOne()).toBe(201);

    await clients().custom.patchNamespacedCustomObject(
      {
        ...rolloutRef,
        namespace: ns.name,
        name: 'guarded',
        body: [{ op: 'remove', path: '/spec/pdb' }],
      },
      jsonPatch,
    );
    await expect
      .poll(
        () =>
          pdb().then(
            () => 'present',
            (err: { code?: number }) => (err.code === 404 ? 'gone' : 'error'),
          ),
        { timeout: 15_000 },
      )
      .toBe('gone');
  });
});
