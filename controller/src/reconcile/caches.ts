/**
 * The cached world the reconciler reads: one informer cache per kind, all filled by watches (no API call). The
 * built-in kinds are kept projected to the fields Sluice reads (projection.ts): a reader needing another field adds
 * it there, with a test that shows it kept.
 */
import type {
  V1Deployment,
  V1PodDisruptionBudget,
  V1ReplicaSet,
  V1Service,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { AnalysisTemplate, ClusterAnalysisTemplate, Rollout } from '../api/types.ts';
import type { KubeObject } from '../kube/objectStore.ts';
import type { PodSummary } from './pods.ts';

export interface ObjectCache<T> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(namespace?: string): T[];
  /**
   * False until the cache's first list is in (an informer's hasSynced): until then its emptiness means "not listed
   * yet", not "none". Absent for a cache that is never listed (a kind not served: empty is the truth).
   */
  hasSynced?: () => boolean;
}

export interface Caches {
  rollouts: ObjectCache<Rollout>;
  deployments: ObjectCache<V1Deployment>;
  replicaSets: ObjectCache<V1ReplicaSet>;
  services: ObjectCache<V1Service>;
  /**
   * Sluice's pods (labelled sluice.dev/rollout), projected to the few fields a restart reads (pods.ts); undefined
   * when RBAC does not let the controller list pods (restarts then say so, and wait).
   */
  pods: ObjectCache<PodSummary> | undefined;
  /** The PodDisruptionBudgets Sluice keeps for Rollouts (spec.pdb). */
  podDisruptionBudgets: ObjectCache<V1PodDisruptionBudget>;
  /** HorizontalPodAutoscalers, to say so when one still targets a Deployment that Sluice runs (empty if not allowed). */
  autoscalers: ObjectCache<V2HorizontalPodAutoscaler>;
  /** The traffic routers' kinds (HTTPRoute, VirtualService, ...) by kind; a kind not served has an empty cache. */
  routed: ReadonlyMap<string, ObjectCache<KubeObject>>;
  analysisTemplates: ObjectCache<AnalysisTemplate>;
  clusterAnalysisTemplates: ObjectCache<ClusterAnalysisTemplate>;
}
