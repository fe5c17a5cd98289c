/**
 * Stories of the Gateway API router's managed routes against the real control plane: a setHeaderRoute step adds a
 * rule to the user's HTTPRoute that sends matching requests to the canary, a setMirrorRoute step one that copies
 * them there; the API server validates and defaults what Sluice writes (rule names sluice.<rollout>.<route>), and
 * promotion, abort or a route dropped from managedRoutes take the rules away.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutSpec } from '../../controller/src/api/types.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import {
  clients,
  createApp,
  createRollout,
  requestAction,
  routedSpec,
  setImage,
  waitForRollout,
} from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('gwroutes');
let controller: ControllerProcess;

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});
afterAll(async () => controller?.stop());

interface Rule {
  name?: string;
  matches?: { headers?: { type: string; name: string; value: string }[] }[];
  filters?: { type: string; requestMirror?: { backendRef: { name: string }; percent?: number } }[];
  backendRefs?: { name: string; weight?: number }[];
}

async function route(name: string): Promise<{ resourceVersion: string; rules: Rule[] }> {
  const object = (await clients().custom.getNamespacedCustomObject({
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    plural: 'httproutes',
    namespace: ns.name,
    name,
  })) as { metadata: { resourceVersion: string }; spec: { rules: Rule[] } };
  return { resourceVersion: object.metadata.resourceVersion, rules: object.spec.rules };
}

const internalUsers = { headerName: 'X-User', headerValue: { exact: 'qa' } };

function spec(name: string, steps: object[]): RolloutSpec {
  return {
    ...routedSpec(name),
    trafficRouting: { ...routedSpec(name).trafficRouting, managedRoutes: [{ name: 'internal' }, { name: 'shadow' }] },
    strategy: { canary: { steps } },
  };
}

/** The app on v1, then v2 rolled out up to the pause at step `pausedAt` (0-based). */
async function pausedCanary(name: string, steps: object[], pausedAt: number) {
  await createApp(ns.name, name, { replicas: 2, route: true });
  await createRollout(ns.name, name, spec(name, steps));
  await waitForRollout(ns.name, name, `${name} Healthy`, (r) => r.status?.phase === 'Healthy');
  await setImage(ns.name, name, 'example.invalid/app:v2');
  return waitForRollout(
    ns.name,
    name,
    `${name} paused at step ${pausedAt + 1}`,
    (r) => r.status?.phase === 'Paused' && r.status.currentStepIndex === pausedAt,
  );
}

/** The managed rule stays as written: the controller does not rewrite what the API server defaulted. */
async function expectSteady(name: string) {
  const before = (await route(name)).resourceVersion;
  await new Promise((r) => setTimeout(r, 1_500));
  expect((await route(name)).resourceVersion).toBe(before);
}

