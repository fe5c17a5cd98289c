import { describe, expect, it } from 'vitest';
import type { ManagedRoute } from '../managedRoutes.ts';
import { intentOf } from '../routerDeps.test-support.ts';
import { dest, istioWith } from './istio.test-support.ts';

const header: ManagedRoute = {
  kind: 'header',
  name: 'internal',
  match: [{ headerName: 'X-User', headerValue: { exact: 'qa' } }],
};
const mirror: ManagedRoute = {
  kind: 'mirror',
  name: 'shadow',
  percentage: 25,
  match: [{ headerName: 'x-env', headerValue: { prefix: 'stag' } }],
};
const canonicalHeader = { ...header, match: [{ headerName: 'x-user', headerValue: { exact: 'qa' } }] };

const vsSpec = {
  http: [
    { name: 'health', match: [{ uri: { exact: '/healthz' } }], route: [dest('health')] },
    {
      name: 'primary',
      match: [{ uri: { prefix: '/api' } }],
      timeout: '5s',
      route: [dest('checkout-stable', 80), dest('checkout-canary', 20)],
    },
  ],
};
const names = (http: unknown[]) => http.map((r) => (r as { name: string }).name);

describe('Istio managed routes', () => {
  it('adds header and mirror routes before the weighted route, in managedRoutes order, and reads them back', async () => {
    const { router, vs } = istioWith({ virtualService: 'checkout' }, vsSpec);
    expect(router.differs(intentOf(20, [header, mirror]))).toBe(true);
    await router.apply(intentOf(20, [header, mirror]));
    const http = vs().spec.http!;
    expect(names(http)).toEqual(['health', 'sluice.checkout.internal', 'sluice.checkout.shadow', 'primary']);
    expect(http[1]).toEqual({
      name: 'sluice.checkout.internal',
      timeout: '5s', // the weighted route's settings, so matching requests are served the same way
      match: [{ uri: { prefix: '/api' }, headers: { 'x-user': { exact: 'qa' } } }],
      route: [{ destination: { host: 'checkout-canary', port: { number: 80 } }, weight: 100 }],
    });
    expect(http[2]).toEqual({
      name: 'sluice.checkout.shadow',
      timeout: '5s',
      match: [{ uri: { prefix: '/api' }, headers: { 'x-env': { prefix: 'stag' } } }],
      route: [dest('checkout-stable', 80), dest('checkout-canary', 20)],
      mirror: { host: 'checkout-canary', port: { number: 80 } },
      mirrorPercentage: { value: 25 },
    });
    expect(router.observe()).toEqual({ kind: 'weights', canary: 20, stable: 80, routes: [canonicalHeader, mirror] });
    expect(router.differs(intentOf(20, [header, mirror]))).toBe(false);
  });

  it('keeps the mirror split like the weighted route when the weight changes, in one patch', async () => {
    const { router, vs, patches } = istioWith({ virtualService: 'checkout' }, vsSpec);
    await router.apply(intentOf(20, [mirror]));
    await router.apply(intentOf(50, [mirror]));
    const http = vs().spec.http! as { name: string; route: { weight: number }[] }[];
    expect(http.map((r) => [r.name, r.route.map((d) => d.weight)])).toEqual([
      ['health', [undefined]],
      ['sluice.checkout.shadow', [50, 50]],
      ['primary', [50, 50]],
    ]);
    expect(patches()).toHaveLength(2);
  });

  it('removes the routes guarded by their names, and reorders them to follow managedRoutes', async () => {
    const { router, vs, patches } = istioWith({ virtualService: 'checkout' }, vsSpec);
    await router.apply(intentOf(20, [header, mirror]));
    await router.apply(intentOf(20, [mirror, header]));
    expect(names(vs().spec.http!)).toEqual(['health', 'sluice.checkout.shadow', 'sluice.checkout.internal', 'primary']);
    await router.apply(intentOf(0, []));
    expect(vs().spec).toEqual({
      http: [vsSpec.http[0], { ...vsSpec.http[1], route: [dest('checkout-stable', 100), dest('checkout-canary', 0)] }],
    });
    expect(patches().at(-1)).toEqual([
      'VirtualService',
      [
        { op: 'test', path: '/spec/http/3/route/0/destination/host', value: 'checkout-stable' },
        { op: 'test', path: '/spec/http/3/route/1/destination/host', value: 'checkout-canary' },
        { op: 'add', path: '/spec/http/3/route/0/weight', value: 100 },
        { op: 'add', path: '/spec/http/3/route/1/weight', value: 0 },
        { op: 'test', path: '/spec/http/2/name', value: 'sluice.checkout.internal' },
        { op: 'remove', path: '/spec/http/2' },
        { op: 'test', path: '/spec/http/1/name', value: 'sluice.checkout.shadow' },
        { op: 'remove', path: '/spec/http/1' },
      ],
    ]);
    expect(router.observe()).toEqual({ kind: 'weights', canary: 0, stable: 100, routes: [] });
  });

  it('ANDs all headers in one match block per block of the weighted route, and a mirror without match', async () => {
    const spec = {
      http: [
        {
          name: 'primary',
          match: [{ uri: { prefix: '/a' } }, { uri: { prefix: '/b' } }],
          route: [dest('checkout-stable', 100), dest('checkout-canary', 0)],
        },
      ],
    };
    const both: ManagedRoute = {
      kind: 'header',
      name: 'beta',
      match: [
        { headerName: 'x-a', headerValue: { exact: '1' } },
        { headerName: 'x-b', headerValue: { regex: 'b.*' } },
      ],
    };
    const all: ManagedRoute = { kind: 'mirror', name: 'all', percentage: 10, match: [] };
    const { router, vs } = istioWith({ virtualService: 'checkout' }, spec);
    await router.apply(intentOf(0, [both, all]));
    const headers = { 'x-a': { exact: '1' }, 'x-b': { regex: 'b.*' } };
    expect((vs().spec.http![0] as { match: unknown }).match).toEqual([
      { uri: { prefix: '/a' }, headers },
      { uri: { prefix: '/b' }, headers },
    ]);
    expect((vs().spec.http![1] as { match: unknown }).match).toEqual(spec.http[0]!.match);
    expect(router.observe()).toMatchObject({ routes: [both, all] });
  });

  it('uses the canary subset as the mirror and header destination, subset-based', async () => {
    const spec = {
      http: [{ name: 'primary', route: [dest('checkout', 100, 'stable'), dest('checkout', 0, 'canary')] }],
    };
    const rule = { host: 'checkout', subsets: [{ name: 'stable' }, { name: 'canary' }] };
    const { router, vs } = istioWith({ virtualService: 'checkout', destinationRule: { name: 'checkout' } }, spec, rule);
    await router.apply(intentOf(10, [header, mirror]));
    const [h, m] = vs().spec.http! as { route: unknown; mirror?: unknown; match: unknown }[];
    expect(h!.route).toEqual([dest('checkout', 100, 'canary')]);
    expect(h!.match).toEqual([{ headers: { 'x-user': { exact: 'qa' } } }]);
    expect(m!.mirror).toEqual({ host: 'checkout', subset: 'canary', port: { number: 80 } });
  });

  it('never touches a user route that carries a managed name: InvalidSpec naming the field', async () => {
    const clash = {
      http: [
        ...vsSpec.http,
        { name: 'sluice.checkout.internal', route: [dest('checkout-stable', 100), dest('checkout-canary', 0)] },
      ],
    };
    const { router, cluster } = istioWith({ virtualService: 'checkout' }, clash);
    expect(router.observe()).toMatchObject({
      kind: 'invalid',
      field: 'spec.trafficRouting.managedRoutes',
      message: expect.stringMatching(/sluice\.checkout\.internal after the weighted route.*rename it/) as unknown,
    });
    await expect(router.apply(intentOf(20, []))).rejects.toThrow(/rename it/);
    expect(cluster.writes).toEqual([]);
    const named = istioWith({ virtualService: 'checkout', routes: ['sluice.checkout.internal'] }, clash).router;
    expect(named.observe()).toMatchObject({ kind: 'invalid', field: 'spec.trafficRouting.istio.routes' });
  });

  it('refuses a header the weighted route already matches, writing nothing', async () => {
    const spec = {
      http: [
        {
          name: 'primary',
          match: [{ headers: { 'x-user': { exact: 'bob' } } }],
          route: [dest('checkout-stable', 100), dest('checkout-canary', 0)],
        },
      ],
    };
    const { router, cluster } = istioWith({ virtualService: 'checkout' }, spec);
    expect(router.differs(intentOf(0, [header]))).toBe(true);
    await expect(router.apply(intentOf(0, [header]))).rejects.toThrow(/already matches header x-user/);
    expect(cluster.writes).toEqual([]);
  });

  it('leaves another Rollout’s managed routes in a shared VirtualService alone', async () => {
    const other = { name: 'sluice.cart.internal', route: [dest('cart-canary', 100)] };
    const spec = { http: [other, ...vsSpec.http] };
    const { router, vs } = istioWith({ virtualService: 'checkout' }, spec);
    await router.apply(intentOf(20, [header]));
    await router.apply(intentOf(0, []));
    expect(vs().spec.http![0]).toEqual(other);
    expect(names(vs().spec.http!)).toEqual(['sluice.cart.internal', 'health', 'primary']);
  });
});
