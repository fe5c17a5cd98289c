/**
 * A VirtualService that stops taking the managed routes mid-canary (the weighted route edited to match on the routed
 * header, a route of the user's carrying a managed name) still has a split Sluice can read and write: the reading is
 * an abortable InvalidSpec, the canary's intents are refused, and an abort's intent (weight 0, no managed route)
 * goes through, removing only Sluice's own entries.
 */
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../api/types.ts';
import type { ManagedRoute } from '../managedRoutes.ts';
import { intentOf } from '../routerDeps.test-support.ts';
import { dest, istioWith } from './istio.test-support.ts';

const header: ManagedRoute = {
  kind: 'header',
  name: 'internal',
  match: [{ headerName: 'x-user', headerValue: { exact: 'qa' } }],
};
const withHeaderStep: Partial<Rollout['spec']> = {
  strategy: {
    canary: {
      steps: [{ setWeight: 20 }, { setHeaderRoute: { name: 'internal', match: header.match } }, { setWeight: 40 }],
    },
  },
};
const hostBased = { virtualService: 'checkout' };
const health = { name: 'health', match: [{ uri: { exact: '/healthz' } }], route: [dest('health')] };
const primary = {
  name: 'primary',
  match: [{ uri: { prefix: '/api' } }],
  route: [dest('checkout-stable', 100), dest('checkout-canary', 0)],
};
type Http = { name?: string; match?: unknown; route: { weight?: number }[] }[];

/** The router with a header route in force at 20%, as the canary left it. */
async function headerRouteInForce(
  istio: object = hostBased,
  vsSpec: object = { http: [health, primary] },
  dr?: object,
) {
  const env = istioWith(istio as typeof hostBased, vsSpec, dr, {
    ...withHeaderStep,
    trafficRouting: { istio: istio as typeof hostBased, managedRoutes: [{ name: 'internal' }] },
  });
  await env.router.apply(intentOf(20, [header]));
  expect(env.router.observe()).toMatchObject({ kind: 'weights', canary: 20, routes: [header] });
  const http = () => env.vs().spec.http as Http;
  const edit = (next: Http) =>
    env.cluster.put('VirtualService', { metadata: { name: 'checkout', namespace: 'shop' }, spec: { http: next } });
  env.cluster.writes.length = 0;
  return { ...env, http, edit };
}

describe('Istio, the weighted route edited to match on the routed header mid-canary', () => {
  const clashing = (http: Http) =>
    http.map((r) =>
      r.name === 'primary'
        ? { ...r, match: [{ uri: { prefix: '/api' }, headers: { 'x-user': { exact: 'bob' } } }] }
        : r,
    );

  it('reads an abortable InvalidSpec naming the step, and refuses what the canary asks', async () => {
    const { router, cluster, http, edit } = await headerRouteInForce();
    edit(clashing(http()));
    expect(router.observe()).toMatchObject({
      kind: 'invalid',
      field: 'spec.strategy.canary.steps[1]',
      message: expect.stringContaining('already matches header x-user') as string,
      abortable: true,
    });
    expect(router.differs(intentOf(40, [header]))).toBe(false);
    await expect(router.apply(intentOf(40, [header]))).rejects.toThrow(/already matches header x-user/);
    expect(cluster.writes).toEqual([]);
  });

  it("carries out an abort: weight 0 and Sluice's entry removed in one guarded patch, the user's routes untouched", async () => {
    const { router, cluster, http, edit } = await headerRouteInForce();
    const edited = clashing(http());
    edit(edited);
    expect(router.differs(intentOf(0, []))).toBe(true);
    await router.apply(intentOf(0, []));
    expect(cluster.writes).toHaveLength(1);
    const [userHealth, userPrimary] = edited.filter((r) => r.name !== 'sluice.checkout.internal');
    expect(http()).toEqual([
      userHealth,
      { ...userPrimary, route: [dest('checkout-stable', 100), dest('checkout-canary', 0)] },
    ]);
    expect(router.observe()).toMatchObject({ kind: 'invalid', abortable: true });
    // Done: no write loop while the spec stays invalid.
    expect(router.differs(intentOf(0, []))).toBe(false);
  });
});

