/** Names and labels of the objects Sluice creates for a Rollout. */
import type { Rollout } from '../api/types.ts';
import { apiVersion } from '../api/types.ts';
import type { V1OwnerReference } from '@kubernetes/client-node';

/** On every pod Sluice runs: which Rollout it belongs to and which revision it is. Services select on both. */
export const rolloutLabel = 'sluice.dev/rollout';
export const revisionLabel = 'sluice.dev/revision';
/** On the Deployment: the replicas its user asked for, recorded when Sluice scaled it to 0. */
export const recordedReplicasAnnotation = 'sluice.dev/replicas';
/** On Sluice's ReplicaSets: 1 for the Rollout's first, then one more each; the lowest are deleted first. */
export const sequenceAnnotation = 'sluice.dev/sequence';
/** Holds a deleted Rollout until its Deployment runs the application again. */
export const handoverFinalizer = 'sluice.dev/handover';
/** The field manager of every server-side apply Sluice makes. */
export const fieldManager = 'sluice';

export function serviceName(rollout: Rollout, role: 'stable' | 'canary'): string {
  return `${rollout.metadata.name}-${role}`;
}

export function replicaSetName(rollout: Rollout, revision: string): string {
  return `${rollout.metadata.name}-${revision}`;
}

/** Makes the Rollout the controller of what Sluice creates, so deleting the Rollout cleans it up. */
export function ownedBy(rollout: Rollout): V1OwnerReference[] {
  return [{ apiVersion, kind: 'Rollout', name: rollout.metadata.name!, uid: rollout.metadata.uid!, controller: true, blockOwnerDeletion: true }];
}
