/**
 * Stories of the SMI router against the real API server, with Open Service Mesh's TrafficSplit CRD (it serves
 * split.smi-spec.io/v1alpha2): the weights go through the TrafficSplit, a hand-edited one is InvalidSpec and left
 * alone, with rootService Sluice creates the TrafficSplit owned by the Rollout, and a header route step is refused.
 * There is no SMI data plane here: these prove what Sluice writes and reads, not where a mesh sends requests.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { routerStories, type RoutedStory } from './routerStories.ts';
import {
  clients,
  createApp,
  createRollout,
  getRollout,
  setImage,
  waitForInvalidSpec,
  waitForRollout,
} from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('router-smi');
let controller: ControllerProcess;

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});
afterAll(async () => controller?.stop());

const splitRef = { group: 'split.smi-spec.io', version: 'v1alpha2', plural: 'trafficsplits' };

interface TrafficSplit {
  metadata: {
    resourceVersion: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
  };
  spec: { service: string; backends: { service: string; weight: number }[] };
}

const getSplit = async (namespace: string, name: string) =>
  (await clients().custom.getNamespacedCustomObject({ ...splitRef, namespace, name })) as TrafficSplit;

async function splitCanaryWeight(namespace: string, name: string, app = name): Promise<number> {
  const { backends } = (await getSplit(namespace, name)).spec;
  const weight = (service: string) => backends.find((b) => b.service === service)!.weight;
  const canary = weight(`${app}-canary`);
  return Math.round((canary * 100) / (canary + weight(`${app}-stable`)));
}

const smi: RoutedStory = {
  field: 'spec.trafficRouting.smi.trafficSplitName',
  trafficRouting: (name) => ({ smi: { trafficSplitName: name } }),
  createRouterObject: async (namespace, name) => {
    await clients().custom.createNamespacedCustomObject({
      ...splitRef,
      namespace,
      body: {
        apiVersion: 'split.smi-spec.io/v1alpha2',
        kind: 'TrafficSplit',
        metadata: { name },
        spec: {
          service: name,
          backends: [
            { service: `${name}-stable`, weight: 100 },
            { service: `${name}-canary`, weight: 0 },
          ],
        },
      },
    });
  },
  canaryWeight: (namespace, name) => splitCanaryWeight(namespace, name),
  dropCanaryBackend: async (namespace, name) => {
    const index = (await getSplit(namespace, name)).spec.backends.findIndex((b) => b.service === `${name}-canary`);
    await clients().custom.patchNamespacedCustomObject(
      {
        ...splitRef,
        namespace,
        name,
        body: [
          { op: 'test', path: `/spec/backends/${index}/service`, value: `${name}-canary` },
          { op: 'remove', path: `/spec/backends/${index}` },
        ],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
  },
  snapshot: async (namespace, name) => {
    const split = await getSplit(namespace, name);
    return { spec: split.spec, resourceVersion: split.metadata.resourceVersion };
  },
};

describe('given a Deployment and a Rollout with trafficRouting.smi naming the TrafficSplit', () => {
  routerStories(ns, smi);
});

describe('given a Rollout with trafficRouting.smi.rootService and no TrafficSplit', () => {
  it('Sluice creates the TrafficSplit owned by the Rollout at 100% stable, then sets its weights', async () => {
    await createApp(ns.name, 'api', { replicas: 2, route: false });
    await createRollout(ns.name, 'api', {
      workloadRef: { name: 'api' },
      service: { port: 80 },
      trafficRouting: { smi: { trafficSplitName: 'api-split', rootService: 'api' } },
      strategy: { canary: { steps: [{ setWeight: 10 }, { pause: {} }] } },
    });
    await waitForRollout(ns.name, 'api', 'api Healthy', (r) => r.status?.phase === 'Healthy');
    const rollout = await getRollout(ns.name, 'api');
    await expect.poll(() => getSplit(ns.name, 'api-split').catch(() => undefined), { timeout: 10_000 }).toBeDefined();
    const split = await getSplit(ns.name, 'api-split');
    expect(split.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'Rollout',
        uid: rollout.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      }) as unknown,
    ]);
    expect(split.metadata.labels?.['sluice.dev/rollout']).toBe('api');
    expect(split.spec).toEqual({
      service: 'api',
      backends: [
        { service: 'api-stable', weight: 100 },
        { service: 'api-canary', weight: 0 },
      ],
    });

    await setImage(ns.name, 'api', 'example.invalid/app:v2');
    const paused = await waitForRollout(ns.name, 'api', 'paused at 10%', (r) => r.status?.phase === 'Paused');
    expect(paused.status?.weights).toEqual({ canary: 10, stable: 90 });
    expect(await splitCanaryWeight(ns.name, 'api-split', 'api')).toBe(10);
  });
});

describe('given a Rollout with trafficRouting.smi and a setHeaderRoute step', () => {
  it('is InvalidSpec naming the step and the router, and no TrafficSplit changes', async () => {
    await createApp(ns.name, 'beta', { replicas: 1, route: false });
    await smi.createRouterObject(ns.name, 'beta');
    const before = await smi.snapshot(ns.name, 'beta');
    await createRollout(ns.name, 'beta', {
      workloadRef: { name: 'beta' },
      service: { port: 80 },
      trafficRouting: { smi: { trafficSplitName: 'beta' }, managedRoutes: [{ name: 'testers' }] },
      strategy: {
        canary: {
          steps: [
            { setHeaderRoute: { name: 'testers', match: [{ headerName: 'x-tester', headerValue: { exact: 'yes' } }] } },
            { setWeight: 10 },
          ],
        },
      },
    });
    const r = await waitForInvalidSpec(ns.name, 'beta', 30_000);
    expect(r.status!.conditions!.find((c) => c.type === 'InvalidSpec')!.message).toBe(
      'spec.strategy.canary.steps[0]: the smi router cannot route by header: remove the setHeaderRoute step or use a router that can',
    );
    expect(await smi.snapshot(ns.name, 'beta')).toEqual(before);
  });
});
