import { describe, expect, it } from 'vitest';
import { fakeRouterCluster, intentOf } from '../routerDeps.test-support.ts';
import { istioRouterModule } from './index.ts';
import { dest, istioRollout, istioWith } from './istio.test-support.ts';

const split = (stable: number, canary: number, host = 'checkout-canary') => [
  dest('checkout-stable', stable),
  dest(host, canary),
];

describe('Istio router, host-based', () => {
  const vsSpec = {
    hosts: ['checkout.example.com'],
    http: [
      { name: 'admin', route: [dest('admin')] },
      { name: 'primary', match: [{ uri: { prefix: '/' } }], route: split(90, 10) },
    ],
  };

  it('reads the weights back from the named route', () => {
    expect(istioWith({ virtualService: 'checkout', routes: ['primary'] }, vsSpec).router.observe()).toEqual({
      kind: 'weights',
      canary: 10,
      stable: 90,
      routes: [],
    });
  });

  it('sets both weights with test operations on each destination host', async () => {
    const { router, patches, vs } = istioWith({ virtualService: 'checkout', routes: ['primary'] }, vsSpec);
    expect(router.differs(intentOf(10))).toBe(false);
    expect(router.differs(intentOf(50))).toBe(true);
    await router.apply(intentOf(50));
    expect(patches()).toEqual([
      [
        'VirtualService',
        [
          { op: 'test', path: '/spec/http/1/route/0/destination/host', value: 'checkout-stable' },
          { op: 'test', path: '/spec/http/1/route/1/destination/host', value: 'checkout-canary' },
          { op: 'add', path: '/spec/http/1/route/0/weight', value: 50 },
          { op: 'add', path: '/spec/http/1/route/1/weight', value: 50 },
        ],
      ],
    ]);
    expect(router.observe()).toMatchObject({ canary: 50, stable: 50 });
    expect(router.differs(intentOf(50))).toBe(false);
    // Nothing else of the user's object moved.
    expect(vs().spec.http![0]).toEqual(vsSpec.http[0]);
    expect(vs().spec.hosts).toEqual(vsSpec.hosts);
  });

  it('makes a patch fail when the route was edited between read and write, writing nothing', async () => {
    // The ops come from a reading of vsSpec; meanwhile the user swapped the two destinations of the route.
    const ops = await captureOps(vsSpec, 30);
    const edited = {
      http: [vsSpec.http[0], { name: 'primary', route: [dest('checkout-canary', 10), dest('checkout-stable', 90)] }],
    };
    const { cluster, vs, router } = istioWith({ virtualService: 'checkout' }, edited);
    const write = async () => cluster.deps.jsonPatch('VirtualService', 'shop', 'checkout', ops);
    await expect(write()).rejects.toThrow(/test/i);
    expect(vs().spec).toEqual(edited);
    // Read afresh, the route is found at its new indexes.
    await router.apply(intentOf(30));
    expect(router.observe()).toMatchObject({ canary: 30, stable: 70 });
  });

  it('accepts every spelling of the Service host and splits every route with both when routes is omitted', async () => {
    const spec = {
      http: [
        { name: 'a', route: split(100, 0, 'checkout-canary.shop') },
        { name: 'b', route: split(100, 0, 'checkout-canary.shop.svc') },
        { route: split(100, 0, 'checkout-canary.shop.svc.cluster.local') },
        { name: 'other-ns', route: split(100, 0, 'checkout-canary.elsewhere') },
      ],
    };
    const { router, vs } = istioWith({ virtualService: 'checkout' }, spec);
    await router.apply(intentOf(20));
    const weights = vs().spec.http!.map((r) => (r as { route: { weight: number }[] }).route.map((d) => d.weight));
    expect(weights).toEqual([
      [80, 20],
      [80, 20],
      [80, 20],
      [100, 0], // another namespace's Service is not the canary
    ]);
  });

  it('splits TLS routes named by SNI host and TCP routes named by port', async () => {
    const spec = {
      tls: [
        { match: [{ sniHosts: ['other.example.com'] }], route: [dest('other')] },
        { match: [{ sniHosts: ['a.example.com', 'checkout.example.com'] }], route: split(100, 0) },
      ],
      tcp: [
        { match: [{ port: 5432 }], route: split(100, 0) },
        { match: [{ port: 6379 }], route: split(100, 0) },
      ],
    };
    const istio = { virtualService: 'checkout', tlsRoutes: ['checkout.example.com'], tcpRoutes: ['5432'] };
    const { router, vs, patches } = istioWith(istio, spec);
    await router.apply(intentOf(40));
    expect(patches()[0]![1]).toEqual(
      expect.arrayContaining([
        { op: 'add', path: '/spec/tls/1/route/1/weight', value: 40 },
        { op: 'add', path: '/spec/tcp/0/route/1/weight', value: 40 },
      ]),
    );
    expect((vs().spec.tcp![1] as { route: { weight: number }[] }).route[1]!.weight).toBe(0); // not listed
    expect(router.observe()).toMatchObject({ canary: 40 });
    // Omitted, every TCP route with both destinations is split.
    const all = istioWith({ virtualService: 'checkout' }, spec);
    await all.router.apply(intentOf(40));
    expect((all.vs().spec.tcp![1] as { route: { weight: number }[] }).route[1]!.weight).toBe(40);
  });
});

