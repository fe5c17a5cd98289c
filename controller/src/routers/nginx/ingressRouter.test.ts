import { describe, expect, it } from 'vitest';
import type { CanaryStep, Rollout } from '../../api/types.ts';
import type { KubeObject } from '../../kube/objectStore.ts';
import type { ManagedRoute } from '../managedRoutes.ts';
import { routerFor } from '../registry.ts';
import { fakeRouterCluster, intentOf, routedRollout, servedRef } from '../routerDeps.test-support.ts';
import { nginxRouter } from './index.ts';

const ingresses = servedRef('networking.k8s.io', 'v1', 'Ingress', 'ingresses');

function rolloutWith(
  nginx: { additionalIngressAnnotations?: Record<string, string> } = {},
  steps: CanaryStep[] = [{ setWeight: 10 }],
  managedRoutes: { name: string }[] = [],
): Rollout {
  return routedRollout({ nginx: { stableIngress: 'web', ...nginx }, managedRoutes }, steps);
}

const stableIngress = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: {
    name: 'web',
    namespace: 'shop',
    annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/', 'example.com/team': 'payments' },
  },
  spec: {
    ingressClassName: 'nginx',
    tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
    rules: [
      {
        host: 'shop.example.com',
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'checkout-stable', port: { number: 80 } } } },
          ],
        },
      },
    ],
  },
};

function setup(rollout = rolloutWith(), objects: KubeObject[] = [stableIngress]) {
  const cluster = fakeRouterCluster(
    { Ingress: ingresses },
    objects.map((o) => ['Ingress', o]),
  );
  const router = nginxRouter.create(rollout, cluster.deps);
  const canary = () => cluster.get('Ingress', 'shop', 'checkout-web-canary') as KubeObject & { spec: object };
  return { cluster, router, canary };
}

const qa: ManagedRoute = {
  kind: 'header',
  name: 'qa',
  match: [{ headerName: 'x-user', headerValue: { exact: 'qa' } }],
};

