/** Names and labels of the objects Sluice creates for a Rollout. */
import type { Rollout } from '../api/types.ts';
import { apiVersion } from '../api/types.ts';
import type { V1OwnerReference } from '@kubernetes/client-node';

/** On every pod Sluice runs: which Rollout it belongs to and which revision it is. Services select on both. */
export const rolloutLabel = 'sluice.dev/rollout';
export const revisionLabel = 'sluice.dev/revision';
/** On the Deployment: the replicas its user asked for, recorded when Sluice scaled it to 0. */
export const recordedReplicasAnnotation = 'sluice.dev/replicas';
/**
 * On Sluice's ReplicaSets: the revision number people type (`kubectl sluice undo --to-revision 3`), as
 * `kubectl rollout history` numbers a Deployment's: 1 for the Rollout's first, then one more each, and a revision
 * that comes back (the template set back to it) takes the next number. The lowest are deleted first.
 */
export const revisionNumberAnnotation = 'sluice.dev/revision-number';
/**
 * The largest revision number: the nine digits `undo:N` and `--to-revision` take. The annotation is anyone's to
 * write who may edit ReplicaSets, so a larger one is read as no number at all.
 */
export const maxRevisionNumber = 999_999_999;
/** What revisionNumberAnnotation was called before: still read from the ReplicaSets that carry only it. */
export const sequenceAnnotation = 'sluice.dev/sequence';
/** Holds a deleted Rollout until its Deployment runs the application again. */
export const handoverFinalizer = 'sluice.dev/handover';
/** The field manager of every server-side apply Sluice makes. */
export const fieldManager = 'sluice';

/**
 * The longest Rollout name Sluice can work with. With a workloadRef, the name is the value of the sluice.dev/rollout
 * label on ReplicaSets, pods and Services, and a label value has at most 63 characters. With a service, it is
 * also the start of the Service names <name>-stable and <name>-canary, which are DNS-1035 labels (at most 63,
 * lowercase letters, digits and dashes, starting with a letter): 63 minus the 7 of "-stable" or "-canary".
 */
export const maxNameWithWorkload = 63;
export const maxNameWithService = 63 - '-stable'.length;
/** The names a Rollout with a service may have (the Service names are DNS-1035 labels). */
export const nameWithServicePattern = `^[a-z]([-a-z0-9]{0,${maxNameWithService - 2}}[a-z0-9])?$`;

/**
 * The Service of a role: <rollout>-stable and <rollout>-canary for a canary; for blue-green, the active Service
 * plays stable's part and the preview Service the canary's (the routers point at them the same way).
 */
export function serviceName(rollout: Rollout, role: 'stable' | 'canary'): string {
  const blueGreen = rollout.spec.strategy?.blueGreen;
  if (blueGreen === undefined) return `${rollout.metadata.name}-${role}`;
  // While a new revision is in flight the names its release started with hold (status records them): swapping
  // or renaming them mid-release would point the Service users call at the unchecked revision.
  const { status } = rollout;
  const recorded = status?.canaryRevision !== status?.stableRevision ? status?.blueGreen : undefined;
  const names = recorded?.activeService !== undefined && recorded.previewService !== undefined ? recorded : blueGreen;
  return role === 'stable' ? names.activeService! : names.previewService!;
}

/** On a Service Sluice adopted (it existed before): its selector from before, put back when the Rollout goes. */
export const adoptedSelectorAnnotation = 'sluice.dev/adopted-selector';

export function replicaSetName(rollout: Rollout, revision: string): string {
  return `${rollout.metadata.name}-${revision}`;
}

/** Makes the Rollout the controller of what Sluice creates, so deleting the Rollout cleans it up. */
export function ownedBy(rollout: Rollout): V1OwnerReference[] {
  return [
    {
      apiVersion,
      kind: 'Rollout',
      name: rollout.metadata.name!,
      uid: rollout.metadata.uid!,
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
}