describe('Istio router, invalid specs name the field and what to do', () => {
  const primary = { http: [{ name: 'primary', route: split(100, 0) }] };
  const cases: [string, Parameters<typeof istioWith>, string, RegExp][] = [
    ['a missing VirtualService', [{ virtualService: 'checkout' }, undefined], 'virtualService', /not found/],
    [
      'a named route missing',
      [{ virtualService: 'checkout', routes: ['main'] }, primary],
      'routes',
      /no HTTP route named main/,
    ],
    [
      'a route that lost the canary',
      [
        { virtualService: 'checkout', routes: ['primary'] },
        { http: [{ name: 'primary', route: [dest('checkout-stable')] }] },
      ],
      'routes',
      /has no destinations to both checkout-stable and checkout-canary/,
    ],
    [
      'no route with both destinations',
      [{ virtualService: 'checkout' }, { http: [{ route: [dest('checkout-stable')] }] }],
      'virtualService',
      /no route with destinations to both/,
    ],
    [
      'a TCP port with no route',
      [{ virtualService: 'checkout', tcpRoutes: ['8080'] }, primary],
      'tcpRoutes',
      /no TCP route named 8080/,
    ],
    [
      'a missing DestinationRule',
      [{ virtualService: 'checkout', destinationRule: { name: 'checkout' } }, primary],
      'destinationRule.name',
      /DestinationRule shop\/checkout not found/,
    ],
    [
      'a DestinationRule without the canary subset',
      [
        { virtualService: 'checkout', destinationRule: { name: 'checkout' } },
        primary,
        { host: 'checkout', subsets: [{ name: 'stable', labels: {} }] },
      ],
      'destinationRule.canarySubsetName',
      /no subset named canary/,
    ],
  ];

  it.each(cases)('%s', async (_what, args, fieldName, message) => {
    const { router, cluster } = istioWith(...args);
    const read = router.observe();
    expect(read).toMatchObject({ kind: 'invalid', field: `spec.trafficRouting.istio.${fieldName}` });
    expect((read as { message: string }).message).toMatch(message);
    expect(router.differs(intentOf(50))).toBe(false);
    await expect(router.apply(intentOf(50))).rejects.toThrow(message);
    expect(cluster.writes).toEqual([]);
  });

  it('says Istio is not installed when the kind is not served', () => {
    const cluster = fakeRouterCluster({});
    const router = istioRouterModule.create(istioRollout({ virtualService: 'checkout' }), cluster.deps);
    expect(router.observe()).toMatchObject({
      kind: 'invalid',
      field: 'spec.trafficRouting.istio',
      message: expect.stringMatching(/not served by this cluster: install Istio/) as unknown,
    });
  });

  it('reads a hand-edited object with wrong types without throwing', () => {
    const odd = { http: [null, 'x', { name: 7, route: { destination: 'x' } }, { route: [{ destination: null }] }] };
    expect(istioWith({ virtualService: 'checkout' }, odd).router.observe()).toMatchObject({ kind: 'invalid' });
    const oddTls = { tls: [{ match: 'x' }, { match: [{ sniHosts: 'a' }] }], tcp: [{ match: [{ port: '80' }] }] };
    const r = istioWith({ virtualService: 'checkout', tlsRoutes: ['a'] }, oddTls).router;
    expect(r.observe()).toMatchObject({ kind: 'invalid', field: 'spec.trafficRouting.istio.tlsRoutes' });
  });
});

/** The ops a router produces from a reading of `spec`, captured on a separate cluster. */
async function captureOps(spec: object, weight: number): Promise<object[]> {
  const { router, cluster } = istioWith({ virtualService: 'checkout' }, spec);
  await router.apply(intentOf(weight));
  return cluster.writes[0]![3] as object[];
}
