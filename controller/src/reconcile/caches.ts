/** The cached world the reconciler reads: one informer cache per kind, all filled by watches (no API call). */
import type { V1Deployment, V1ReplicaSet, V1Service } from '@kubernetes/client-node';
import type { AnalysisTemplate, ClusterAnalysisTemplate, Rollout } from '../api/types.ts';

export interface ObjectCache<T> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(namespace?: string): T[];
}

export interface Caches {
  rollouts: ObjectCache<Rollout>;
  deployments: ObjectCache<V1Deployment>;
  replicaSets: ObjectCache<V1ReplicaSet>;
  services: ObjectCache<V1Service>;
  httpRoutes: ObjectCache<unknown>;
  analysisTemplates: ObjectCache<AnalysisTemplate>;
  clusterAnalysisTemplates: ObjectCache<ClusterAnalysisTemplate>;
}
