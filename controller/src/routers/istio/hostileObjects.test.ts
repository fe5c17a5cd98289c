/**
 * The Istio router against objects a hostile or careless hand wrote: a DestinationRule whose host lives in another
 * namespace, weights that are not weights, and two Rollouts sharing one weighted route.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/objectStore.ts';
import { fakeRouterCluster, intentOf } from '../routerDeps.test-support.ts';
import { istioRouterModule } from './index.ts';
import { dest, istioRollout, istioWith, served } from './istio.test-support.ts';

describe('Istio router, a DestinationRule for a host of another namespace', () => {
  it.each(['checkout.bank', 'checkout.bank.svc.cluster.local', '*.bank.svc.cluster.local'])(
    'host %s is InvalidSpec and neither object is written',
    async (host) => {
      // Its subsets would select pods of that namespace by Sluice's revision label: with the same pod template
      // (staging and production), the canary's share would go to the other namespace's pods.
      const istio = { virtualService: 'checkout', destinationRule: { name: 'checkout' } };
      const vs = { http: [{ name: 'primary', route: [dest(host, 100, 'stable'), dest(host, 0, 'canary')] }] };
      const rule = { host, subsets: [{ name: 'stable' }, { name: 'canary' }] };
      const { router, cluster } = istioWith(istio, vs, rule);
      const read = router.observe();
      expect(read).toMatchObject({ kind: 'invalid', field: 'spec.trafficRouting.istio.destinationRule.name' });
      expect((read as { message: string }).message).toMatch(/namespace shop/);
      expect(router.differs(intentOf(10))).toBe(false);
      await expect(router.apply(intentOf(10))).rejects.toThrow(/namespace shop/);
      expect(cluster.writes).toEqual([]);
    },
  );
});

describe('Istio router, weights that are not weights', () => {
  it.each([[-5], ['50'], [Number.NaN], [null]])(
    'a canary weight of %s is InvalidSpec naming the route, not read as 0%',
    async (weight) => {
      const vs = {
        http: [{ name: 'primary', route: [dest('checkout-stable', 100), { ...dest('checkout-canary'), weight }] }],
      };
      const { router, cluster } = istioWith({ virtualService: 'checkout' }, vs);
      const read = router.observe();
      expect(read).toMatchObject({ kind: 'invalid', field: 'spec.trafficRouting.istio.virtualService' });
      expect((read as { message: string }).message).toMatch(/checkout-canary/);
      await expect(router.apply(intentOf(0))).rejects.toThrow();
      expect(cluster.writes).toEqual([]);
    },
  );
});

describe('Istio router, two Rollouts sharing one weighted route', () => {
  it('their managed routes settle: no Rollout moves the other one out of the way, so no write loop', async () => {
    const route = [
      dest('checkout-stable', 100),
      dest('checkout-canary', 0),
      dest('payments-stable', 100),
      dest('payments-canary', 0),
    ];
    const cluster = fakeRouterCluster(served, [
      ['VirtualService', { metadata: { name: 'shop', namespace: 'shop' }, spec: { http: [{ name: 'all', route }] } }],
    ] as [string, KubeObject][]);
    const routerOf = (name: string) => {
      const rollout = istioRollout({ virtualService: 'shop' });
      rollout.metadata.name = name;
      return istioRouterModule.create(rollout, cluster.deps);
    };
    const header = (name: string) => [
      { kind: 'header' as const, name, match: [{ headerName: 'x-team', headerValue: { exact: name } }] },
    ];
    const a = routerOf('checkout');
    const b = routerOf('payments');
    const wants = [
      [a, intentOf(0, header('qa'))],
      [b, intentOf(0, header('beta'))],
    ] as const;
    for (let round = 0; round < 4; round++)
      for (const [router, i] of wants) if (router.differs(i)) await router.apply(i);
    const writes = cluster.writes.length;
    for (const [router, i] of wants) expect(router.differs(i)).toBe(false);
    expect(writes).toBe(2);
    expect(a.observe()).toMatchObject({ routes: header('qa') });
    expect(b.observe()).toMatchObject({ routes: header('beta') });
  });
});

describe('Istio router, subsets of a superseded canary', () => {
  it('takes the weight off the canary subset before pointing it at the new revision, never after', async () => {
    // rev b has 20%; rev c supersedes it and has no ready pod yet: the planner asks for 0% with canary c.
    const istio = { virtualService: 'checkout', destinationRule: { name: 'checkout' } };
    const vs = { http: [{ name: 'primary', route: [dest('checkout', 80, 'stable'), dest('checkout', 20, 'canary')] }] };
    const rule = {
      host: 'checkout',
      subsets: [
        { name: 'stable', labels: { 'sluice.dev/revision': 'a' } },
        { name: 'canary', labels: { 'sluice.dev/revision': 'b' } },
      ],
    };
    const { router, patches } = istioWith(istio, vs, rule);
    await router.apply(intentOf(0, [], { stable: 'a', canary: 'c' }));
    // Subsets first would send 20% to c's pods (none ready) until the weight patch lands, or for good if it fails.
    expect(patches().map(([kind]) => kind)).toEqual(['VirtualService', 'DestinationRule']);
    expect(router.differs(intentOf(0, [], { stable: 'a', canary: 'c' }))).toBe(false);
    // A weight that goes up still waits for the subsets: the canary's share must reach the new revision only.
    const up = istioWith(istio, vs, rule);
    await up.router.apply(intentOf(30, [], { stable: 'a', canary: 'c' }));
    expect(up.patches().map(([kind]) => kind)).toEqual(['DestinationRule', 'VirtualService']);
  });
});
