/**
 * Adoption against a lagging cache and a spec that changes: the Services a blue-green Rollout took over must be
 * told apart from the ones it made, and given back even when the spec no longer names them. Each story fails
 * against services.ts of the `bg` branch as reviewed.
 */
import type { V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../api/types.ts';
import { buildService } from '../workload/objects.ts';
import type { Caches } from './caches.ts';
import type { ExecuteContext } from './execute.ts';
import { applyService, releaseServices } from './services.ts';

const shop = (strategy: Rollout['spec']['strategy'], port = 80): Rollout => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'shop', namespace: 'team-a', uid: 'uid-shop' },
  spec: { workloadRef: { name: 'shop' }, service: { port }, strategy },
});

const blueGreen = (activeService: string, previewService: string) => ({
  blueGreen: { activeService, previewService },
});

/** A Service Sluice took over: the user's selector recorded, Sluice's set. */
const adopted = (name: string): V1Service => ({
  metadata: {
    name,
    namespace: 'team-a',
    labels: { 'sluice.dev/rollout': 'shop' },
    annotations: { 'sluice.dev/adopted-selector': '{"app":"shop"}' },
  },
  spec: { selector: { 'sluice.dev/rollout': 'shop', 'sluice.dev/revision': 'rev-a' }, ports: [{ port: 80 }] },
});

/** An API server holding `stored` (by name), a cache showing `cached`, and the patches sent, by Service name. */
function cluster(rollout: Rollout, stored: V1Service[], cached: V1Service[] = stored) {
  const patches: { name: string; body: V1Service }[] = [];
  const byName = (list: V1Service[], name: string) => list.find((s) => s.metadata?.name === name);
  const conflict = Object.assign(new Error('AlreadyExists'), { code: 409 });
  const ctx = {
    rollout,
    fence: () => {},
    caches: {
      services: { get: (_ns: string, name: string) => byName(cached, name), list: () => cached },
    } as unknown as Caches,
    clients: {
      core: {
        createNamespacedService: (p: { body: V1Service }) =>
          byName(stored, p.body.metadata!.name!) === undefined ? Promise.resolve(p.body) : Promise.reject(conflict),
        readNamespacedService: (p: { name: string }) => Promise.resolve(structuredClone(byName(stored, p.name)!)),
        patchNamespacedService: (p: { name: string; body: V1Service }) => {
          patches.push({ name: p.name, body: p.body });
          return Promise.resolve({});
        },
      },
    },
  } as unknown as ExecuteContext;
  return { ctx, patches };
}

describe('a Service Sluice created, which the cache has not shown yet', () => {
  it('is not taken for an adopted one: a later service.port change still reaches it', async () => {
    const rollout = shop(blueGreen('shop-active', 'shop-preview'));
    // Created by the previous reconcile (owned by this Rollout); this reconcile's cache does not have it yet.
    const created = buildService(rollout, 'stable', 'rev-a');
    const lagging = cluster(rollout, [created], []);
    await applyService(lagging.ctx, 'stable', 'rev-a');
    const annotations = lagging.patches[0]?.body.metadata?.annotations ?? {};
    const seen = structuredClone(created);
    seen.metadata!.annotations = { ...seen.metadata!.annotations, ...annotations };

    const moved = shop(blueGreen('shop-active', 'shop-preview'), 8080);
    const later = cluster(moved, [seen]);
    await applyService(later.ctx, 'stable', 'rev-a');
    // Recorded as "adopted" (its own selector as the one from before), its ports are no longer Sluice's: the port
    // change is dropped without a word.
    expect(later.patches.map((p) => p.body.spec?.ports?.map((x) => x.port))).toEqual([[8080]]);
  });
});

