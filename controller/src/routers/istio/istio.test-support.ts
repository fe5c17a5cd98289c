/** A Rollout with the Istio router and an in-memory cluster holding its VirtualService (and DestinationRule). */
import type { Rollout } from '../../api/types.ts';
import type { KubeObject } from '../../kube/objectStore.ts';
import { fakeRouterCluster, routedRollout, servedRef } from '../routerDeps.test-support.ts';
import { istioRouterModule } from './index.ts';

type IstioSpec = NonNullable<NonNullable<Rollout['spec']['trafficRouting']>['istio']>;

export function istioRollout(istio: IstioSpec, spec: Partial<Rollout['spec']> = {}): Rollout {
  const rollout = routedRollout({ istio });
  return { ...rollout, spec: { ...rollout.spec, ...spec } };
}

const resource = (kind: string, plural: string) => servedRef('networking.istio.io', 'v1', kind, plural);
export const served = {
  VirtualService: resource('VirtualService', 'virtualservices'),
  DestinationRule: resource('DestinationRule', 'destinationrules'),
};

/**
 * The router over a cluster holding the given VirtualService spec (and DestinationRule spec), both named checkout;
 * `spec` overrides fields of the Rollout's spec (its steps and managedRoutes).
 */
export function istioWith(
  istio: IstioSpec,
  vsSpec: object | undefined,
  drSpec?: object,
  spec?: Partial<Rollout['spec']>,
) {
  const objects: [string, KubeObject][] = [];
  const meta = { name: 'checkout', namespace: 'shop' };
  if (vsSpec !== undefined) objects.push(['VirtualService', { metadata: meta, spec: vsSpec }]);
  if (drSpec !== undefined) objects.push(['DestinationRule', { metadata: meta, spec: drSpec }]);
  const cluster = fakeRouterCluster(served, objects);
  const router = istioRouterModule.create(istioRollout(istio, spec), cluster.deps);
  const vs = () => cluster.get('VirtualService', 'shop', 'checkout') as unknown as { spec: Record<string, unknown[]> };
  const dr = () => cluster.get('DestinationRule', 'shop', 'checkout') as unknown as { spec: { subsets: object[] } };
  return { router, cluster, vs, dr, patches: () => cluster.writes.map((w) => [w[1], w[3]]) };
}

export const dest = (host: string, weight?: number, subset?: string) => ({
  destination: { host, ...(subset === undefined ? {} : { subset }), port: { number: 80 } },
  ...(weight === undefined ? {} : { weight }),
});
