/**
 * Stories of what a guarded flag release never does, against a real Unleash server: a paused Rollout leaves its
 * flag alone, and a deleted one puts its flag back before it goes.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanaryStep, RolloutSpec } from '../../controller/src/api/types.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { createFlag, flagState, unleashEnv } from './flagStory.ts';
import { clients, createRollout, getRollout, waitForRollout } from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('flags-safety');
let controller: ControllerProcess;
const rolloutRef = { group: 'sluice.dev', version: 'v1alpha1', plural: 'rollouts' };

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name, env: unleashEnv() });
});
afterAll(async () => {
  await controller?.stop();
});

const flagOnly = (steps: CanaryStep[], extra: Partial<RolloutSpec> = {}): RolloutSpec => ({
  strategy: { canary: { steps } },
  ...extra,
});

describe('given a flag-only Rollout at a setFlag step', () => {
  it('while paused, Unleash is left untouched; resumed, the flag moves', async () => {
    const flag = await createFlag('paused-flow');
    await createRollout(
      ns.name,
      'held',
      flagOnly([{ setFlag: { name: flag, rollout: 50, environment: 'development' } }, { pause: {} }], { paused: true }),
    );
    await waitForRollout(
      ns.name,
      'held',
      'paused at the setFlag step',
      (r) => r.status?.phase === 'Paused' && /paused by spec.paused at step 1\/2/.test(r.status.message ?? ''),
    );
    // Long enough for a read, a record and a set (each a reconcile and an Unleash call of a few ms).
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await flagState(flag)).toEqual({ enabled: false, rollouts: [] });
    expect((await getRollout(ns.name, 'held')).status?.flags ?? []).toEqual([]);

    // The control: the same Rollout, resumed, moves the flag (so the check above could have failed).
    await clients().custom.patchNamespacedCustomObject(
      { ...rolloutRef, namespace: ns.name, name: 'held', body: { spec: { paused: false } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitForRollout(ns.name, 'held', 'past the setFlag step', (r) => r.status?.currentStepIndex === 1);
    expect(await flagState(flag)).toEqual({ enabled: true, rollouts: [50] });
  });

  it('when deleted after setting its flag, puts the flag back before it is gone', async () => {
    const flag = await createFlag('deleted-flow');
    const before = await flagState(flag);
    await createRollout(
      ns.name,
      'doomed',
      flagOnly([{ setFlag: { name: flag, rollout: 40, environment: 'development' } }, { pause: {} }]),
    );
    const r = await waitForRollout(ns.name, 'doomed', 'past the setFlag step', (x) => x.status?.currentStepIndex === 1);
    expect(r.metadata.finalizers).toContain('sluice.dev/handover');
    expect(await flagState(flag)).toEqual({ enabled: true, rollouts: [40] });

    await clients().custom.deleteNamespacedCustomObject({ ...rolloutRef, namespace: ns.name, name: 'doomed' });
    await expect
      .poll(
        async () => {
          try {
            await getRollout(ns.name, 'doomed');
            return 'still there';
          } catch (err) {
            return (err as { code?: number }).code === 404 ? 'gone' : String(err);
          }
        },
        { timeout: 30_000, interval: 200 },
      )
      .toBe('gone');
    expect(await flagState(flag)).toEqual(before);
  });
});
