/**
 * Blue-green stories against the real control plane: the active and preview Services select real pods (their
 * EndpointSlices say which), a promotion switches active at once and keeps the old pods for scaleDownDelaySeconds,
 * and deleting the Rollout gives an adopted Service its own selector back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutSpec } from '../../controller/src/api/types.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import {
  clients,
  createApp,
  createRollout,
  eventReasons,
  kubectlSluice,
  replicaSetsOf,
  setImage,
  troubleConditions,
  waitForInvalidSpec,
  waitForRollout,
} from './rolloutStory.ts';
import { rolloutRef } from '../../controller/src/reconcile/execute.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('blue-green');
let controller: ControllerProcess;

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});
afterAll(async () => controller?.stop());

const sluice = (...args: string[]) => kubectlSluice(ns.name, ...args);

export const blueGreenSpec = (name: string, blueGreen: Record<string, unknown> = {}): RolloutSpec => ({
  workloadRef: { name },
  service: { port: 80, targetPort: 8080 },
  strategy: {
    blueGreen: { activeService: `${name}-active`, previewService: `${name}-preview`, ...blueGreen },
  },
});

/** The revision label of the pods a Service's selector picks, read from the Service itself. */
async function selectedRevision(service: string): Promise<string | undefined> {
  const s = await clients().core.readNamespacedService({ namespace: ns.name, name: service });
  return s.spec?.selector?.['sluice.dev/revision'];
}

describe('given a Deployment and a blue-green Rollout with manual promotion', () => {
  it('previews the new pods, switches active on kubectl sluice promote, and scales the old ones down after the delay', async () => {
    await createApp(ns.name, 'shop', { replicas: 3, route: false });
    await createRollout(
      ns.name,
      'shop',
      blueGreenSpec('shop', { autoPromotionEnabled: false, previewReplicaCount: 1, scaleDownDelaySeconds: 3 }),
    );
    const initial = await waitForRollout(ns.name, 'shop', 'shop Healthy', (r) => r.status?.phase === 'Healthy');
    const blue = initial.status!.stableRevision!;
    expect(await selectedRevision('shop-active')).toBe(blue);
    expect(initial.status?.blueGreen).toMatchObject({ phase: 'Promoted', activeRevision: blue });

    await setImage(ns.name, 'shop', 'example.invalid/app:v2');
    const preview = await waitForRollout(ns.name, 'shop', 'waiting for promotion', (r) => r.status?.phase === 'Paused');
    const green = preview.status!.canaryRevision!;
    expect(green).not.toBe(blue);
    expect(preview.status?.blueGreen).toMatchObject({ phase: 'Preview', activeRevision: blue, previewRevision: green });
    expect(await selectedRevision('shop-active')).toBe(blue);
    expect(await selectedRevision('shop-preview')).toBe(green);
    const sets = await replicaSetsOf(ns.name, 'shop');
    expect(sets.find((s) => s.revision === green)?.replicas).toBe(1);
    expect(sets.find((s) => s.revision === blue)?.replicas).toBe(3);

    expect(await sluice('promote', 'shop')).toMatch(/promote requested/);
    const done = await waitForRollout(
      ns.name,
      'shop',
      'green stable',
      (r) => r.status?.stableRevision === green && r.status.phase === 'Healthy',
    );
    expect(await selectedRevision('shop-active')).toBe(green);
    expect(done.status?.scaleDown?.revision).toBe(blue);
    // The old pods stay for the delay, then go.
    expect((await replicaSetsOf(ns.name, 'shop')).find((s) => s.revision === blue)?.replicas).toBe(3);
    await expect
      .poll(async () => (await replicaSetsOf(ns.name, 'shop')).find((s) => s.revision === blue)?.replicas, {
        timeout: 15_000,
      })
      .toBe(0);
    await expect
      .poll(() => eventReasons(ns.name, 'shop'), { timeout: 5_000 })
      .toEqual(expect.arrayContaining(['CanaryStarted', 'Switched', 'Promoted']));
  });
});

