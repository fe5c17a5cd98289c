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
import { rolloutLabel } from '../workload/names.ts';
import type { PodSummary } from './pods.ts';

export interface ObjectCache<T> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(namespace?: string): T[];
  /**
   * False until the cache's first list is in (an informer's hasSynced): until then its emptiness means "not listed
   * yet", not "none". Absent for a cache that is never listed (a kind not served: empty is the truth).
   */
  hasSynced?: () => boolean;
  /**
   * The objects of a namespace whose index value is `value` (the informer's indexBy, wired in controller.ts: the
   * Rollouts by indexRollout, the ReplicaSets by indexReplicaSet); undefined, or absent, for a cache kept without
   * an index. Read it through listMatching, which falls back to list() and always applies its own test.
   */
  listIndexed?(namespace: string | undefined, value: string): T[] | undefined;
}

/** The Rollouts' index: the Deployment a Rollout runs (spec.workloadRef.name). */
export const indexRollout = (r: KubeObject): string | undefined => {
  // Read as the user wrote it: the cache holds Rollouts that fail validation too.
  const name: unknown = (r.spec as { workloadRef?: { name?: unknown } } | undefined)?.workloadRef?.name;
  return typeof name === 'string' ? name : undefined;
};

/** The ReplicaSets' index: the Rollout that made one (its sluice.dev/rollout label). */
export const indexReplicaSet = (rs: KubeObject): string | undefined => {
  const name: unknown = (rs.metadata?.labels as Record<string, unknown> | undefined)?.[rolloutLabel];
  return typeof name === 'string' ? name : undefined;
};

/**
 * The objects of `namespace` for which `matches` holds, where `value` is the index value every one of them has: read
 * from the cache's index when it keeps one, else from the whole namespace. `matches` is applied either way, so the
 * index only narrows what is tested, and a cache kept without an index (a test's) gives the same answer.
 */
export function listMatching<T>(
  cache: ObjectCache<T>,
  namespace: string | undefined,
  value: string,
  matches: (obj: T) => boolean,
): T[] {
  return (cache.listIndexed?.(namespace, value) ?? cache.list(namespace)).filter(matches);
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
