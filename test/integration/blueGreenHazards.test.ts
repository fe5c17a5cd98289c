/**
 * Blue-green against the real control plane, where a reviewer expected users to notice: the Service users reach is
 * watched through its EndpointSlices while a Rollout takes it over and while the Rollout is deleted, and a Service
 * Sluice may not take over must be reported as the spec's fault. Each story fails on the `bg` branch as reviewed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutSpec } from '../../controller/src/api/types.ts';
import { rolloutRef } from '../../controller/src/reconcile/execute.ts';
import { waitFor } from '../support/wait.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { clients, createApp, createRollout, replicaSetsOf, troubleConditions, waitForRollout } from './rolloutStory.ts';
import { readyEndpoints, watchServiceEndpoints, type EndpointHistory } from './serviceEndpoints.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('bg-hazards');
let controller: ControllerProcess;

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});
afterAll(async () => controller?.stop());

const spec = (name: string, activeService: string): RolloutSpec => ({
  workloadRef: { name },
  service: { port: 80, targetPort: 8080 },
  strategy: { blueGreen: { activeService, previewService: `${name}-preview` } },
});

const emptyMoments = (history: EndpointHistory) => history.samples.filter((s) => s.readyPods.length === 0);

async function rolloutGone(name: string): Promise<boolean> {
  const list = (await clients().custom.listNamespacedCustomObject({ ...rolloutRef, namespace: ns.name })) as {
    items: { metadata: { name: string } }[];
  };
  return !list.items.some((r) => r.metadata.name === name);
}

describe('given a Service users reach, selecting the Deployment’s pods', () => {
  it('when a blue-green Rollout adopts it as activeService, it always has a ready pod behind it', async () => {
    await createApp(ns.name, 'web', { replicas: 2, route: false });
    await clients().core.createNamespacedService({
      namespace: ns.name,
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
    });
    await waitFor(async () => (await readyEndpoints(ns.name, 'web')).length === 2, {
      timeoutMs: 60_000,
      what: "the Deployment's 2 pods ready behind Service web",
    });
    const endpoints = await watchServiceEndpoints(ns.name, 'web');
    await createRollout(ns.name, 'web', spec('web', 'web'));
    await waitForRollout(ns.name, 'web', 'web Healthy', (r) => r.status?.phase === 'Healthy');
    await endpoints.stop();
    // The selector moved to Sluice's revision before any of Sluice's pods was ready: every request failed then.
    expect(emptyMoments(endpoints), 'moments with no ready pod behind Service web').toEqual([]);
  });
});

describe('given a blue-green Rollout whose activeService Sluice created', () => {
  it('when the Rollout is deleted, the active Service keeps serving, now the Deployment’s pods', async () => {
    await createApp(ns.name, 'shop', { replicas: 2, route: false });
    await createRollout(ns.name, 'shop', spec('shop', 'shop-active'));
    await waitForRollout(ns.name, 'shop', 'shop Healthy', (r) => r.status?.phase === 'Healthy');
    await waitFor(async () => (await readyEndpoints(ns.name, 'shop-active')).length === 2, {
      timeoutMs: 30_000,
      what: '2 ready pods behind shop-active',
    });
    const endpoints = await watchServiceEndpoints(ns.name, 'shop-active');

    await clients().custom.deleteNamespacedCustomObject({ ...rolloutRef, namespace: ns.name, name: 'shop' });
    await waitFor(async () => (await rolloutGone('shop')) && (await replicaSetsOf(ns.name, 'shop')).length === 0, {
      timeoutMs: 60_000,
      what: "the Rollout and Sluice's ReplicaSets gone",
    });
    // The garbage collector removes what the Rollout owned; give it the time to reach the Service too.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await endpoints.stop();
    // The Service users reach is owned by the Rollout: it goes with it, and "deleting a Rollout never takes the
    // application down" (reconcile/handover.ts) does not hold for blue-green.
    expect(emptyMoments(endpoints), 'moments with no ready pod behind shop-active').toEqual([]);
    expect(await readyEndpoints(ns.name, 'shop-active')).toHaveLength(2);
  });
});

describe('given an ExternalName Service', () => {
  it('a Rollout naming it as activeService says why in a condition, naming the field, and touches nothing', async () => {
    await clients().core.createNamespacedService({
      namespace: ns.name,
      body: { metadata: { name: 'partner' }, spec: { type: 'ExternalName', externalName: 'partner.example' } },
    });
    await createApp(ns.name, 'outside', { replicas: 1, route: false });
    await createRollout(ns.name, 'outside', spec('outside', 'partner'));
    // The cache sees only Sluice's labelled Services, so the refusal comes from the write (WriteFailed), with the field.
    const refused = await waitForRollout(
      ns.name,
      'outside',
      'a trouble condition',
      (r) => troubleConditions(r).length > 0,
      20_000,
    );
    expect(
      troubleConditions(refused)
        .map((c) => c.message)
        .join(),
    ).toMatch(/spec\.strategy\.blueGreen\.activeService: Service partner has no pod selector/);
    const partner = await clients().core.readNamespacedService({ namespace: ns.name, name: 'partner' });
    expect(partner.spec?.selector).toBeUndefined();
    expect(partner.metadata?.labels?.['sluice.dev/rollout']).toBeUndefined();
  });
});
