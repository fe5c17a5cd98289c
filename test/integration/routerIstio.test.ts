/**
 * Stories of the Istio router against the real control plane and the published Istio CRDs, host-based (the
 * -stable and -canary Services) and subset-based (one host, a DestinationRule's subsets): the weights in the
 * VirtualService follow the steps, an abort returns them at once, and a hand-edited VirtualService that lost a
 * destination is reported, not written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import {
  createIstioObjects,
  patchVirtualService,
  subsetRevisions,
  virtualService,
  vsCanaryWeight,
} from './istioStory.ts';
import {
  createApp,
  createRollout,
  requestAction,
  setImage,
  waitForInvalidSpec,
  waitForRollout,
} from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('istio');
let controller: ControllerProcess;

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});
afterAll(async () => controller?.stop());

const modes = [
  ['host-based', false],
  ['subset-based', true],
] as const;

function istioSpec(name: string, subsets: boolean, steps: object[]) {
  return {
    workloadRef: { name },
    service: { port: 80, targetPort: 8080 },
    trafficRouting: {
      istio: { virtualService: name, routes: ['primary'], ...(subsets ? { destinationRule: { name } } : {}) },
    },
    strategy: { canary: { steps } },
  };
}

async function healthyApp(name: string, subsets: boolean, steps: object[]): Promise<string> {
  await createApp(ns.name, name, { replicas: 2, route: false });
  await createIstioObjects(ns.name, name, subsets);
  await createRollout(ns.name, name, istioSpec(name, subsets, steps));
  const healthy = await waitForRollout(ns.name, name, `${name} Healthy`, (r) => r.status?.phase === 'Healthy');
  return healthy.status!.stableRevision!;
}

const pausedAt = (index: number) => (r: { status?: { phase?: string; currentStepIndex?: number } }) =>
  r.status?.phase === 'Paused' && r.status.currentStepIndex === index;

describe.each(modes)('given a Rollout with an Istio VirtualService, %s', (_mode, subsets) => {
  const tag = subsets ? 'sub' : 'host';

  it('when the image changes, the VirtualService weights go 10 then 50, and promotion returns them to stable', async () => {
    const name = `${tag}-promote`;
    const steps = [{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }, { pause: {} }];
    const stable = await healthyApp(name, subsets, steps);
    await setImage(ns.name, name, 'example.invalid/app:v2');

    const first = await waitForRollout(ns.name, name, 'paused at 10%', pausedAt(1));
    expect(first.status?.weights).toEqual({ canary: 10, stable: 90 });
    expect(await vsCanaryWeight(ns.name, name)).toBe(10);
    const canary = first.status!.canaryRevision!;
    if (subsets) expect(await subsetRevisions(ns.name, name)).toEqual({ stable, canary });

    await requestAction(ns.name, name, 'promote');
    await waitForRollout(ns.name, name, 'paused at 50%', pausedAt(3));
    expect(await vsCanaryWeight(ns.name, name)).toBe(50);

    await requestAction(ns.name, name, 'promote');
    const done = await waitForRollout(
      ns.name,
      name,
      'Healthy on the new revision',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === canary,
    );
    expect(done.status?.weights).toEqual({ canary: 0, stable: 100 });
    expect(await vsCanaryWeight(ns.name, name)).toBe(0);
    // Subset-based, the stable subset now selects the promoted revision's pods.
    if (subsets) expect((await subsetRevisions(ns.name, name)).stable).toBe(canary);
  });

  it('when aborted at 50%, the VirtualService sends nothing to the canary right after', async () => {
    const name = `${tag}-abort`;
    await healthyApp(name, subsets, [{ setWeight: 50 }, { pause: {} }]);
    await setImage(ns.name, name, 'example.invalid/app:v2');
    await waitForRollout(ns.name, name, 'paused at 50%', pausedAt(1));
    expect(await vsCanaryWeight(ns.name, name)).toBe(50);

    const requested = performance.now();
    await requestAction(ns.name, name, 'abort');
    await waitForRollout(ns.name, name, 'aborted', (r) => r.status?.abort === true, 10_000);
    // The abort is recorded in status, and the route is the next write: one more write, not a wait.
    const oneWriteMs = performance.now() - requested;
    await expect
      .poll(() => vsCanaryWeight(ns.name, name), { timeout: Math.max(1_000, 2 * oneWriteMs), interval: 20 })
      .toBe(0);
  });

  it('when the VirtualService loses its canary destination by hand, the Rollout reports InvalidSpec and writes nothing', async () => {
    const name = `${tag}-edited`;
    await healthyApp(name, subsets, [{ setWeight: 30 }, { pause: {} }]);
    // The user drops the canary destination and leaves the stable one at 100.
    await patchVirtualService(ns.name, name, [
      { op: 'test', path: '/spec/http/1/name', value: 'primary' },
      { op: 'remove', path: '/spec/http/1/route/1' },
    ]);
    const edited = (await virtualService(ns.name, name)).spec;
    await setImage(ns.name, name, 'example.invalid/app:v2');
    const invalid = await waitForInvalidSpec(ns.name, name);
    const condition = invalid.status!.conditions!.find((c) => c.type === 'InvalidSpec')!;
    expect(condition.message).toMatch(/spec\.trafficRouting\.istio\.routes/);
    expect(condition.message).toMatch(/has no destinations to both/);
    // Give the controller time to make a wrong write, then compare: nothing of the object moved.
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await virtualService(ns.name, name)).spec).toEqual(edited);
  });
});
