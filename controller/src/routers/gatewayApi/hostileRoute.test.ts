/**
 * A tenant's HTTPRoute read as a hostile or careless hand would write it: backendRefs to Services of another
 * namespace that happen to carry the Rollout's Service names, and fields of the wrong type.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/objectStore.ts';
import { fakeRouterCluster, intentOf, routedRollout, servedRef } from '../routerDeps.test-support.ts';
import { gatewayApiRouter } from './index.ts';

const rollout = routedRollout({ gatewayAPI: { httpRoute: 'web' } });
const httpRoutes = servedRef('gateway.networking.k8s.io', 'v1', 'HTTPRoute', 'httproutes');

function routerWith(spec: unknown) {
  const route = { spec, metadata: { name: 'web', namespace: 'shop' } } as KubeObject;
  const cluster = fakeRouterCluster({ HTTPRoute: httpRoutes }, [['HTTPRoute', route]]);
  return { router: gatewayApiRouter.create(rollout, cluster.deps), cluster };
}

describe('Gateway API router, a route that reaches into another namespace', () => {
  it('does not take backendRefs to another namespace for the Rollout Services, and writes nothing', async () => {
    // Services named checkout-stable/-canary in namespace bank are not this Rollout's (a ReferenceGrant lets the
    // route send there): weighing them would move another namespace's pods in and out of this route.
    const { router, cluster } = routerWith({
      rules: [
        {
          backendRefs: [
            { name: 'checkout-stable', namespace: 'bank', port: 80, weight: 100 },
            { name: 'checkout-canary', namespace: 'bank', port: 80, weight: 0 },
          ],
        },
      ],
    });
    expect(router.observe()).toMatchObject({ kind: 'invalid', field: 'spec.trafficRouting.gatewayAPI.httpRoute' });
    expect(router.differs(intentOf(50))).toBe(false);
    await expect(router.apply(intentOf(50))).rejects.toThrow(/no rule with backendRefs/);
    expect(cluster.writes).toEqual([]);
  });

  it('splits the rule whose backendRefs name the Rollout namespace or none, not one beside it in another', async () => {
    const { router, cluster } = routerWith({
      rules: [
        {
          backendRefs: [
            { name: 'checkout-stable', namespace: 'bank', port: 80, weight: 100 },
            { name: 'checkout-canary', namespace: 'bank', port: 80, weight: 0 },
          ],
        },
        {
          backendRefs: [
            { name: 'checkout-stable', namespace: 'shop', port: 80, weight: 100 },
            { name: 'checkout-canary', port: 80, weight: 0 },
          ],
        },
      ],
    });
    await router.apply(intentOf(30));
    const rules = (cluster.get('HTTPRoute', 'shop', 'web')!.spec as { rules: { backendRefs: object[] }[] }).rules;
    expect(rules[0]!.backendRefs.map((b) => (b as { weight: number }).weight)).toEqual([100, 0]);
    expect(rules[1]!.backendRefs.map((b) => (b as { weight: number }).weight)).toEqual([70, 30]);
  });
});

describe('Gateway API router, fields of the wrong type', () => {
  it.each([
    ['rules not a list', { rules: { backendRefs: [] } }],
    ['a rule that is null', { rules: [null] }],
    ['backendRefs not a list', { rules: [{ backendRefs: 'checkout-canary' }] }],
  ])('%s reads as InvalidSpec, never a crash', (_what, spec) => {
    const { router } = routerWith(spec);
    expect(router.observe()).toMatchObject({ kind: 'invalid' });
    expect(router.differs(intentOf(10))).toBe(false);
  });

  it.each([['"50"'], [-5], [Number.NaN], [null]])(
    'a weight of %s is not read as a share: InvalidSpec naming the backend, nothing written',
    async (weight) => {
      const { router, cluster } = routerWith({
        rules: [
          {
            backendRefs: [
              { name: 'checkout-stable', port: 80, weight: 50 },
              { name: 'checkout-canary', port: 80, weight },
            ],
          },
        ],
      });
      const seen = router.observe();
      expect(seen).toMatchObject({ kind: 'invalid', field: 'spec.trafficRouting.gatewayAPI.httpRoute' });
      expect(seen?.kind === 'invalid' && seen.message).toMatch(/checkout-canary/);
      await expect(router.apply(intentOf(0))).rejects.toThrow();
      expect(cluster.writes).toEqual([]);
    },
  );
});
