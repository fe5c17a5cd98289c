/**
 * Blue-green promotion stories against the real control plane: a manual promotion switches active at once and keeps
 * the old pods for scaleDownDelaySeconds; an automatic one waits autoPromotionSeconds with active on the old
 * revision; a newer template during the preview replaces the preview revision, and the template set back to the
 * active revision ends the rollout.
 */
import type { V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { revisionLabel } from '../../controller/src/workload/names.ts';
import { blueGreenSpec, folded, selectedRevision, watchObject } from './blueGreenStory.ts';
import { rolloutRef } from '../../controller/src/reconcile/execute.ts';
import { useController } from './controllerProcess.ts';
import {
  clients,
  createApp,
  createRollout,
  eventReasons,
  kubectlSluice,
  patchTemplate,
  replicaSetsOf,
  setImage,
  troubleConditions,
  waitForInvalidSpec,
  waitForRollout,
} from './rolloutStory.ts';
import { useNamespace } from './support.ts';

const ns = useNamespace('blue-green');
useController(ns);

const sluice = (...args: string[]) => kubectlSluice(ns.name, ...args);

const selected = (service: string) => selectedRevision(ns.name, service);
/** Every selector a Service of this namespace has from now on, in order. */
const watchService = (name: string) => watchObject<V1Service>(`/api/v1/namespaces/${ns.name}/services`, name);
const selects = (s: V1Service) => s.spec?.selector?.[revisionLabel];

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
    expect(await selected('shop-active')).toBe(blue);
    expect(initial.status?.blueGreen).toMatchObject({ phase: 'Promoted', activeRevision: blue });

    await setImage(ns.name, 'shop', 'example.invalid/app:v2');
    const preview = await waitForRollout(ns.name, 'shop', 'waiting for promotion', (r) => r.status?.phase === 'Paused');
    const green = preview.status!.canaryRevision!;
    expect(green).not.toBe(blue);
    expect(preview.status?.blueGreen).toMatchObject({ phase: 'Preview', activeRevision: blue, previewRevision: green });
    expect(await selected('shop-active')).toBe(blue);
    expect(await selected('shop-preview')).toBe(green);
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
    expect(await selected('shop-active')).toBe(green);
    expect(done.status?.scaleDown?.map((w) => w.revision)).toContain(blue);
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

describe('given a blue-green Rollout with autoPromotionSeconds 3', () => {
  it('keeps active on the old revision for 3 s after the preview is ready, then switches on its own', async () => {
    await createApp(ns.name, 'auto', { replicas: 2, route: false });
    await createRollout(ns.name, 'auto', blueGreenSpec('auto', { previewReplicaCount: 1, autoPromotionSeconds: 3 }));
    const blue = (await waitForRollout(ns.name, 'auto', 'Healthy', (r) => r.status?.phase === 'Healthy')).status!
      .stableRevision!;
    const active = await watchService('auto-active');

    await setImage(ns.name, 'auto', 'example.invalid/app:v2');
    const waiting = await waitForRollout(
      ns.name,
      'auto',
      'the wait before the switch',
      (r) => r.status?.canaryRevision !== blue && r.status?.currentStepIndex === 1,
    );
    const green = waiting.status!.canaryRevision!;
    expect(waiting.status?.phase).toBe('Paused');
    expect(waiting.status?.message).toMatch(/\(pause 3s\): paused until/);
    expect(await selected('auto-preview')).toBe(green);
    await waitForRollout(
      ns.name,
      'auto',
      'promoted',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === green,
    );
    await active.stop();

    expect(folded(active.versions, selects)).toEqual([blue, green]);
    // The wait starts when the preview is ready (the step's start); the switch then needs every new pod ready.
    const switchedAfterMs =
      active.versions.find((v) => selects(v.object) === green)!.seenAt - Date.parse(waiting.status!.stepStartedAt!);
    console.log(
      `[blue-green story] preview ready -> active switched in ${switchedAfterMs} ms (autoPromotionSeconds 3)`,
    );
    expect(switchedAfterMs).toBeGreaterThanOrEqual(3_000);
    expect(switchedAfterMs).toBeLessThan(13_000);
  });
});

describe('given a blue-green Rollout in preview', () => {
  it('replaces the preview with a newer template, and ends when the template goes back to the active revision', async () => {
    await createApp(ns.name, 'cart', { replicas: 2, route: false });
    await createRollout(
      ns.name,
      'cart',
      blueGreenSpec('cart', { autoPromotionEnabled: false, previewReplicaCount: 1 }),
    );
    const blue = (await waitForRollout(ns.name, 'cart', 'Healthy', (r) => r.status?.phase === 'Healthy')).status!
      .stableRevision!;
    const blueSet = (await replicaSetsOf(ns.name, 'cart')).find((s) => s.revision === blue)!.name;
    const active = await watchService('cart-active');
    const replicasOf = async (revision: string) =>
      (await replicaSetsOf(ns.name, 'cart')).find((s) => s.revision === revision)?.replicas;
    // The whole container each time (a merge patch replaces the list): v1 again is then the template of before.
    const release = (version: string) =>
      patchTemplate(ns.name, 'cart', {
        spec: {
          containers: [{ name: 'app', image: `example.invalid/app:${version}`, ports: [{ containerPort: 8080 }] }],
        },
      });

    await release('v2');
    const first = await waitForRollout(
      ns.name,
      'cart',
      'the first preview',
      (r) => r.status?.canaryRevision !== blue && r.status?.phase === 'Paused',
    );
    const superseded = first.status!.canaryRevision!;
    expect(await selected('cart-preview')).toBe(superseded);

    await release('v3');
    const second = await waitForRollout(
      ns.name,
      'cart',
      'the newer preview',
      (r) =>
        r.status?.canaryRevision !== superseded && r.status?.canaryRevision !== blue && r.status?.phase === 'Paused',
    );
    const newest = second.status!.canaryRevision!;
    expect(second.status?.blueGreen).toMatchObject({ phase: 'Preview', activeRevision: blue, previewRevision: newest });
    expect(await selected('cart-preview')).toBe(newest);
    await expect.poll(() => replicasOf(superseded), { timeout: 10_000 }).toBe(0);
    expect(await replicasOf(newest)).toBe(1);
    expect(await replicasOf(blue)).toBe(2);

    // The template back at the active revision: nothing is in flight any more.
    await release('v1');
    const ended = await waitForRollout(
      ns.name,
      'cart',
      'Healthy on the active revision',
      (r) => r.status?.phase === 'Healthy' && r.status.canaryRevision === blue,
    );
    expect(ended.status).toMatchObject({
      stableRevision: blue,
      weights: { canary: 0, stable: 100 },
      blueGreen: { phase: 'Promoted', activeRevision: blue, previewRevision: blue },
    });
    await expect.poll(() => replicasOf(newest), { timeout: 10_000 }).toBe(0);
    expect(await selected('cart-preview')).toBe(blue);
    await active.stop();
    expect(new Set(active.versions.map((v) => selects(v.object)))).toEqual(new Set([blue]));
    // The active revision's own ReplicaSet served throughout: none was built again for it.
    expect((await replicaSetsOf(ns.name, 'cart')).filter((s) => s.revision === blue)).toEqual([
      { name: blueSet, revision: blue, replicas: 2 },
    ]);
    await expect
      .poll(() => eventReasons(ns.name, 'cart'), { timeout: 5_000 })
      .toEqual(expect.arrayContaining(['CanaryStarted', 'Superseded', 'CanaryReverted']));
  });
});

describe('given Services the user made before the Rollout', () => {
  it('adopts them (ports kept, selector recorded) and gives them their selector back when the Rollout is deleted', async () => {
    const { core, custom } = clients();
    await createApp(ns.name, 'basket', { replicas: 2, route: false });
    const ports = [
      { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
      { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' },
    ];
    for (const name of ['basket-active', 'basket-preview'])
      await core.createNamespacedService({
        namespace: ns.name,
        body: { metadata: { name }, spec: { selector: { app: 'basket' }, ports } },
      });
    await createRollout(ns.name, 'basket', blueGreenSpec('basket'));
    const healthy = await waitForRollout(ns.name, 'basket', 'cart Healthy', (r) => r.status?.phase === 'Healthy');
    const active = await core.readNamespacedService({ namespace: ns.name, name: 'basket-active' });
    expect(active.spec?.selector).toEqual({
      'sluice.dev/rollout': 'basket',
      'sluice.dev/revision': healthy.status!.stableRevision,
    });
    expect(active.spec?.ports?.map((p) => p.port)).toEqual([80, 9090]);
    expect(active.metadata?.annotations?.['sluice.dev/adopted-selector']).toBe('{"app":"basket"}');
    expect(active.metadata?.ownerReferences ?? []).toEqual([]); // adopted, not owned: deleting the Rollout keeps it

    await custom.deleteNamespacedCustomObject({ ...rolloutRef, namespace: ns.name, name: 'basket' });
    await expect
      .poll(
        async () => (await core.readNamespacedService({ namespace: ns.name, name: 'basket-active' })).spec?.selector,
        {
          timeout: 30_000,
        },
      )
      .toEqual({ app: 'basket' });
    // The hand-over gives the Services back one write after the other: the preview's may come a moment later.
    await expect
      .poll(
        async () => (await core.readNamespacedService({ namespace: ns.name, name: 'basket-preview' })).spec?.selector,
        { timeout: 10_000 },
      )
      .toEqual({ app: 'basket' });
    const released = await core.readNamespacedService({ namespace: ns.name, name: 'basket-preview' });
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
