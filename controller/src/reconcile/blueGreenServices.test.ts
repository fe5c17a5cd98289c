/**
 * The blue-green Services at the edges of a release (second review of the fixes in services.ts, handover.ts and
 * workload/names.ts): the first reconcile of a release whose spec also swapped the Service names, Sluice's own
 * Service after its label was removed, and the hand-over to a Deployment that selects its pods by expression.
 * Each story fails against the `bg` branch after the first review's fixes.
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../api/types.ts';
import { buildService } from '../workload/objects.ts';
import type { Caches } from './caches.ts';
import { executePlan, type ExecuteContext } from './execute.ts';
import { abortPlan, recorder, rs } from './execute.test-support.ts';
import { handOver } from './handover.ts';
import { applyService } from './services.ts';

const shop = (activeService: string, previewService: string, status?: Rollout['status']): Rollout => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'shop', namespace: 'team-a', uid: 'uid-shop', resourceVersion: '10', annotations: {} },
  spec: {
    workloadRef: { name: 'shop' },
    service: { port: 80 },
    strategy: { blueGreen: { activeService, previewService } },
  },
  ...(status === undefined ? {} : { status }),
});

const revisionOf = (s: V1Service | undefined) => s?.spec?.selector?.['sluice.dev/revision'];

describe('a release whose spec change also swapped activeService and previewService', () => {
  it('does not point the Service users call at the new revision in the release’s first reconcile', async () => {
    // Steady on a: shop-blue is active (users call it), shop-green the preview. One edit (one GitOps commit)
    // changes the pod template to b and swaps the two names.
    const steady = { stableRevision: 'a', canaryRevision: 'a', currentStepIndex: 1 };
    const recorded = { activeRevision: 'a', previewRevision: 'a', phase: 'Promoted' as const };
    const before = shop('shop-blue', 'shop-green');
    const blue = buildService(before, 'stable', 'a');
    const green = buildService(before, 'canary', 'a');
    const rollout = shop('shop-green', 'shop-blue', {
      ...steady,
      blueGreen: { ...recorded, activeService: 'shop-blue', previewService: 'shop-green' },
    });
    // The planner starts the release: its status records the names it started with (blueGreen.ts), shop-blue
    // stays active; the plan points active at a and the preview at b.
    const planned = {
      stableRevision: 'a',
      canaryRevision: 'b',
      currentStepIndex: 0,
      weights: { canary: 0, stable: 100 },
      blueGreen: {
        phase: 'Preview' as const,
        activeRevision: 'a',
        previewRevision: 'b',
        activeService: 'shop-blue',
        previewService: 'shop-green',
      },
    };
    const { ctx } = recorder();
    const selectors = new Map([
      ['shop-blue', revisionOf(blue)],
      ['shop-green', revisionOf(green)],
    ]);
    const cached = new Map([
      ['shop-blue', blue],
      ['shop-green', green],
    ]);
    const patchNamespacedService = (p: { name: string; body: V1Service }) => {
      selectors.set(p.name, revisionOf(p.body) ?? selectors.get(p.name));
      return Promise.resolve({});
    };
    await executePlan(
      {
        ...ctx,
        rollout,
        router: undefined,
        replicaSets: [rs('a', 4)],
        caches: { services: { get: (_ns: string, name: string) => cached.get(name), list: () => [] } } as never,
        clients: { ...ctx.clients, core: { patchNamespacedService } } as unknown as ExecuteContext['clients'],
      },
      {
        ...abortPlan(),
        status: planned,
        services: { stable: 'a', canary: 'b' },
        canaryWeight: 0,
        replicaSets: [{ revision: 'a', replicas: 4 }],
        clearAction: false,
        events: [],
        flagOperations: [],
      },
    );
    // serviceName reads the Rollout's status from before the plan (steady: the spec's swapped names), so this
    // reconcile sends the preview's selector, revision b, to shop-blue: users reach pods that are not ready yet
    // (or a warm, unchecked revision) until the next reconcile reads the recorded names and moves it back.
    expect(selectors.get('shop-blue')).toBe('a');
  });
});

describe("Sluice's own active Service after someone removed its sluice.dev/rollout label", () => {
  it('gets the label back, so that the cache (which watches that label) sees it again', async () => {
    const rollout = shop('shop-active', 'shop-preview');
    const unlabelled = buildService(rollout, 'stable', 'a');
    delete unlabelled.metadata!.labels;
    const patches: { name: string; body: V1Service }[] = [];
    const conflict = Object.assign(new Error('AlreadyExists'), { code: 409 });
    const ctx = {
      rollout,
      fence: () => {},
      caches: { services: { get: () => undefined, list: () => [] } } as unknown as Caches,
      clients: {
        core: {
          createNamespacedService: () => Promise.reject(conflict),
          readNamespacedService: () => Promise.resolve(structuredClone(unlabelled)),
          patchNamespacedService: (p: { name: string; body: V1Service }) => {
            patches.push(p);
            return Promise.resolve({});
          },
        },
      },
    } as unknown as ExecuteContext;
    await applyService(ctx, 'stable', 'b');
    // adopt() takes it for "our own through a lagging cache" and patches the spec only: the label stays off, so
    // world.services never reads it, the switch waits for ever ("selects nothing"), every reconcile repeats
    // create/409/read/patch, and on deletion releaseServices (which lists by label) never hands it over.
    expect(patches.map((p) => p.body.metadata?.labels?.['sluice.dev/rollout'])).toEqual(['shop']);
  });
});

describe('deleting a blue-green Rollout whose Deployment selects its pods by expression', () => {
  it('hands the active Service it created over to the Deployment instead of leaving it to the garbage collector', async () => {
    const rollout = shop('shop-active', 'shop-preview');
    rollout.metadata.finalizers = ['sluice.dev/handover'];
    rollout.metadata.deletionTimestamp = new Date('2026-11-30T00:00:00Z');
    const active = buildService(rollout, 'stable', 'b');
    const deployment: V1Deployment = {
      metadata: { name: 'shop', namespace: 'team-a', annotations: { 'sluice.dev/replicas': '4' } },
      spec: {
        replicas: 4,
        selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['shop'] }] },
        template: { metadata: { labels: { app: 'shop' } } },
      },
      status: { availableReplicas: 4 },
    };
    const patches: { name: string; body: V1Service }[] = [];
    const ctx = {
      rollout,
      fence: () => {},
      caches: { services: { get: () => active, list: () => [active] } } as unknown as Caches,
      clients: {
        core: {
          patchNamespacedService: (p: { name: string; body: V1Service }) => {
            patches.push(p);
            return Promise.resolve({});
          },
        },
        custom: { patchNamespacedCustomObject: () => Promise.resolve({}) },
      },
    } as unknown as ExecuteContext;
    await handOver(ctx, deployment);
    // handover.ts passes selector.matchLabels only: undefined here, so the Service users call stays owned by the
    // Rollout and is deleted with it, while the Deployment's four pods are up with nothing in front of them.
    const handed = patches.find((p) => p.name === 'shop-active');
    expect(handed?.body.metadata?.ownerReferences).toBeNull();
    expect(handed?.body.spec?.selector).toMatchObject({ app: 'shop' });
  });
});
