import { describe, expect, it } from 'vitest';
import type { CanaryStep, Rollout } from '../../api/types.ts';
import type { KubeObject } from '../../kube/objectStore.ts';
import type { ManagedRoute } from '../managedRoutes.ts';
import { fakeRouterCluster, intentOf, routedRollout, servedRef } from '../routerDeps.test-support.ts';
import { gatewayApiRouter } from './index.ts';

const steps: CanaryStep[] = [
  { setHeaderRoute: { name: 'internal', match: [{ headerName: 'X-User', headerValue: { exact: 'qa' } }] } },
  { setMirrorRoute: { name: 'shadow', percentage: 50 } },
  { setWeight: 10 },
];

function rolloutWith(canarySteps: CanaryStep[] = steps, routes = ['internal', 'shadow']): Rollout {
  const managedRoutes = routes.map((name) => ({ name }));
  return routedRollout({ gatewayAPI: { httpRoute: 'web' }, managedRoutes }, canarySteps);
}

const httpRoutes = servedRef('gateway.networking.k8s.io', 'v1', 'HTTPRoute', 'httproutes');
const stable = { name: 'checkout-stable', port: 80, weight: 100 };
const canary = { name: 'checkout-canary', port: 80, weight: 0 };
const weightedRule = { matches: [{ path: { type: 'PathPrefix', value: '/shop' } }], backendRefs: [stable, canary] };
const other = { matches: [{ path: { type: 'PathPrefix', value: '/other' } }], backendRefs: [{ name: 'x', port: 80 }] };

function routerWith(rules: object[], rollout = rolloutWith()) {
  const objects: [string, KubeObject][] = [
    ['HTTPRoute', { metadata: { name: 'web', namespace: 'shop' }, spec: { rules } }],
  ];
  const cluster = fakeRouterCluster({ HTTPRoute: httpRoutes }, objects);
  const router = gatewayApiRouter.create(rollout, cluster.deps);
  const rulesNow = () => (cluster.get('HTTPRoute', 'shop', 'web') as { spec: { rules: object[] } }).spec.rules;
  return { router, cluster, rulesNow };
}

const header: ManagedRoute = {
  kind: 'header',
  name: 'internal',
  match: [{ headerName: 'x-user', headerValue: { exact: 'qa' } }],
};
const mirror: ManagedRoute = { kind: 'mirror', name: 'shadow', percentage: 50, match: [] };

