import { describe, expect, it } from 'vitest';
import type { CanaryStep, Rollout } from '../../api/types.ts';
import type { KubeObject } from '../../kube/objectStore.ts';
import { routerFor } from '../registry.ts';
import { fakeRouterCluster, intentOf, routedRollout, servedRef } from '../routerDeps.test-support.ts';
import { smiRouter } from './index.ts';

const rolloutWith = (smi: { trafficSplitName: string; rootService?: string }, steps?: CanaryStep[]) =>
  routedRollout({ smi }, steps);
const rollout = rolloutWith({ trafficSplitName: 'web' });
const owned = rolloutWith({ trafficSplitName: 'web', rootService: 'checkout' });

const splits = (version: string) => servedRef('split.smi-spec.io', version, 'TrafficSplit', 'trafficsplits');
const split = (backends: unknown, extra: object = {}) =>
  ({ metadata: { name: 'web', namespace: 'shop', ...extra }, spec: { service: 'checkout', backends } }) as KubeObject;

function routerWith(object: KubeObject | undefined, opts: { version?: string | null; rollout?: Rollout } = {}) {
  const version = opts.version === undefined ? 'v1alpha2' : opts.version;
  const cluster = fakeRouterCluster(
    version === null ? {} : { TrafficSplit: splits(version) },
    object === undefined ? [] : [['TrafficSplit', object]],
  );
  const router = smiRouter.create(opts.rollout ?? rollout, cluster.deps);
  return { router, cluster, writes: () => cluster.writes.map((w) => w[3]) };
}

