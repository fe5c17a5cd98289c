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
  waitForRollout,
} from './rolloutStory.ts';
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