describe('given a Rollout with an HTTPRoute and managedRoutes internal and shadow', () => {
  const headerSteps = [{ setHeaderRoute: { name: 'internal', match: [internalUsers] } }, { pause: {} }];

  it('when a setHeaderRoute step runs, the HTTPRoute gets a rule for the header to the canary, gone after promotion', async () => {
    const paused = await pausedCanary('hdr', headerSteps, 1);
    expect(paused.status?.weights).toEqual({ canary: 0, stable: 100 });
    const { rules } = await route('hdr');
    expect(rules).toHaveLength(2);
    expect(rules[1]).toMatchObject({
      name: 'sluice.hdr.internal',
      matches: [{ headers: [{ type: 'Exact', name: 'x-user', value: 'qa' }] }],
      backendRefs: [{ name: 'hdr-canary' }],
    });
    expect(rules[1]!.backendRefs).toHaveLength(1);
    await expectSteady('hdr');

    await requestAction(ns.name, 'hdr', 'promote');
    await waitForRollout(
      ns.name,
      'hdr',
      'hdr Healthy on v2',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === paused.status?.canaryRevision,
    );
    await expect.poll(async () => (await route('hdr')).rules.map((r) => r.name ?? 'user')).toEqual(['user']);
  });

  it('when the canary with a header route is aborted, the rule is gone and the weight is 0', async () => {
    await pausedCanary('hab', headerSteps, 1);
    expect((await route('hab')).rules.map((r) => r.name)).toContain('sluice.hab.internal');
    await requestAction(ns.name, 'hab', 'abort');
    await waitForRollout(ns.name, 'hab', 'hab Degraded', (r) => r.status?.phase === 'Degraded');
    // Status is written first and the route right after it: the route may lag the phase by one write.
    const weightsAndRules = async () => {
      const { rules } = await route('hab');
      return { rules: rules.length, weights: rules[0]!.backendRefs?.map((b) => b.weight) };
    };
    await expect.poll(weightsAndRules).toEqual({ rules: 1, weights: [100, 0] });
  });

  const mirrorSteps = [
    { setWeight: 20 },
    { setMirrorRoute: { name: 'shadow', percentage: 50, match: [internalUsers] } },
    { pause: {} },
  ];

  it('when a setMirrorRoute step runs, a rule mirrors 50% of the matching requests to the canary, gone after promotion', async () => {
    const paused = await pausedCanary('mir', mirrorSteps, 2);
    const { rules } = await route('mir');
    expect(rules[1]).toMatchObject({
      name: 'sluice.mir.shadow',
      matches: [{ headers: [{ type: 'Exact', name: 'x-user', value: 'qa' }] }],
      filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'mir-canary' }, percent: 50 } }],
      // The matching requests still go where the split sends them.
      backendRefs: [
        { name: 'mir-stable', weight: 80 },
        { name: 'mir-canary', weight: 20 },
      ],
    });
    await expectSteady('mir');

    await requestAction(ns.name, 'mir', 'promote');
    await waitForRollout(
      ns.name,
      'mir',
      'mir Healthy on v2',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === paused.status?.canaryRevision,
    );
    await expect.poll(async () => (await route('mir')).rules.map((r) => r.name ?? 'user')).toEqual(['user']);
  });

  it('when the canary with a mirror route is aborted, the rule is gone', async () => {
    await pausedCanary('mab', mirrorSteps, 2);
    expect((await route('mab')).rules.map((r) => r.name)).toContain('sluice.mab.shadow');
    await requestAction(ns.name, 'mab', 'abort');
    await waitForRollout(ns.name, 'mab', 'mab Degraded', (r) => r.status?.phase === 'Degraded');
    await expect.poll(async () => (await route('mab')).rules.map((r) => r.name ?? 'user')).toEqual(['user']);
  });

  it('when a route is dropped from managedRoutes mid-canary, its rule leaves the HTTPRoute and the rollout stays paused', async () => {
    await pausedCanary('drp', headerSteps, 1);
    expect((await route('drp')).rules.map((r) => r.name)).toContain('sluice.drp.internal');
    // The user replaces the header step (already done) and stops listing "internal".
    const edited = { ...spec('drp', [{ pause: { duration: '1s' } }, { pause: {} }]) };
    edited.trafficRouting = { ...edited.trafficRouting, managedRoutes: [{ name: 'shadow' }] };
    await clients().custom.patchNamespacedCustomObject(
      {
        group: 'sluice.dev',
        version: 'v1alpha1',
        plural: 'rollouts',
        namespace: ns.name,
        name: 'drp',
        body: { spec: { trafficRouting: edited.trafficRouting, strategy: edited.strategy } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await expect.poll(async () => (await route('drp')).rules.map((r) => r.name ?? 'user')).toEqual(['user']);
    await expectSteady('drp');
    const rollout = await waitForRollout(ns.name, 'drp', 'drp paused', (r) => r.status?.phase === 'Paused');
    expect(rollout.status?.currentStepIndex).toBe(1);
  });
});