describe('Gateway API managed rules', () => {
  it('adds a header rule to the canary and a mirror rule with the split, reads both back in order', async () => {
    const { router, rulesNow } = routerWith([other, weightedRule]);
    expect(router.differs(intentOf(0, [header, mirror]))).toBe(true);
    await router.apply(intentOf(10, [header, mirror]));
    expect(rulesNow().slice(2)).toEqual([
      {
        name: 'sluice.checkout.internal',
        matches: [
          {
            path: { type: 'PathPrefix', value: '/shop' },
            headers: [{ type: 'Exact', name: 'x-user', value: 'qa' }],
          },
        ],
        backendRefs: [{ name: 'checkout-canary', port: 80, weight: 1 }],
      },
      {
        name: 'sluice.checkout.shadow',
        matches: [{ path: { type: 'PathPrefix', value: '/shop' } }],
        filters: [
          { type: 'RequestMirror', requestMirror: { backendRef: { name: 'checkout-canary', port: 80 }, percent: 50 } },
        ],
        backendRefs: [
          { name: 'checkout-stable', port: 80, weight: 90 },
          { name: 'checkout-canary', port: 80, weight: 10 },
        ],
      },
    ]);
    expect(router.observe()).toEqual({ kind: 'weights', canary: 10, stable: 90, routes: [header, mirror] });
    expect(router.differs(intentOf(10, [header, mirror]))).toBe(false);
    // A new weight also moves the mirror rule's split, which carries the requests it matches.
    expect(router.differs(intentOf(20, [header, mirror]))).toBe(true);
  });

  it('writes a prefix as an anchored regex and reads it back as a prefix, and a regex of that form as a regex', async () => {
    const prefix: ManagedRoute = {
      kind: 'header',
      name: 'internal',
      match: [
        { headerName: 'x-user', headerValue: { prefix: 'qa.team' } },
        { headerName: 'x-env', headerValue: { regex: '^qa\\.team.*' } },
      ],
    };
    const { router, rulesNow } = routerWith([weightedRule]);
    await router.apply(intentOf(0, [prefix]));
    expect((rulesNow()[1] as { matches: { headers: object[] }[] }).matches[0]!.headers).toEqual([
      { type: 'RegularExpression', name: 'x-user', value: '^qa\\.team.*' },
      { type: 'RegularExpression', name: 'x-env', value: '(?:^qa\\.team.*)' },
    ]);
    expect(router.observe()).toMatchObject({ routes: [prefix] });
  });

  it('replaces a route whose match changed and removes the rules at promotion, leaving the user rules', async () => {
    const { router, rulesNow } = routerWith([other, weightedRule]);
    await router.apply(intentOf(10, [header, mirror]));
    const qa2: ManagedRoute = { ...header, match: [{ headerName: 'x-user', headerValue: { exact: 'qa2' } }] };
    await router.apply(intentOf(10, [qa2]));
    expect(router.observe()).toMatchObject({ routes: [qa2] });
    expect(rulesNow()).toHaveLength(3);
    await router.apply(intentOf(0, []));
    expect(rulesNow()).toEqual([other, { ...weightedRule, backendRefs: [stable, canary] }]);
    expect(router.observe()).toEqual({ kind: 'weights', canary: 0, stable: 100, routes: [] });
  });

  it('guards each rule it touches: a route edited since it was read makes the patch fail', async () => {
    const { router, cluster, rulesNow } = routerWith([weightedRule]);
    await router.apply(intentOf(0, [header]));
    // The router decides on what it read; the user reorders the rules before the write lands.
    const jsonPatch = cluster.deps.jsonPatch.bind(cluster.deps);
    let edited = '';
    cluster.deps.jsonPatch = async (kind, ns, name, ops) => {
      const route = cluster.get(kind, ns, name) as unknown as { spec: { rules: object[] } };
      route.spec.rules.reverse();
      edited = JSON.stringify(route.spec.rules);
      return jsonPatch(kind, ns, name, ops);
    };
    await expect(router.apply(intentOf(0, []))).rejects.toThrow();
    expect(JSON.stringify(rulesNow())).toBe(edited);
    expect(rulesNow()[0]).toMatchObject({ name: 'sluice.checkout.internal' });
  });

  it('refuses a user rule that has the name of a managed rule, naming managedRoutes', async () => {
    const mine = { name: 'sluice.checkout.internal', backendRefs: [{ name: 'legacy', port: 80 }] };
    const { router, cluster } = routerWith([weightedRule, mine]);
    expect(router.observe()).toMatchObject({
      kind: 'invalid',
      field: 'spec.trafficRouting.managedRoutes',
      message: expect.stringContaining('rule named sluice.checkout.internal that is not one Sluice writes') as string,
    });
    await expect(router.apply(intentOf(10, []))).rejects.toThrow(/sluice\.checkout\.internal/);
    // An abort's intent still goes through the split, and leaves that rule alone: it is not one Sluice wrote.
    await router.apply(intentOf(0, []));
    expect(cluster.writes).toEqual([]);
  });

  it('leaves alone the rules of another Rollout, even one with the same managed route names, in the same route', async () => {
    // Two Rollouts split in one HTTPRoute (each its own rule and Services) and both name a route "internal".
    const cartStable = { name: 'cart-stable', port: 80, weight: 100 };
    const cartCanary = { name: 'cart-canary', port: 80, weight: 0 };
    const cartRule = {
      matches: [{ path: { type: 'PathPrefix', value: '/cart' } }],
      backendRefs: [cartStable, cartCanary],
    };
    const { router, cluster, rulesNow } = routerWith([weightedRule, cartRule]);
    const cartRollout = rolloutWith();
    cartRollout.metadata.name = 'cart';
    const cart = gatewayApiRouter.create(cartRollout, cluster.deps);
    await cart.apply(intentOf(0, [header]));
    await router.apply(intentOf(10, [header]));
    expect(rulesNow().map((r) => (r as { name?: string }).name)).toEqual([
      undefined,
      undefined,
      'sluice.cart.internal',
      'sluice.checkout.internal',
    ]);
    expect(cart.observe()).toMatchObject({ kind: 'weights', routes: [header] });
    expect(router.observe()).toMatchObject({ kind: 'weights', routes: [header] });
    // Promoting checkout removes its rule only.
    await router.apply(intentOf(0, []));
    expect(rulesNow().map((r) => (r as { name?: string }).name)).toEqual([
      undefined,
      undefined,
      'sluice.cart.internal',
    ]);
    expect(cart.differs(intentOf(0, [header]))).toBe(false);
  });

  it('removes its rule of a route that managedRoutes no longer lists, and leaves a rule of a user named otherwise', async () => {
    const theirs = { name: 'sluice-legacy', backendRefs: [{ name: 'legacy', port: 80 }] };
    const { router, cluster, rulesNow } = routerWith([weightedRule, theirs]);
    await router.apply(intentOf(10, [header, mirror]));
    // The user drops "shadow" from managedRoutes mid-canary: its rule is still this Rollout's, read back and removed.
    const edited = gatewayApiRouter.create(rolloutWith([steps[0]!, steps[2]!], ['internal']), cluster.deps);
    expect(edited.observe()).toMatchObject({ kind: 'weights', routes: [header, mirror] });
    expect(edited.differs(intentOf(10, [header]))).toBe(true);
    await edited.apply(intentOf(10, [header]));
    expect(rulesNow().map((r) => (r as { name?: string }).name)).toEqual([
      undefined,
      'sluice-legacy',
      'sluice.checkout.internal',
    ]);
    expect(rulesNow()[1]).toEqual(theirs);
    // With no managed route listed at all, promotion still removes what is left.
    const none = gatewayApiRouter.create(rolloutWith([steps[2]!], []), cluster.deps);
    await none.apply(intentOf(0, []));
    expect(rulesNow()).toEqual([{ ...weightedRule, backendRefs: [stable, canary] }, theirs]);
  });

  it('refuses steps that would take the route past 16 rules, naming managedRoutes', () => {
    const fifteen = [weightedRule, ...Array.from({ length: 14 }, () => other)];
    expect(routerWith(fifteen).router.observe()).toMatchObject({
      kind: 'invalid',
      field: 'spec.trafficRouting.managedRoutes',
      message: expect.stringContaining('has 15 rules and the steps add 2 managed rules') as string,
    });
    // One managed route fits.
    const one = rolloutWith([steps[0]!], ['internal']);
    expect(routerWith(fifteen, one).router.observe()).toMatchObject({ kind: 'weights' });
  });

  it('refuses a header the weighted rule already matches, and an empty exact value, naming the step', () => {
    const onHeader = { ...weightedRule, matches: [{ headers: [{ type: 'Exact', name: 'X-User', value: 'a' }] }] };
    expect(routerWith([onHeader]).router.observe()).toMatchObject({
      kind: 'invalid',
      field: 'spec.strategy.canary.steps[0]',
      message: expect.stringContaining('already matches header x-user') as string,
    });
    const empty = rolloutWith([
      { setHeaderRoute: { name: 'internal', match: [{ headerName: 'x-user', headerValue: { exact: '' } }] } },
    ]);
    expect(routerWith([weightedRule], empty).router.observe()).toMatchObject({
      kind: 'invalid',
      field: 'spec.strategy.canary.steps[0]',
    });
  });

  it('refuses managed routes when several rules split between the two Services', () => {
    expect(routerWith([weightedRule, weightedRule]).router.observe()).toMatchObject({
      kind: 'invalid',
      field: 'spec.trafficRouting.gatewayAPI.httpRoute',
      message: expect.stringContaining('keep one such rule') as string,
    });
  });

  it('mirrors every request the weighted rule takes when the mirror route has no match', async () => {
    const noMatch = { backendRefs: [stable, canary] };
    const { router, rulesNow } = routerWith([noMatch]);
    await router.apply(intentOf(0, [{ ...mirror, percentage: 100 }]));
    expect(rulesNow()[1]).toMatchObject({ matches: [{}], filters: [{ requestMirror: { percent: 100 } }] });
    expect(router.observe()).toMatchObject({ routes: [{ kind: 'mirror', percentage: 100, match: [] }] });
  });
});