describe('given Services the user made before the Rollout', () => {
  it('adopts them (ports kept, selector recorded) and gives them their selector back when the Rollout is deleted', async () => {
    const { core, custom } = clients();
    await createApp(ns.name, 'cart', { replicas: 2, route: false });
    const ports = [
      { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
      { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' },
    ];
    for (const name of ['cart-active', 'cart-preview'])
      await core.createNamespacedService({
        namespace: ns.name,
        body: { metadata: { name }, spec: { selector: { app: 'cart' }, ports } },
      });
    await createRollout(ns.name, 'cart', blueGreenSpec('cart'));
    const healthy = await waitForRollout(ns.name, 'cart', 'cart Healthy', (r) => r.status?.phase === 'Healthy');
    const active = await core.readNamespacedService({ namespace: ns.name, name: 'cart-active' });
    expect(active.spec?.selector).toEqual({
      'sluice.dev/rollout': 'cart',
      'sluice.dev/revision': healthy.status!.stableRevision,
    });
    expect(active.spec?.ports?.map((p) => p.port)).toEqual([80, 9090]);
    expect(active.metadata?.annotations?.['sluice.dev/adopted-selector']).toBe('{"app":"cart"}');
    expect(active.metadata?.ownerReferences ?? []).toEqual([]); // adopted, not owned: deleting the Rollout keeps it

    await custom.deleteNamespacedCustomObject({ ...rolloutRef, namespace: ns.name, name: 'cart' });
    await expect
      .poll(
        async () => (await core.readNamespacedService({ namespace: ns.name, name: 'cart-active' })).spec?.selector,
        {
          timeout: 30_000,
        },
      )
      .toEqual({ app: 'cart' });
    const released = await core.readNamespacedService({ namespace: ns.name, name: 'cart-preview' });
    expect(released.spec?.selector).toEqual({ app: 'cart' });
    expect(released.metadata?.labels?.['sluice.dev/rollout']).toBeUndefined();
    expect(released.metadata?.annotations?.['sluice.dev/adopted-selector']).toBeUndefined();
  });

  it('refuses a Service another Rollout uses, or one without a selector, naming the field and touching neither', async () => {
    const { core } = clients();
    await createApp(ns.name, 'owner', { replicas: 1, route: false });
    await createRollout(ns.name, 'owner', blueGreenSpec('owner'));
    await waitForRollout(ns.name, 'owner', 'owner Healthy', (r) => r.status?.phase === 'Healthy');
    const before = await core.readNamespacedService({ namespace: ns.name, name: 'owner-active' });

    await createApp(ns.name, 'thief', { replicas: 1, route: false });
    await createRollout(ns.name, 'thief', {
      ...blueGreenSpec('thief'),
      strategy: { blueGreen: { activeService: 'owner-active', previewService: 'thief-preview' } },
    });
    const refused = await waitForInvalidSpec(ns.name, 'thief');
    expect(
      troubleConditions(refused)
        .map((c) => c.message)
        .join(),
    ).toMatch(/spec\.strategy\.blueGreen\.activeService: Service owner-active belongs to Rollout owner/);
    const after = await core.readNamespacedService({ namespace: ns.name, name: 'owner-active' });
    expect(after.spec?.selector).toEqual(before.spec?.selector);

    await core.createNamespacedService({
      namespace: ns.name,
      body: { metadata: { name: 'external' }, spec: { type: 'ExternalName', externalName: 'example.com' } },
    });
    await createApp(ns.name, 'outside', { replicas: 1, route: false });
    await createRollout(ns.name, 'outside', {
      ...blueGreenSpec('outside'),
      strategy: { blueGreen: { activeService: 'external', previewService: 'outside-preview' } },
    });
    const failed = await waitForRollout(ns.name, 'outside', 'WriteFailed', (r) =>
      troubleConditions(r).some((c) => c.type === 'WriteFailed'),
    );
    expect(
      troubleConditions(failed)
        .map((c) => c.message)
        .join(),
    ).toMatch(/Service external has no pod selector/);
    const external = await core.readNamespacedService({ namespace: ns.name, name: 'external' });
    expect(external.spec?.selector).toBeUndefined();
    expect(external.metadata?.labels?.['sluice.dev/rollout']).toBeUndefined();
  });
});
