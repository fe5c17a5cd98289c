import { describe, expect, it } from 'vitest';
import type { Rollout } from '../controller/src/api/types.ts';
import type { ResourceRef } from '../controller/src/kube/resourceRef.ts';
import { routerFor, routerWatches } from '../controller/src/routers/registry.ts';
import { fakeRouterCluster } from '../controller/src/routers/routerDeps.test-support.ts';
import { routed } from './kube.ts';
import { benchRouters, routerObjects } from './routerObjects.ts';

const namespace = 'bench';
const app = 'shop';

/** Every kind the routers read, at the version the benchmark creates (SMI: v1alpha2, as OSM's CRD serves). */
function served(versions: Map<string, string>): Record<string, ResourceRef> {
  return Object.fromEntries(
    routerWatches().map(({ watch }) => [
      watch.resource.kind,
      { ...watch.resource, version: versions.get(watch.resource.kind) ?? watch.resource.version },
    ]),
  );
}

/**
 * The benchmark's objects for one app, driven by the controller's own router for that spec.trafficRouting, so
 * what the benchmark reads from a watch event is checked against what Sluice really writes.
 */
function benchApp(name: (typeof benchRouters)[number]) {
  const bench = routerObjects[name];
  const objects = bench.objects(app);
  const cluster = fakeRouterCluster(
    served(new Map(objects.map((o) => [o.body.kind, o.ref.version]))),
    objects.map((o) => [o.body.kind, { ...o.body, metadata: { ...o.body.metadata, namespace } }]),
  );
  const rollout = {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: app, namespace, uid: 'rollout-uid' },
    spec: { ...routed(app, bench.trafficRouting(app)), strategy: { canary: { steps: [{ setWeight: 20 }] } } },
  } as Rollout;
  const { router, invalid } = routerFor(rollout, cluster.deps);
  const kind = objects.find((o) => o.ref.plural === bench.kind.plural)!.body.kind;
  /** What the benchmark's watch would make of every object of the watched kind (nginx: Sluice's canary Ingress too). */
  const read = () =>
    [app, `${app}-${app}-canary`]
      .map((n) => cluster.get(kind, namespace, n))
      .filter((o) => o !== undefined)
      .map((o) => bench.weightOf(o))
      .filter((w) => w !== undefined);
  const apply = (canaryWeight: number) =>
    router!.apply({ canaryWeight, revisions: { stable: 'rev-a', canary: 'rev-b' }, routes: [] });
  return { router, invalid, read, apply };
}

describe.each(benchRouters)('the reaction benchmark with --router %s', (name) => {
  it('reads the weight the controller writes into the router object, as created, at 20, 50, then 0', async () => {
    const { router, invalid, read, apply } = benchApp(name);
    expect(invalid).toBeUndefined();
    expect(router?.observe()).toMatchObject({ kind: 'weights', canary: 0, stable: 100 });
    // nginx: the canary Ingress does not exist until the first canary, so there is nothing to read yet.
    expect(read()).toEqual(name === 'nginx' ? [] : [{ app, percent: 0 }]);
    for (const weight of [20, 50, 0]) {
      await apply(weight);
      expect(router?.observe()).toMatchObject({ kind: 'weights', canary: weight });
      expect(read()).toEqual([{ app, percent: weight }]);
    }
  });
});

describe('reading a router object', () => {
  it('finds no weight in an HTTPRoute without the canary backend, rather than a made-up split', () => {
    const route = routerObjects.gatewayAPI.objects(app)[0]!.body as { spec: { rules: { backendRefs: object[] }[] } };
    route.spec.rules[0]!.backendRefs = [{ name: `${app}-stable`, port: 80, weight: 100 }];
    expect(routerObjects.gatewayAPI.weightOf(route)).toEqual({ app, percent: undefined });
  });

  it("ignores nginx's stable Ingress: only the canary Ingress carries the weight", () => {
    const stable = routerObjects.nginx.objects(app)[0]!.body;
    expect(routerObjects.nginx.weightOf(stable)).toBeUndefined();
  });
});
