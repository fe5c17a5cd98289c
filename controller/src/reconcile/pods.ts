/**
 * The Rollout's pods as the cache keeps them: only what a restart (spec.restartAt) reads. A pod as the API server
 * sends it is several kilobytes (its whole spec, managed fields, container statuses); a Rollout of 500 pods would
 * hold megabytes for five fields. The informer projects each one as it arrives (kube/informer.ts `project`), so
 * the rest is never kept, and the informer lists only pods labelled sluice.dev/rollout (those of Sluice's
 * ReplicaSets).
 */
import type { KubeObject } from '../kube/objectStore.ts';
import type { ObservedPod } from '../planner/world.ts';
import { revisionLabel, rolloutLabel } from '../workload/names.ts';

/** What the cache keeps of a pod. */
export interface PodSummary extends KubeObject {
  metadata: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    /** The ReplicaSet that controls it, by uid: only the Rollout's own ReplicaSets' pods are restarted. */
    controllerUid?: string;
  };
  ready: boolean;
}

interface PodJson extends KubeObject {
  metadata?: KubeObject['metadata'] & {
    uid?: string;
    creationTimestamp?: unknown;
    deletionTimestamp?: unknown;
    labels?: Record<string, string>;
    ownerReferences?: { uid?: string; controller?: boolean }[];
  };
  status?: { conditions?: { type?: string; status?: string }[] };
}

/** Projects a pod (or a watch bookmark, which has only a resourceVersion) to a PodSummary. */
export function summarizePod(obj: KubeObject): PodSummary {
  const pod = obj as PodJson;
  const m = pod.metadata ?? {};
  const labels: Record<string, string> = {};
  for (const label of [rolloutLabel, revisionLabel]) {
    const value = m.labels?.[label];
    if (value !== undefined) labels[label] = value;
  }
  const controllerUid = m.ownerReferences?.find((o) => o.controller === true)?.uid;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(m.name === undefined ? {} : { name: m.name }),
      ...(m.namespace === undefined ? {} : { namespace: m.namespace }),
      ...(m.resourceVersion === undefined ? {} : { resourceVersion: m.resourceVersion }),
      ...(m.uid === undefined ? {} : { uid: m.uid }),
      ...optionalTime('creationTimestamp', m.creationTimestamp),
      ...optionalTime('deletionTimestamp', m.deletionTimestamp),
      labels,
      ...(controllerUid === undefined ? {} : { controllerUid }),
    },
    ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
  };
}

function optionalTime(field: string, value: unknown): Record<string, string> {
  if (typeof value === 'string') return { [field]: value };
  return value instanceof Date ? { [field]: value.toISOString() } : {};
}

/** The pods of the given ReplicaSets (by uid), as the planner sees them. */
export function observePods(pods: readonly PodSummary[], replicaSetUids: ReadonlySet<string>): ObservedPod[] {
  return pods
    .filter((p) => p.metadata.controllerUid !== undefined && replicaSetUids.has(p.metadata.controllerUid))
    .map((p) => ({
      name: p.metadata.name ?? '',
      uid: p.metadata.uid ?? '',
      revision: p.metadata.labels?.[revisionLabel] ?? '',
      createdAt: p.metadata.creationTimestamp ?? '',
      ready: p.ready,
      deleting: p.metadata.deletionTimestamp !== undefined,
    }));
}
