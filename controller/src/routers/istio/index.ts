/**
 * The Istio router: the destination weights of the user's VirtualService (networking.istio.io), host-based or,
 * with a DestinationRule, subset-based; header and mirror routes as HTTP routes Sluice adds before the split.
 */
import type { Rollout } from '../../api/types.ts';
import { readersNamingIt, type RouterModule } from '../router.ts';
import { istioRouter } from './istioRouter.ts';

const group = 'networking.istio.io';
// Istio serves its networking kinds at v1 since 1.22; older installations only at v1beta1 or v1alpha3.
const versions = ['v1', 'v1beta1', 'v1alpha3'] as const;

const istioOf = (r: Rollout) => r.spec.trafficRouting?.istio;

export const istioRouterModule: RouterModule = {
  name: 'istio',
  watches: [
    {
      resource: { group, version: 'v1', plural: 'virtualservices', kind: 'VirtualService', namespaced: true },
      versions,
      readers: readersNamingIt((r) => istioOf(r)?.virtualService),
    },
    {
      resource: { group, version: 'v1', plural: 'destinationrules', kind: 'DestinationRule', namespaced: true },
      versions,
      readers: readersNamingIt((r) => istioOf(r)?.destinationRule?.name),
    },
  ],
  rbac: [
    {
      apiGroups: [group],
      resources: ['virtualservices', 'destinationrules'],
      verbs: ['list', 'watch', 'patch'],
      why:
        "The user's VirtualService is read from the cache and only its destination weights and Sluice's managed " +
        'HTTP routes (named sluice.<rollout>.<route>) are patched; of a DestinationRule, only the revision label of ' +
        'the stable and canary subsets. Every patch is a JSON patch guarded by test operations. The list also tells ' +
        'the controller at start whether Istio is installed.',
    },
  ],
  supports: { header: true, mirror: true },
  notServed:
    'Istio is not installed (no VirtualService kind): Rollouts with trafficRouting.istio will report InvalidSpec',
  create: (rollout, deps) => istioRouter(rollout, deps),
};
