import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/objectStore.ts';
import { fakeRouterCluster, intentOf, routedRollout, servedRef } from '../routerDeps.test-support.ts';
import { canaryPercent, findSplitRules } from './httpRoute.ts';
import { gatewayApiRouter } from './index.ts';

const rollout = routedRollout({ gatewayAPI: { httpRoute: 'web' } });

const httpRoutes = servedRef('gateway.networking.k8s.io', 'v1', 'HTTPRoute', 'httproutes');

function routerWith(route: object | undefined) {
  const objects: [string, KubeObject][] =
    route === undefined ? [] : [['HTTPRoute', { ...route, metadata: { name: 'web', namespace: 'shop' } }]];
  const cluster = fakeRouterCluster({ HTTPRoute: httpRoutes }, objects);
  const router = gatewayApiRouter.create(rollout, cluster.deps);
  const patches = () => cluster.writes.map((w) => w[3]);
  return { router, patches, cluster };
}

describe('Gateway API router', () => {
  const route = {
    spec: {
      rules: [
        { backendRefs: [{ name: 'other', port: 80 }] },
        {
          backendRefs: [
            { name: 'checkout-stable', port: 80, weight: 90 },
            { name: 'checkout-canary', port: 80, weight: 10 },
          ],
        },
      ],
    },
  };

  it('reads the split of the rule that has both backends', () => {
    expect(routerWith(route).router.observe()).toEqual({ kind: 'weights', canary: 10, stable: 90, routes: [] });
  });

  it('patches only the two weights, guarded by tests on the backend names', async () => {
    const { router, patches } = routerWith(route);
    expect(router.differs(intentOf(10))).toBe(false);
    expect(router.differs(intentOf(50))).toBe(true);
    await router.apply(intentOf(50));
    expect(router.observe()).toMatchObject({ canary: 50, stable: 50 });
    expect(router.differs(intentOf(50))).toBe(false);
    expect(patches()).toEqual([
      [
        { op: 'test', path: '/spec/rules/1/backendRefs/0/name', value: 'checkout-stable' },
        { op: 'test', path: '/spec/rules/1/backendRefs/1/name', value: 'checkout-canary' },
        { op: 'add', path: '/spec/rules/1/backendRefs/0/weight', value: 50 },
        { op: 'add', path: '/spec/rules/1/backendRefs/1/weight', value: 50 },
      ],
    ]);
  });

  it('treats an omitted weight as 1, as the Gateway API does', () => {
    const rules = findSplitRules(
      { spec: { rules: [{ backendRefs: [{ name: 'checkout-stable' }, { name: 'checkout-canary' }] }] } },
      'shop',
      'checkout-stable',
      'checkout-canary',
    );
    expect(Array.isArray(rules) && canaryPercent(rules[0]!)).toBe(50);
  });

  it('ignores backendRefs to other kinds with the same name', () => {
    const r = {
      spec: {
        rules: [
          {
            backendRefs: [
              { name: 'checkout-stable' },
              { name: 'checkout-canary', kind: 'ServiceImport', group: 'multicluster.x-k8s.io' },
            ],
          },
        ],
      },
    };
    expect(routerWith(r).router.observe()).toMatchObject({ kind: 'invalid' });
  });

  it('says which backend is missing and how to add it', () => {
    const r = { spec: { rules: [{ backendRefs: [{ name: 'checkout-stable', port: 80 }] }] } };
    expect(routerWith(r).router.observe()).toEqual({
      kind: 'invalid',
      field: 'spec.trafficRouting.gatewayAPI.httpRoute',
      message:
        'HTTPRoute shop/web has no rule with backendRefs to both checkout-stable and checkout-canary: add {name: checkout-canary, port: 80, weight: 0} beside checkout-stable',
    });
    expect(routerWith(undefined).router.observe()).toMatchObject({
      message: 'HTTPRoute shop/web not found: create it or fix the name',
    });
  });
});
