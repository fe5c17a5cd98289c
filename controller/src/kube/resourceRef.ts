/**
 * Where a kind lives in the API server: group, version, plural and scope, which is all an informer needs to list
 * and watch it. The Sluice kinds are built from api/resources.ts (kind, plural, scope) and api/types.ts (group,
 * version) by whoever wires the informers; the others are fixed by Kubernetes and the Gateway API.
 */

export interface ResourceRef {
  /** '' for the core group (Services, ConfigMaps). */
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export const deploymentsRef: ResourceRef = {
  group: 'apps',
  version: 'v1',
  plural: 'deployments',
  kind: 'Deployment',
  namespaced: true,
};
export const replicaSetsRef: ResourceRef = {
  group: 'apps',
  version: 'v1',
  plural: 'replicasets',
  kind: 'ReplicaSet',
  namespaced: true,
};
export const servicesRef: ResourceRef = {
  group: '',
  version: 'v1',
  plural: 'services',
  kind: 'Service',
  namespaced: true,
};
export const autoscalersRef: ResourceRef = {
  group: 'autoscaling',
  version: 'v2',
  plural: 'horizontalpodautoscalers',
  kind: 'HorizontalPodAutoscaler',
  namespaced: true,
};
export const podDisruptionBudgetsRef: ResourceRef = {
  group: 'policy',
  version: 'v1',
  plural: 'poddisruptionbudgets',
  kind: 'PodDisruptionBudget',
  namespaced: true,
};
export const podsRef: ResourceRef = {
  group: '',
  version: 'v1',
  plural: 'pods',
  kind: 'Pod',
  namespaced: true,
};
export const configMapsRef: ResourceRef = {
  group: '',
  version: 'v1',
  plural: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
};
export const leasesRef: ResourceRef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  kind: 'Lease',
  namespaced: true,
};
export const httpRoutesRef: ResourceRef = {
  group: 'gateway.networking.k8s.io',
  version: 'v1',
  plural: 'httproutes',
  kind: 'HTTPRoute',
  namespaced: true,
};

export function apiVersionOf(ref: ResourceRef): string {
  return ref.group === '' ? ref.version : `${ref.group}/${ref.version}`;
}

/** The collection's URL path, in one namespace or across all of them. */
export function collectionPath(ref: ResourceRef, namespace?: string): string {
  const root = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  if (namespace === undefined) return `${root}/${ref.plural}`;
  if (!ref.namespaced) throw new Error(`${ref.kind} is cluster-scoped: it cannot be listed in namespace ${namespace}`);
  return `${root}/namespaces/${encodeURIComponent(namespace)}/${ref.plural}`;
}
