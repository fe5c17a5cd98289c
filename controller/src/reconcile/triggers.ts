/**
 * Which Rollouts to reconcile when an object changes. The informers hand over the object (as it was last, when it
 * was deleted); this maps it to the keys of the Rollouts that read it, so a ReplicaSet becoming ready or a user
 * editing the route wakes exactly the Rollouts concerned and no other.
 */
import { restartPending } from '../api/restartAt.ts';
import { analysesOf } from '../api/steps.ts';
import type { Rollout } from '../api/types.ts';
import { objectKey } from '../kube/objectKey.ts';
import type { KubeObject } from '../kube/objectStore.ts';
import { routerReaders } from '../routers/registry.ts';
import { rolloutLabel } from '../workload/names.ts';
import { listMatching, type ObjectCache } from './caches.ts';

/** Sluice's own kinds and the workload's; any other kind is a traffic router's (routers/registry.ts). */
export type WatchedKind =
  | 'Rollout'
  | 'Deployment'
  | 'ReplicaSet'
  | 'Service'
  | 'Pod'
  | 'HorizontalPodAutoscaler'
  | 'AnalysisTemplate'
  | 'ClusterAnalysisTemplate'
  | (string & {});

export function rolloutKeysFor(kind: WatchedKind, obj: KubeObject, rollouts: ObjectCache<Rollout>): string[] {
  const namespace = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  const keys = (list: Rollout[]) => list.map((r) => objectKey(r.metadata.namespace, r.metadata.name!));
  const inNamespace = () => rollouts.list(namespace);
  const runningDeployment = (deployment: string) =>
    listMatching(rollouts, namespace, deployment, (r) => r.spec?.workloadRef?.name === deployment);
  switch (kind) {
    case 'Rollout':
      return [objectKey(namespace, name)];
    case 'ReplicaSet':
    case 'Service': {
      const labels = obj.metadata?.labels as Record<string, string> | undefined;
      const owner = labels?.[rolloutLabel];
      return owner === undefined || rollouts.get(namespace, owner) === undefined ? [] : [objectKey(namespace, owner)];
    }
    case 'Pod': {
      // A pod going or becoming ready matters only to a restart in progress (spec.restartAt not done yet): the
      // other Rollouts read their ReplicaSets' counts, which change too.
      const owner = (obj.metadata?.labels as Record<string, string> | undefined)?.[rolloutLabel];
      const rollout = owner === undefined ? undefined : rollouts.get(namespace, owner);
      return rollout === undefined || !restartPending(rollout.spec.restartAt, rollout.status)
        ? []
        : [objectKey(namespace, owner!)];
    }
    case 'Deployment':
      return keys(runningDeployment(name));
    case 'HorizontalPodAutoscaler': {
      const target = (obj as { spec?: { scaleTargetRef?: { kind?: string; name?: string } } }).spec?.scaleTargetRef;
      // One moved onto the Rollout (as AutoscalerOnDeployment asks) wakes it too, so that the condition goes.
      if (target?.kind === 'Rollout') return keys(inNamespace().filter((r) => r.metadata.name === target.name));
      if (target?.kind !== 'Deployment') return [];
      return keys(typeof target.name === 'string' ? runningDeployment(target.name) : []);
    }
    case 'AnalysisTemplate':
      return keys(inNamespace().filter((r) => uses(r, name, false)));
    case 'ClusterAnalysisTemplate':
      return keys(rollouts.list().filter((r) => uses(r, name, true)));
    default:
      return keys(routerReaders(kind, obj, inNamespace()));
  }
}

function uses(rollout: Rollout, template: string, clusterScope: boolean): boolean {
  try {
    return analysesOf(rollout.spec).some((a) =>
      a.templates.some((t) => t.templateName === template && t.clusterScope === clusterScope),
    );
  } catch {
    return true; // a spec that cannot be read is reconciled anyway, to report why
  }
}
