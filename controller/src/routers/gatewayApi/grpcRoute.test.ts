import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../api/types.ts';
import type { KubeObject } from '../../kube/objectStore.ts';
import { fakeRouterCluster, intentOf, routedRollout, servedRef } from '../routerDeps.test-support.ts';
import { gatewayApiRouter } from './index.ts';

const rolloutOf = (gatewayAPI: { grpcRoute?: string; httpRoute?: string }, name = 'checkout') =>
  routedRollout({ gatewayAPI }, undefined, { name, port: 50051 });
const rollout = rolloutOf({ grpcRoute: 'rpc' });

const ref = (kind: string, plural: string) => servedRef('gateway.networking.k8s.io', 'v1', kind, plural);
const served = { HTTPRoute: ref('HTTPRoute', 'httproutes'), GRPCRoute: ref('GRPCRoute', 'grpcroutes') };

interface Route {
  spec: { rules: { matches?: object[]; backendRefs: { name: string; port: number; weight?: number }[] }[] };
}
const grpcRoute: Route = {
  spec: {
    rules: [
      { matches: [{ method: { service: 'shop.Other' } }], backendRefs: [{ name: 'other', port: 50051 }] },
      {
        matches: [{ method: { service: 'shop.Checkout' } }],
        backendRefs: [
          { name: 'checkout-stable', port: 50051, weight: 80 },
          { name: 'checkout-canary', port: 50051, weight: 20 },
        ],
      },
    ],
  },
};

function routerWith(objects: [string, object][], opts: { served?: object; rollout?: Rollout } = {}) {
  const cluster = fakeRouterCluster(
    (opts.served ?? served) as typeof served,
    objects.map(([kind, o]) => [kind, { ...o, metadata: { name: 'rpc', namespace: 'shop' } }]),
  );
  return { router: gatewayApiRouter.create(opts.rollout ?? rollout, cluster.deps), cluster };
}

describe('Gateway API router with a GRPCRoute', () => {
  it('reads and writes the GRPCRoute, not an HTTPRoute of the same name', async () => {
    const httpRoute = structuredClone(grpcRoute);
    httpRoute.spec.rules[1]!.backendRefs[1]!.weight = 70;
    const { router, cluster } = routerWith([
      ['GRPCRoute', grpcRoute],
      ['HTTPRoute', httpRoute],
    ]);
    expect(router.observe()).toEqual({ kind: 'weights', canary: 20, stable: 80, routes: [] });
    expect(router.differs(intentOf(20))).toBe(false);
    await router.apply(intentOf(50));
    expect(cluster.writes).toEqual([
      [
        'patch',
        'GRPCRoute',
        'shop/rpc',
        [
          { op: 'test', path: '/spec/rules/1/backendRefs/0/name', value: 'checkout-stable' },
          { op: 'test', path: '/spec/rules/1/backendRefs/1/name', value: 'checkout-canary' },
          { op: 'add', path: '/spec/rules/1/backendRefs/0/weight', value: 50 },
          { op: 'add', path: '/spec/rules/1/backendRefs/1/weight', value: 50 },
        ],
      ],
    ]);
    expect(router.observe()).toMatchObject({ canary: 50, stable: 50 });
    // Everything else in the route is as the user wrote it: the matches, the other rule, the HTTPRoute.
    const after = cluster.get('GRPCRoute', 'shop', 'rpc')!.spec as Route['spec'];
    expect(after.rules[0]).toEqual(grpcRoute.spec.rules[0]);
    expect(after.rules[1]!.matches).toEqual(grpcRoute.spec.rules[1]!.matches);
    expect(cluster.get('HTTPRoute', 'shop', 'rpc')!.spec).toEqual(httpRoute.spec);
  });

  it('sets every rule that sends to both Services, so no method keeps the old split', async () => {
    const twoRules = structuredClone(grpcRoute);
    twoRules.spec.rules[0] = {
      matches: [{ method: { service: 'shop.Cart' } }],
      backendRefs: [
        { name: 'checkout-canary', port: 50051, weight: 20 },
        { name: 'checkout-stable', port: 50051, weight: 80 },
      ],
    };
    const { router, cluster } = routerWith([['GRPCRoute', twoRules]]);
    await router.apply(intentOf(0));
    const rules = (cluster.get('GRPCRoute', 'shop', 'rpc')!.spec as Route['spec']).rules;
    expect(rules.map((r) => r.backendRefs.map((b) => `${b.name}=${b.weight}`))).toEqual([
      ['checkout-canary=0', 'checkout-stable=100'],
      ['checkout-stable=100', 'checkout-canary=0'],
    ]);
    expect(router.differs(intentOf(0))).toBe(false);
  });

  it('fails the patch when the route was edited since it was read, and leaves it as the user left it', async () => {
    const { cluster } = routerWith([['GRPCRoute', grpcRoute]]);
    const read = cluster.get('GRPCRoute', 'shop', 'rpc')!;
    const edited = structuredClone(read);
    (edited.spec as Route['spec']).rules[1]!.backendRefs.reverse();
    cluster.put('GRPCRoute', edited);
    const stale = gatewayApiRouter.create(rollout, { ...cluster.deps, cached: () => read });
    await expect(stale.apply(intentOf(50))).rejects.toThrow();
    expect(cluster.get('GRPCRoute', 'shop', 'rpc')!.spec).toEqual(edited.spec);
  });

  it('names spec.trafficRouting.gatewayAPI.grpcRoute when the route lacks the canary, is absent or not served', () => {
    const stableOnly = { spec: { rules: [{ backendRefs: [{ name: 'checkout-stable', port: 50051 }] }] } };
    expect(routerWith([['GRPCRoute', stableOnly]]).router.observe()).toEqual({
      kind: 'invalid',
      field: 'spec.trafficRouting.gatewayAPI.grpcRoute',
      message:
        'GRPCRoute shop/rpc has no rule with backendRefs to both checkout-stable and checkout-canary: add {name: checkout-canary, port: 50051, weight: 0} beside checkout-stable',
    });
    // An HTTPRoute of that name does not stand in for the GRPCRoute.
    expect(routerWith([['HTTPRoute', grpcRoute]]).router.observe()).toEqual({
      kind: 'invalid',
      field: 'spec.trafficRouting.gatewayAPI.grpcRoute',
      message: 'GRPCRoute shop/rpc not found: create it or fix the name',
    });
    expect(
      routerWith([['GRPCRoute', grpcRoute]], { served: { HTTPRoute: served.HTTPRoute } }).router.observe(),
    ).toEqual({
      kind: 'invalid',
      field: 'spec.trafficRouting.gatewayAPI.grpcRoute',
      message: 'the Gateway API GRPCRoute kind is not served by this cluster: install the Gateway API CRDs',
    });
  });

  it('wakes the Rollouts that name the GRPCRoute, not those naming an HTTPRoute of the same name', () => {
    const grpcWatch = gatewayApiRouter.watches.find((w) => w.resource.kind === 'GRPCRoute')!;
    const viaHttp = rolloutOf({ httpRoute: 'rpc' }, 'web');
    const elsewhere = rolloutOf({ grpcRoute: 'other' }, 'cart');
    const route = { metadata: { name: 'rpc', namespace: 'shop' } } as KubeObject;
    expect(grpcWatch.resource).toMatchObject({ plural: 'grpcroutes', version: 'v1' });
    expect(grpcWatch.readers(route, [rollout, viaHttp, elsewhere])).toEqual([rollout]);
  });
});
