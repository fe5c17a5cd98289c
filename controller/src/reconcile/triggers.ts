/**
 * Which Rollouts to reconcile when an object changes. The informers hand over the object; this maps it to the
 * keys of the Rollouts that read it, so a ReplicaSet becoming ready or a user editing the HTTPRoute wakes exactly
 * the Rollouts concerned and no other.
 */
import { analysesOf } from '../api/steps.ts';
import type { Rollout } from '../api/types.ts';
import { objectKey } from '../kube/objectKey.ts';
import { rolloutLabel } from '../workload/names.ts';
import type { ObjectCache } from './caches.ts';

export type WatchedKind =
  'Rollout' | 'Deployment' | 'ReplicaSet' | 'Service' | 'HTTPRoute' | 'AnalysisTemplate' | 'ClusterAnalysisTemplate';

interface Meta {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
}

export function rolloutKeysFor(kind: WatchedKind, obj: Meta, rollouts: ObjectCache<Rollout>): string[] {
  const namespace = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  const keys = (list: Rollout[]) => list.map((r) => objectKey(r.metadata.namespace, r.metadata.name!));
  const inNamespace = () => rollouts.list(namespace);
  switch (kind) {
    case 'Rollout':
      return [objectKey(namespace, name)];
    case 'ReplicaSet':
    case 'Service': {
      // A deleted object is gone from the cache with its labels; its name still says whose it was.
      const owner = obj.metadata?.labels?.[rolloutLabel] ?? ownerFromName(kind, name);
      return owner === undefined || rollouts.get(namespace, owner) === undefined ? [] : [objectKey(namespace, owner)];
    }
    case 'Deployment':
      return keys(inNamespace().filter((r) => r.spec.workloadRef?.name === name));
    case 'HTTPRoute':
      return keys(inNamespace().filter((r) => r.spec.trafficRouting?.gatewayAPI?.httpRoute === name));
    case 'AnalysisTemplate':
      return keys(inNamespace().filter((r) => uses(r, name, false)));
    case 'ClusterAnalysisTemplate':
      return keys(rollouts.list().filter((r) => uses(r, name, true)));
  }
}

/** `<rollout>-<10 hex>` for ReplicaSets and `<rollout>-stable|canary` for Services (see workload/names.ts). */
function ownerFromName(kind: 'ReplicaSet' | 'Service', name: string): string | undefined {
  const m = kind === 'ReplicaSet' ? /^(.+)-[0-9a-f]{10}$/.exec(name) : /^(.+)-(stable|canary)$/.exec(name);
  return m?.[1];
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