describe('an adopted Service the spec no longer names', () => {
  it('is given back when the Rollout is deleted after activeService was renamed', async () => {
    const rollout = shop(blueGreen('shop-active', 'shop-preview'));
    const owned = [buildService(rollout, 'stable', 'rev-a'), buildService(rollout, 'canary', 'rev-a')];
    const { ctx, patches } = cluster(rollout, [adopted('shop'), ...owned]);
    await releaseServices(ctx, undefined);
    // Left selecting Sluice's pods, which go with the Rollout: whoever still calls `shop` reaches nothing.
    expect(patches.map((p) => [p.name, p.body.spec?.selector])).toEqual([
      ['shop', { app: 'shop', 'sluice.dev/rollout': null, 'sluice.dev/revision': null }],
    ]);
  });

  it('is given back when the Rollout is deleted after its strategy became a canary', async () => {
    const rollout = shop({ canary: { steps: [{ setWeight: 20 }] } });
    const { ctx, patches } = cluster(rollout, [adopted('shop')]);
    await releaseServices(ctx, undefined);
    expect(patches.map((p) => p.name)).toEqual(['shop']);
  });
});

describe('activeService and previewService swapped mid-flight', () => {
  it('does not point the Service users reached as active at the revision still in preview', async () => {
    // In preview: shop-blue is active (rev-a, what users call), shop-green the preview (rev-b, never switched to).
    const before = shop(blueGreen('shop-blue', 'shop-green'));
    const blue = buildService(before, 'stable', 'rev-a');
    const green = buildService(before, 'canary', 'rev-b');
    // The names are swapped in the spec; the plan still says stable rev-a, canary (preview) rev-b, and status
    // records the names this release started with (planner/blueGreen.ts), which hold until it ends.
    const swapped: Rollout = {
      ...shop(blueGreen('shop-green', 'shop-blue')),
      status: {
        stableRevision: 'rev-a',
        canaryRevision: 'rev-b',
        blueGreen: {
          phase: 'Preview',
          activeRevision: 'rev-a',
          previewRevision: 'rev-b',
          activeService: 'shop-blue',
          previewService: 'shop-green',
        },
      },
    };
    const { ctx, patches } = cluster(swapped, [blue, green]);
    await applyService(ctx, 'stable', 'rev-a');
    await applyService(ctx, 'canary', 'rev-b').catch(() => undefined);
    // Today shop-blue's selector moves to rev-b in this reconcile: its callers get the unchecked revision with no
    // switch, no analysis and no Event.
    expect(
      patches.filter((p) => p.name === 'shop-blue').map((p) => p.body.spec?.selector?.['sluice.dev/revision']),
    ).not.toContain('rev-b');
  });
});

describe('deleting a blue-green Rollout', () => {
  it('hands the active Service it created over to the Deployment (its pods, no owner) and lets the preview go', async () => {
    const rollout = shop(blueGreen('shop-active', 'shop-preview'));
    const owned = [buildService(rollout, 'stable', 'rev-b'), buildService(rollout, 'canary', 'rev-b')];
    const { ctx, patches } = cluster(rollout, owned);
    await releaseServices(ctx, { app: 'shop' });
    expect(patches).toEqual([
      {
        name: 'shop-active',
        body: {
          metadata: {
            labels: { 'sluice.dev/rollout': null },
            annotations: { 'sluice.dev/adopted-selector': null },
            ownerReferences: null,
          },
          spec: { selector: { app: 'shop', 'sluice.dev/rollout': null, 'sluice.dev/revision': null } },
        },
      },
    ]);
  });
});

describe('a Service another controller manages', () => {
  it('is refused, naming the field and the controller', async () => {
    const rollout = shop(blueGreen('shop', 'shop-preview'));
    const managed: V1Service = {
      metadata: {
        name: 'shop',
        namespace: 'team-a',
        ownerReferences: [
          { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'shop', uid: 'argo', controller: true },
        ],
      },
      spec: { selector: { app: 'shop' } },
    };
    const { ctx, patches } = cluster(rollout, [managed], []);
    await expect(applyService(ctx, 'stable', 'rev-a')).rejects.toThrow(
      /^spec\.strategy\.blueGreen\.activeService: Service shop is managed by Rollout shop/,
    );
    expect(patches).toEqual([]);
  });
});