describe('Gateway API managed rules, when the route stops taking them mid-canary', () => {
  // The user edits the weighted rule to match on the very header the managed route adds: the canary's routes are
  // refused, but the split is still Sluice's to write, and an abort must take the traffic off the canary.
  const clashing = {
    ...weightedRule,
    matches: [{ path: { type: 'PathPrefix', value: '/shop' }, headers: [{ name: 'x-user', value: 'qa' }] }],
  };

  it('reads InvalidSpec naming the step, abortable, and refuses what the canary asks', async () => {
    const { router, cluster, rulesNow } = routerWith([other, weightedRule]);
    await router.apply(intentOf(30, [header]));
    const written = rulesNow();
    cluster.put('HTTPRoute', {
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        rules: [other, { ...clashing, backendRefs: (written[1] as typeof weightedRule).backendRefs }, written[2]],
      },
    });
    const seen = router.observe();
    expect(seen).toMatchObject({ kind: 'invalid', abortable: true });
    expect(router.differs(intentOf(40, [header]))).toBe(false);
    await expect(router.apply(intentOf(40, [header]))).rejects.toThrow();
  });

  it("carries out an abort's intent: weight 0 and this Rollout's rules removed, the user's rules untouched", async () => {
    const { router, cluster, rulesNow } = routerWith([other, weightedRule]);
    await router.apply(intentOf(30, [header]));
    const written = rulesNow();
    const edited = { ...clashing, backendRefs: (written[1] as typeof weightedRule).backendRefs };
    cluster.put('HTTPRoute', {
      metadata: { name: 'web', namespace: 'shop' },
      spec: { rules: [other, edited, written[2]] },
    });
    expect(router.differs(intentOf(0, []))).toBe(true);
    await router.apply(intentOf(0, []));
    expect(rulesNow()).toEqual([
      other,
      {
        ...clashing,
        backendRefs: [
          { ...stable, weight: 100 },
          { ...canary, weight: 0 },
        ],
      },
    ]);
  });
});
