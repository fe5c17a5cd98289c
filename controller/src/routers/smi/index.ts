/**
 * The SMI router: the backend weights of a TrafficSplit (split.smi-spec.io), at whichever of v1alpha4 to v1alpha1
 * the cluster serves (Open Service Mesh serves v1alpha2, Linkerd's SMI extension v1alpha1 and v1alpha2).
 */
import { readersNamingIt, type RouterModule } from '../router.ts';
import { trafficSplitKind, trafficSplitRouter } from './trafficSplit.ts';

const group = 'split.smi-spec.io';

export const smiRouter: RouterModule = {
  name: 'smi',
  watches: [
    {
      resource: { group, version: 'v1alpha4', plural: 'trafficsplits', kind: trafficSplitKind, namespaced: true },
      versions: ['v1alpha4', 'v1alpha3', 'v1alpha2', 'v1alpha1'],
      readers: readersNamingIt((r) => r.spec.trafficRouting?.smi?.trafficSplitName),
    },
  ],
  rbac: [
    {
      apiGroups: [group],
      resources: ['trafficsplits'],
      verbs: ['list', 'watch', 'create', 'patch'],
      why:
        'The TrafficSplit is read from the cache and only the weights of its -stable and -canary backends are ' +
        'patched, with JSON patches guarded by test operations; with rootService set, Sluice creates it, owned by ' +
        'the Rollout. The list also tells the controller at start which SMI version the cluster serves.',
    },
  ],
  supports: { header: false, mirror: false },
  notServed: 'no SMI TrafficSplit version is served: Rollouts with trafficRouting.smi will report InvalidSpec',
  create: (rollout, deps) => trafficSplitRouter(rollout, deps),
};
