import { describe, expect, it } from 'vitest';
import { intentOf } from '../routerDeps.test-support.ts';
import { dest, istioWith } from './istio.test-support.ts';

const istio = { virtualService: 'checkout', destinationRule: { name: 'checkout' } };
const vsSpec = {
  http: [
    { name: 'primary', route: [dest('checkout', 100, 'stable'), dest('checkout.shop.svc.cluster.local', 0, 'canary')] },
  ],
};
const rule = {
  host: 'checkout.shop.svc.cluster.local',
  trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
  subsets: [
    { name: 'stable', labels: { app: 'checkout', 'sluice.dev/revision': 'a' } },
    { name: 'canary', labels: { app: 'checkout' } },
  ],
};
const revisions = { stable: 'a', canary: 'b' };

describe('Istio router, subset-based', () => {
  it('points the subsets at the revisions before the weights, each guarded by tests', async () => {
    const { router, patches, dr } = istioWith(istio, vsSpec, rule);
    expect(router.observe()).toEqual({
      kind: 'weights',
      canary: 0,
      stable: 100,
      routes: [],
      revisions: { stable: 'a', canary: undefined }, // what each subset selects, as read back
    });
    expect(router.differs(intentOf(0, [], revisions))).toBe(true); // the canary subset selects no revision yet
    await router.apply(intentOf(10, [], revisions));
    expect(patches()).toEqual([
      [
        'DestinationRule',
        [
          { op: 'test', path: '/spec/subsets/1/name', value: 'canary' },
          { op: 'test', path: '/spec/subsets/1/labels', value: { app: 'checkout' } },
          { op: 'add', path: '/spec/subsets/1/labels/sluice.dev~1revision', value: 'b' },
        ],
      ],
      [
        'VirtualService',
        [
          { op: 'test', path: '/spec/http/0/route/0/destination/host', value: 'checkout' },
          { op: 'test', path: '/spec/http/0/route/0/destination/subset', value: 'stable' },
          { op: 'test', path: '/spec/http/0/route/1/destination/host', value: 'checkout.shop.svc.cluster.local' },
          { op: 'test', path: '/spec/http/0/route/1/destination/subset', value: 'canary' },
          { op: 'add', path: '/spec/http/0/route/0/weight', value: 90 },
          { op: 'add', path: '/spec/http/0/route/1/weight', value: 10 },
        ],
      ],
    ]);
    // The user's other labels and settings stay.
    expect(dr().spec).toEqual({
      ...rule,
      subsets: [rule.subsets[0], { name: 'canary', labels: { app: 'checkout', 'sluice.dev/revision': 'b' } }],
    });
    expect(router.differs(intentOf(10, [], revisions))).toBe(false);
    expect(router.observe()).toMatchObject({ canary: 10, stable: 90 });
  });

  it('compares the subsets’ labels: a promotion relabels the stable subset even at the same weight', async () => {
    const { router, dr } = istioWith(istio, vsSpec, rule);
    await router.apply(intentOf(0, [], revisions));
    expect(router.differs(intentOf(0, [], { stable: 'b', canary: 'b' }))).toBe(true);
    await router.apply(intentOf(0, [], { stable: 'b', canary: 'b' }));
    const labels = dr().spec.subsets.map(
      (s) => (s as { labels: Record<string, string> }).labels['sluice.dev/revision'],
    );
    expect(labels).toEqual(['b', 'b']);
  });

  it('adds the labels of a subset that has none, and leaves a subset alone when there is no canary revision', async () => {
    const bare = { host: 'checkout', subsets: [{ name: 'canary' }, { name: 'stable', labels: {} }] };
    const { router, dr } = istioWith(istio, vsSpec, bare);
    await router.apply(intentOf(0, [], { stable: 'a', canary: '' }));
    expect(dr().spec.subsets).toEqual([{ name: 'canary' }, { name: 'stable', labels: { 'sluice.dev/revision': 'a' } }]);
    await router.apply(intentOf(0, [], revisions));
    expect(dr().spec.subsets[0]).toEqual({ name: 'canary', labels: { 'sluice.dev/revision': 'b' } });
  });

  it('fails the subset patch when the subsets were reordered meanwhile, and writes no weight', async () => {
    const { router, cluster, dr, vs } = istioWith(istio, vsSpec, rule);
    const ops = [
      { op: 'test', path: '/spec/subsets/1/name', value: 'canary' },
      { op: 'add', path: '/spec/subsets/1/labels/sluice.dev~1revision', value: 'b' },
    ];
    const reordered = { ...rule, subsets: [rule.subsets[1], rule.subsets[0]] };
    cluster.put('DestinationRule', { metadata: { name: 'checkout', namespace: 'shop' }, spec: reordered });
    const stale = async () => cluster.deps.jsonPatch('DestinationRule', 'shop', 'checkout', ops);
    await expect(stale()).rejects.toThrow(/test/i);
    expect(dr().spec).toEqual(reordered);
    // Read afresh, the canary subset is found at its new index.
    await router.apply(intentOf(10, [], revisions));
    expect(dr().spec.subsets[0]).toMatchObject({ name: 'canary', labels: { 'sluice.dev/revision': 'b' } });
    expect(router.observe()).toMatchObject({ canary: 10 });
    expect(vs().spec.http).toHaveLength(1);
  });

  it('matches the subsets by their configured names and the rule’s host only', () => {
    const named = { ...istio, destinationRule: { name: 'checkout', stableSubsetName: 'v1', canarySubsetName: 'v2' } };
    const spec = { http: [{ route: [dest('checkout', 70, 'v1'), dest('checkout', 30, 'v2')] }] };
    const renamed = { host: 'checkout', subsets: [{ name: 'v1' }, { name: 'v2' }] };
    expect(istioWith(named, spec, renamed).router.observe()).toMatchObject({ canary: 30, stable: 70 });
    const otherHost = { http: [{ route: [dest('cart', 70, 'v1'), dest('cart', 30, 'v2')] }] };
    expect(istioWith(named, otherHost, renamed).router.observe()).toMatchObject({
      kind: 'invalid',
      field: 'spec.trafficRouting.istio.virtualService',
      message: expect.stringMatching(/checkout subset v1 and checkout subset v2/) as unknown,
    });
  });
});