describe('ingress-nginx router', () => {
  it('creates the canary Ingress on the first weight: owned, labelled, backends swapped, no tls, no other annotations', async () => {
    const { router, canary, cluster } = setup();
    expect(router.observe()).toEqual({ kind: 'weights', canary: 0, stable: 100, routes: [] });
    expect(router.differs(intentOf(0))).toBe(false); // absent already sends nothing
    expect(router.differs(intentOf(10))).toBe(true);
    await router.apply(intentOf(10));
    expect(canary()).toMatchObject({
      metadata: {
        labels: { 'sluice.dev/rollout': 'checkout' },
        ownerReferences: [{ kind: 'Rollout', uid: 'rollout-uid', controller: true, blockOwnerDeletion: true }],
        annotations: {
          'nginx.ingress.kubernetes.io/canary': 'true',
          'nginx.ingress.kubernetes.io/canary-weight': '10',
          'nginx.ingress.kubernetes.io/canary-weight-total': '100',
        },
      },
      spec: {
        ingressClassName: 'nginx',
        rules: [{ host: 'shop.example.com', http: { paths: [{ backend: { service: { name: 'checkout-canary' } } }] } }],
      },
    });
    expect(Object.keys(canary().metadata!.annotations as object)).toHaveLength(3);
    expect(canary().spec).not.toHaveProperty('tls');
    expect(router.observe()).toEqual({ kind: 'weights', canary: 10, stable: 90, routes: [] });
    expect(router.differs(intentOf(10))).toBe(false);
    expect(cluster.get('Ingress', 'shop', 'web')).toMatchObject({ metadata: { resourceVersion: '1' } });
  });

  it('patches the weight guarded by the uid, the owner and the canary mark, and reads it back', async () => {
    const { router, cluster } = setup();
    await router.apply(intentOf(10));
    await router.apply(intentOf(50));
    expect(router.observe()).toMatchObject({ canary: 50, stable: 50 });
    expect(cluster.writes.at(-1)![3]).toEqual([
      { op: 'test', path: '/metadata/uid', value: 'uid-checkout-web-canary' },
      { op: 'test', path: '/metadata/ownerReferences/0/uid', value: 'rollout-uid' },
      { op: 'test', path: '/metadata/annotations/nginx.ingress.kubernetes.io~1canary', value: 'true' },
      { op: 'add', path: '/metadata/annotations/nginx.ingress.kubernetes.io~1canary-weight', value: '50' },
    ]);
  });

  it('refuses the patch when the object changed under a stale cache (replaced with another uid)', async () => {
    const { router, cluster, canary } = setup();
    await router.apply(intentOf(10));
    const stale = structuredClone(canary());
    cluster.put('Ingress', { ...structuredClone(stale), metadata: { ...stale.metadata, uid: 'someone-else' } });
    const stalely = nginxRouter.create(rolloutWith(), {
      ...cluster.deps,
      cached: (kind, ns, name) => (name === 'checkout-web-canary' ? stale : cluster.deps.cached(kind, ns, name)),
    });
    await expect(stalely.apply(intentOf(50))).rejects.toThrow();
    expect(canary().metadata).toMatchObject({
      uid: 'someone-else',
      annotations: { 'nginx.ingress.kubernetes.io/canary-weight': '10' },
    });
  });

  it('follows the stable Ingress when its hosts or paths change', async () => {
    const { router, cluster, canary } = setup();
    await router.apply(intentOf(10));
    const edited = structuredClone(stableIngress);
    edited.spec.rules[0]!.host = 'shop.example.org';
    cluster.put('Ingress', edited);
    expect(router.differs(intentOf(10))).toBe(true);
    await router.apply(intentOf(10));
    expect(canary()).toMatchObject({ spec: { rules: [{ host: 'shop.example.org' }] } });
  });

  it('is InvalidSpec when an Ingress it does not own has the canary name, and writes nothing', async () => {
    const theirs = { metadata: { name: 'checkout-web-canary', namespace: 'shop' }, spec: { rules: [] } };
    const { router, cluster } = setup(rolloutWith(), [stableIngress, theirs]);
    expect(router.observe()).toMatchObject({
      kind: 'invalid',
      field: 'spec.trafficRouting.nginx.stableIngress',
      message: expect.stringMatching(/not owned by Rollout checkout.*delete or rename it/) as string,
    });
    expect(router.differs(intentOf(10))).toBe(false);
    await expect(router.apply(intentOf(10))).rejects.toThrow(/not owned/);
    expect(cluster.writes).toEqual([]);
  });

  it('is InvalidSpec naming stableIngress when it is missing or has no stable backend', () => {
    expect(setup(rolloutWith(), []).router.observe()).toMatchObject({
      kind: 'invalid',
      field: 'spec.trafficRouting.nginx.stableIngress',
      message: 'Ingress shop/web not found: create it or fix the name',
    });
    const lost = structuredClone(stableIngress);
    lost.spec.rules[0]!.http.paths[0]!.backend.service.name = 'elsewhere';
    expect(setup(rolloutWith(), [lost]).router.observe()).toMatchObject({
      kind: 'invalid',
      field: 'spec.trafficRouting.nginx.stableIngress',
      message: expect.stringContaining(
        'has no path whose backend is the Service checkout-stable: add {path: /',
      ) as string,
    });
  });

  it.each([
    ['example.com/team', /not an ingress-nginx annotation/],
    ['nginx.ingress.kubernetes.io/canary-weight', /is set by Sluice/],
    ['nginx.ingress.kubernetes.io/canary-by-header-value', /is set by Sluice/],
    // A tenant who may edit Rollouts but not Ingresses must not get nginx configuration through Sluice's rights.
    ['nginx.ingress.kubernetes.io/configuration-snippet', /not one ingress-nginx reads on a canary Ingress/],
    ['nginx.ingress.kubernetes.io/server-snippet', /not one ingress-nginx reads on a canary Ingress/],
    ['nginx.ingress.kubernetes.io/auth-url', /not one ingress-nginx reads on a canary Ingress/],
  ])('refuses the additional annotation %s', (key, message) => {
    const { cluster } = setup();
    const { invalid } = routerFor(rolloutWith({ additionalIngressAnnotations: { [key]: 'x' } }), cluster.deps);
    expect(invalid).toMatchObject({
      field: 'spec.trafficRouting.nginx.additionalIngressAnnotations',
      message,
    });
  });

  it('lets an abort take the canary to 0 when the spec became invalid mid-canary, and writes nothing else', async () => {
    // The canary took 30% and a header route; then the spec was edited into one the router cannot carry out.
    const cluster = fakeRouterCluster({ Ingress: ingresses }, [['Ingress', stableIngress]]);
    await nginxRouter.create(rolloutWith(), cluster.deps).apply(intentOf(30, [qa]));
    const bad = rolloutWith({ additionalIngressAnnotations: { 'nginx.ingress.kubernetes.io/server-snippet': 'x' } });
    const { router, invalid } = routerFor(bad, cluster.deps);
    // InvalidSpec names the field, while the observation still reads the split: the planner's abort needs it.
    expect(invalid).toMatchObject({ field: 'spec.trafficRouting.nginx.additionalIngressAnnotations' });
    expect(router!.observe()).toEqual({ kind: 'weights', canary: 30, stable: 70, routes: [qa] });
    await expect(router!.apply(intentOf(40))).rejects.toThrow(/server-snippet/);
    await router!.apply(intentOf(0));
    expect(router!.observe()).toEqual({ kind: 'weights', canary: 0, stable: 100, routes: [] });
    const annotations = (cluster.get('Ingress', 'shop', 'checkout-web-canary') as KubeObject).metadata!.annotations;
    expect(Object.keys(annotations as object).some((k) => k.includes('snippet'))).toBe(false);
  });

  it.each([
    ['nginx.ingress.kubernetes.io/canary-by-cookie', 'a"; more_set_headers "x: y'],
    ['nginx.ingress.kubernetes.io/upstream-hash-by', '$request_uri;\n}\nserver {'],
    ['nginx.ingress.kubernetes.io/load-balance', 'round_robin; lua_code'],
    ['nginx.ingress.kubernetes.io/session-cookie-name', 'a\nb'],
  ])(
    'refuses the value of the additional annotation %s when it is not of the form ingress-nginx takes',
    (key, value) => {
      const { cluster } = setup();
      const { invalid } = routerFor(rolloutWith({ additionalIngressAnnotations: { [key]: value } }), cluster.deps);
      expect(invalid).toMatchObject({
        field: 'spec.trafficRouting.nginx.additionalIngressAnnotations',
        message: expect.stringContaining('has a value ingress-nginx would not take') as string,
      });
      expect(cluster.writes).toEqual([]);
    },
  );

  it.each([
    ['nginx.ingress.kubernetes.io/canary-by-cookie', 'checkout_canary'],
    ['nginx.ingress.kubernetes.io/upstream-hash-by', '$request_uri'],
    ['nginx.ingress.kubernetes.io/load-balance', 'ewma'],
    ['nginx.ingress.kubernetes.io/affinity', 'cookie'],
    ['nginx.ingress.kubernetes.io/session-cookie-max-age', '3600'],
  ])('takes the additional annotation %s: %s', (key, value) => {
    const { cluster } = setup();
    const { router, invalid } = routerFor(
      rolloutWith({ additionalIngressAnnotations: { [key]: value } }),
      cluster.deps,
    );
    expect(invalid).toBeUndefined();
    expect(router!.observe()).toMatchObject({ kind: 'weights' });
  });

  it('sets the header route, reads it back, and removes it with the additional annotations at weight 0', async () => {
    const cookie = { 'nginx.ingress.kubernetes.io/canary-by-cookie': 'canary' };
    const { router, canary } = setup(rolloutWith({ additionalIngressAnnotations: cookie }));
    await router.apply(intentOf(0, [qa]));
    expect(canary().metadata!.annotations).toMatchObject({
      ...cookie,
      'nginx.ingress.kubernetes.io/canary-by-header': 'x-user',
      'nginx.ingress.kubernetes.io/canary-by-header-value': 'qa',
    });
    expect(router.observe()).toEqual({ kind: 'weights', canary: 0, stable: 100, routes: [qa] });
    expect(router.differs(intentOf(0, [qa]))).toBe(false);
    await router.apply(intentOf(0));
    expect(router.observe()).toEqual({ kind: 'weights', canary: 0, stable: 100, routes: [] });
    expect(Object.keys(canary().metadata!.annotations as object).sort()).toEqual([
      'nginx.ingress.kubernetes.io/canary',
      'nginx.ingress.kubernetes.io/canary-weight',
      'nginx.ingress.kubernetes.io/canary-weight-total',
    ]);
  });

  it('is InvalidSpec at the step that puts a second header route in force, or a second match', () => {
    const two = rolloutWith(
      {},
      [
        { setHeaderRoute: { name: 'qa', match: [{ headerName: 'x-user', headerValue: { exact: 'qa' } }] } },
        { setHeaderRoute: { name: 'beta', match: [{ headerName: 'x-beta', headerValue: { exact: '1' } }] } },
      ],
      [{ name: 'qa' }, { name: 'beta' }],
    );
    const invalidOf = (rollout: Rollout) => routerFor(rollout, setup(rollout).cluster.deps).invalid;
    expect(invalidOf(two)).toMatchObject({
      field: 'spec.strategy.canary.steps[1]',
      message: expect.stringContaining('2 in force (qa, beta)') as string,
    });
    const replaced = structuredClone(two);
    replaced.spec.strategy.canary!.steps.splice(1, 0, { setHeaderRoute: { name: 'qa' } });
    expect(invalidOf(replaced)).toBeUndefined();
    const match = [
      { headerName: 'x-user', headerValue: { exact: 'qa' } },
      { headerName: 'x-beta', headerValue: { exact: '1' } },
    ];
    expect(invalidOf(rolloutWith({}, [{ setHeaderRoute: { name: 'qa', match } }], [{ name: 'qa' }]))).toMatchObject({
      field: 'spec.strategy.canary.steps[0].setHeaderRoute.match',
    });
  });
});