describe("Istio, a user's route carrying this Rollout's managed name", () => {
  const theirs = { name: 'sluice.checkout.legacy', route: [dest('legacy', 100)] };

  it("after the weighted route: abortable, and an abort removes Sluice's entry only", async () => {
    const { router, http, edit } = await headerRouteInForce();
    edit([...http(), theirs]);
    expect(router.observe()).toMatchObject({
      kind: 'invalid',
      field: 'spec.trafficRouting.managedRoutes',
      abortable: true,
    });
    expect(router.differs(intentOf(20, [header]))).toBe(false);
    await expect(router.apply(intentOf(20, [header]))).rejects.toThrow(/rename it/);
    await router.apply(intentOf(0, []));
    expect(http().map((r) => r.name)).toEqual(['health', 'primary', 'sluice.checkout.legacy']);
    expect(http()[2]).toEqual(theirs);
    expect(http()[1]!.route).toEqual([dest('checkout-stable', 100), dest('checkout-canary', 0)]);
  });

  it('before the weighted route but sending elsewhere: abortable, never rewritten nor removed', async () => {
    const { router, http, edit } = await headerRouteInForce();
    edit([theirs, ...http()]);
    expect(router.observe()).toMatchObject({
      kind: 'invalid',
      field: 'spec.trafficRouting.managedRoutes',
      message: expect.stringContaining('sluice.checkout.legacy') as string,
      abortable: true,
    });
    await router.apply(intentOf(0, []));
    expect(http().map((r) => r.name)).toEqual(['sluice.checkout.legacy', 'health', 'primary']);
    expect(http()[0]).toEqual(theirs);
  });
});

describe('Istio, managed routes without a weighted HTTP route', () => {
  it('reads an abortable InvalidSpec when the steps route headers and only a TCP route splits', async () => {
    const tcp = { match: [{ port: 5432 }], route: [dest('checkout-stable', 80), dest('checkout-canary', 20)] };
    const { router, cluster, vs } = istioWith(hostBased, { tcp: [tcp] }, undefined, {
      ...withHeaderStep,
      trafficRouting: { istio: hostBased, managedRoutes: [{ name: 'internal' }] },
    });
    expect(router.observe()).toMatchObject({
      kind: 'invalid',
      field: 'spec.trafficRouting.managedRoutes',
      message: expect.stringContaining('no weighted HTTP route') as string,
      abortable: true,
    });
    await router.apply(intentOf(0, []));
    expect(cluster.writes).toHaveLength(1);
    expect((vs().spec.tcp as { route: unknown }[])[0]!.route).toEqual([
      dest('checkout-stable', 100),
      dest('checkout-canary', 0),
    ]);
  });
});

describe('Istio subset-based, an abort through a refusing VirtualService', () => {
  const istio = { virtualService: 'checkout', destinationRule: { name: 'checkout' } };
  const subsetPrimary = {
    name: 'primary',
    route: [dest('checkout', 100, 'stable'), dest('checkout', 0, 'canary')],
  };
  const rule = {
    host: 'checkout',
    subsets: [
      { name: 'stable', labels: { 'sluice.dev/revision': 'a' } },
      { name: 'canary', labels: { 'sluice.dev/revision': 'b' } },
    ],
  };

  it('takes the weight and the header route off the canary subset before any subset moves', async () => {
    const { router, cluster, http, edit, patches, dr } = await headerRouteInForce(
      istio,
      { http: [subsetPrimary] },
      rule,
    );
    edit(http().map((r) => (r.name === 'primary' ? { ...r, match: [{ headers: { 'x-user': { regex: '.*' } } }] } : r)));
    expect(router.observe()).toMatchObject({ kind: 'invalid', abortable: true });
    await router.apply(intentOf(0, [], { stable: 'a', canary: 'c' }));
    expect(patches().map(([kind]) => kind)).toEqual(['VirtualService', 'DestinationRule']);
    expect(http().map((r) => r.name)).toEqual(['primary']);
    expect(http()[0]!.route).toEqual([dest('checkout', 100, 'stable'), dest('checkout', 0, 'canary')]);
    expect(dr().spec.subsets).toEqual([rule.subsets[0], { name: 'canary', labels: { 'sluice.dev/revision': 'c' } }]);
    expect(cluster.writes).toHaveLength(2);
  });

  it('removes a header route at weight 0 before the canary subset moves to a new revision', async () => {
    // A valid VirtualService: the header route alone sends matching users to the canary subset.
    const env = istioWith(istio, { http: [subsetPrimary] }, rule);
    await env.router.apply(intentOf(0, [header]));
    env.cluster.writes.length = 0;
    await env.router.apply(intentOf(0, [], { stable: 'a', canary: 'c' }));
    expect(env.patches().map(([kind]) => kind)).toEqual(['VirtualService', 'DestinationRule']);
  });
});