describe('SMI router', () => {
  const backends = [
    { service: 'other', weight: 5 },
    { service: 'checkout-stable', weight: 90 },
    { service: 'checkout-canary', weight: 10 },
  ];

  it('reads the split of the two backends, and patches only their weights guarded by tests on their services', async () => {
    const { router, writes } = routerWith(split(backends));
    expect(router.observe()).toEqual({ kind: 'weights', canary: 10, stable: 90, routes: [] });
    expect(router.differs(intentOf(10))).toBe(false);
    expect(router.differs(intentOf(50))).toBe(true);
    await router.apply(intentOf(50));
    expect(router.observe()).toMatchObject({ canary: 50, stable: 50 });
    expect(router.differs(intentOf(50))).toBe(false);
    expect(writes()).toEqual([
      [
        { op: 'test', path: '/spec/backends/1/service', value: 'checkout-stable' },
        { op: 'test', path: '/spec/backends/2/service', value: 'checkout-canary' },
        { op: 'add', path: '/spec/backends/1/weight', value: 50 },
        { op: 'add', path: '/spec/backends/2/weight', value: 50 },
      ],
    ]);
  });

  it('in v1alpha1 reads Quantity weights and writes them as Quantity strings', async () => {
    const { router, cluster } = routerWith(
      split([
        { service: 'checkout-stable', weight: '750m' },
        { service: 'checkout-canary', weight: '250m' },
      ]),
      { version: 'v1alpha1' },
    );
    expect(router.observe()).toMatchObject({ canary: 25, stable: 75 });
    expect(router.differs(intentOf(25))).toBe(true); // 750m is not 75: the weights are written as whole percents
    await router.apply(intentOf(25));
    expect((cluster.get('TrafficSplit', 'shop', 'web')?.spec as { backends: unknown }).backends).toEqual([
      { service: 'checkout-stable', weight: '75' },
      { service: 'checkout-canary', weight: '25' },
    ]);
    expect(router.differs(intentOf(25))).toBe(false);
  });

  it('refuses to patch a split whose backends moved since it was read', async () => {
    const { router, cluster } = routerWith(split(backends));
    expect(router.differs(intentOf(50))).toBe(true);
    // The user reorders the backends between the read and the write: the test operations fail the patch.
    const before = cluster.get('TrafficSplit', 'shop', 'web')!;
    const moved = structuredClone(before);
    (moved.spec as { backends: unknown[] }).backends.reverse();
    const deps = { ...cluster.deps, cached: () => before };
    cluster.put('TrafficSplit', moved);
    await expect(smiRouter.create(rollout, deps).apply(intentOf(50))).rejects.toThrow();
    expect(cluster.get('TrafficSplit', 'shop', 'web')?.spec).toEqual(moved.spec);
  });

  it('says which backend is missing and what to add, and writes nothing', async () => {
    const { router, writes } = routerWith(split([{ service: 'checkout-stable', weight: 100 }]));
    expect(router.observe()).toEqual({
      kind: 'invalid',
      field: 'spec.trafficRouting.smi.trafficSplitName',
      message:
        'TrafficSplit shop/web has no backend checkout-canary: add {service: checkout-canary, weight: 0} to its spec.backends',
    });
    expect(router.differs(intentOf(10))).toBe(false);
    await expect(router.apply(intentOf(10))).rejects.toThrow(/no backend checkout-canary/);
    expect(writes()).toEqual([]);
  });

  it.each([
    ['no spec', { metadata: { name: 'web', namespace: 'shop' } }, /no backend checkout-stable or checkout-canary/],
    ['backends not a list', split('many'), /no backend checkout-stable or checkout-canary/],
    [
      'a backend that is not an object',
      split([7, null, { service: 'checkout-stable', weight: 1 }]),
      /no backend checkout-canary/,
    ],
    [
      'a weight that is not a number',
      split([
        { service: 'checkout-stable', weight: 100 },
        { service: 'checkout-canary', weight: 'lots' },
      ]),
      /backend checkout-canary has weight "lots", which is not a non-negative number/,
    ],
  ])('reads a hand-edited split with %s as InvalidSpec, without throwing', (_what, object, message) => {
    expect(routerWith(object).router.observe()).toMatchObject({ kind: 'invalid', message });
  });

  it('names the field and what to do when the split is absent and rootService is not set', () => {
    expect(routerWith(undefined).router.observe()).toEqual({
      kind: 'invalid',
      field: 'spec.trafficRouting.smi.trafficSplitName',
      message:
        'TrafficSplit shop/web not found: create it with spec.service set to the Service your clients call and spec.backends ' +
        '{service: checkout-stable, weight: 100} and {service: checkout-canary, weight: 0}, or set spec.trafficRouting.smi.rootService for Sluice to create it',
    });
  });

  it('reports InvalidSpec when no TrafficSplit version is served', () => {
    expect(routerWith(split(backends), { version: null }).router.observe()).toMatchObject({
      kind: 'invalid',
      field: 'spec.trafficRouting.smi.trafficSplitName',
      message: expect.stringMatching(/TrafficSplit kind .* is not served by this cluster: install/) as unknown,
    });
  });

  it.each(['v1alpha2', 'v1alpha1'])(
    'with rootService, creates the absent split in %s owned by the Rollout at 100% stable',
    async (version) => {
      const { router, cluster } = routerWith(undefined, { rollout: owned, version });
      // Nothing sends to the canary through a split yet: 0%, so that a setWeight step waits for the read-back.
      expect(router.observe()).toEqual({ kind: 'weights', canary: 0, stable: 100, routes: [] });
      expect(router.differs(intentOf(0))).toBe(true);
      await router.apply(intentOf(10));
      const created = cluster.get('TrafficSplit', 'shop', 'web')!;
      const w = (n: number) => (version === 'v1alpha1' ? String(n) : n);
      expect(created).toMatchObject({
        apiVersion: `split.smi-spec.io/${version}`,
        kind: 'TrafficSplit',
        metadata: {
          labels: { 'sluice.dev/rollout': 'checkout' },
          ownerReferences: [
            { kind: 'Rollout', name: 'checkout', uid: 'rollout-uid', controller: true, blockOwnerDeletion: true },
          ],
        },
        spec: {
          service: 'checkout',
          backends: [
            { service: 'checkout-stable', weight: w(100) },
            { service: 'checkout-canary', weight: w(0) },
          ],
        },
      });
      // Created at 0, then patched: the weight counts only once read back.
      expect(router.observe()).toMatchObject({ canary: 0 });
      await router.apply(intentOf(10));
      expect(router.observe()).toMatchObject({ canary: 10 });
    },
  );

  const ownerRef = (uid: string, name = 'checkout') => ({
    ownerReferences: [{ apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', name, uid, controller: true }],
  });

  it('with rootService, uses an existing split it does not own as the user’s', () => {
    const { router } = routerWith(
      { ...split(backends.slice(1)), spec: { service: 'elsewhere', backends: backends.slice(1) } },
      { rollout: owned },
    );
    expect(router.observe()).toMatchObject({ kind: 'weights', canary: 10 });
  });

  it('reports a rootService that its own split does not carry, naming rootService', () => {
    const object = { ...split(backends, ownerRef('rollout-uid')), spec: { service: 'old', backends } } as KubeObject;
    expect(routerWith(object, { rollout: owned }).router.observe()).toMatchObject({
      kind: 'invalid',
      field: 'spec.trafficRouting.smi.rootService',
      message: expect.stringMatching(/splits Service "old", not checkout: set rootService to "old"/) as unknown,
    });
  });

  it('refuses a split that another Rollout manages', () => {
    expect(routerWith(split(backends, ownerRef('other-uid', 'cart'))).router.observe()).toMatchObject({
      kind: 'invalid',
      field: 'spec.trafficRouting.smi.trafficSplitName',
      message: 'TrafficSplit shop/web is managed by Rollout cart: give this Rollout a TrafficSplit of its own',
    });
  });

  it('wakes the Rollouts that name the split, and no other', () => {
    const other = rolloutWith({ trafficSplitName: 'cart' });
    expect(smiRouter.watches[0]!.readers(split(backends), [rollout, other])).toEqual([rollout]);
  });

  it('is refused a setHeaderRoute step by the registry, naming the step and the router', () => {
    const withHeader = rolloutWith({ trafficSplitName: 'web' }, [
      { setWeight: 10 },
      { setHeaderRoute: { name: 'beta', match: [{ headerName: 'x-beta', headerValue: { exact: 'on' } }] } },
    ]);
    withHeader.spec.trafficRouting!.managedRoutes = [{ name: 'beta' }];
    expect(routerFor(withHeader, fakeRouterCluster({}).deps)).toMatchObject({
      router: { kind: 'smi' },
      invalid: {
        field: 'spec.strategy.canary.steps[1]',
        message: 'the smi router cannot route by header: remove the setHeaderRoute step or use a router that can',
      },
    });
  });
});
