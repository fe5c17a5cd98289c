/**
 * The ReplicaSets and Services Sluice runs for a Rollout, built from the Deployment's pod template. Sluice owns
 * the ReplicaSets (one per revision), so promotion keeps the canary's pods: its ReplicaSet simply grows.
 */
import type { V1Deployment, V1ReplicaSet, V1Service } from '@kubernetes/client-node';
import type { Rollout } from '../api/types.ts';
import {
  maxRevisionNumber,
  ownedBy,
  replicaSetName,
  revisionLabel,
  revisionNumberAnnotation,
  rolloutLabel,
  sequenceAnnotation,
  serviceName,
} from './names.ts';

export function buildReplicaSet(
  rollout: Rollout,
  deployment: V1Deployment,
  revision: string,
  replicas: number,
  revisionNumber: number,
): V1ReplicaSet {
  const template = structuredClone(deployment.spec!.template);
  const labels = { ...template.metadata?.labels, [rolloutLabel]: rollout.metadata.name!, [revisionLabel]: revision };
  const selector = deployment.spec!.selector;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: replicaSetName(rollout, revision),
      namespace: rollout.metadata.namespace!,
      labels: { [rolloutLabel]: rollout.metadata.name!, [revisionLabel]: revision },
      // Release order, for undo and for deleting the oldest first: creationTimestamp has whole seconds only.
      annotations: { [revisionNumberAnnotation]: String(revisionNumber) },
      ownerReferences: ownedBy(rollout),
    },
    spec: {
      replicas,
      minReadySeconds: deployment.spec!.minReadySeconds,
      // The Deployment's selector narrowed to this revision, so two revisions never claim each other's pods.
      selector: {
        matchLabels: { ...selector.matchLabels, [rolloutLabel]: rollout.metadata.name!, [revisionLabel]: revision },
        ...(selector.matchExpressions === undefined ? {} : { matchExpressions: selector.matchExpressions }),
      },
      template: { ...template, metadata: { ...template.metadata, labels } },
    },
  };
}

/**
 * Whether `rs` is one Sluice made for `rollout`: the Rollout label, an owner reference to this Rollout (by uid) and
 * the name buildReplicaSet gives its revision. Anyone who may create ReplicaSets in the namespace can copy the
 * labels and the owner reference, never the name of a revision Sluice's own already holds; one under any other
 * name (or with no revision label) is not Sluice's, and is never counted, scaled, numbered, undone from or pruned.
 * The planner (reconcile/observe.ts), the executor and kubectl sluice all read a Rollout's ReplicaSets through it.
 */
export function isSluiceReplicaSet(rollout: Rollout, rs: V1ReplicaSet): boolean {
  const labels = rs.metadata?.labels;
  const revision = labels?.[revisionLabel];
  return (
    revision !== undefined &&
    revision !== '' &&
    labels?.[rolloutLabel] === rollout.metadata.name &&
    rs.metadata?.name === replicaSetName(rollout, revision) &&
    rs.metadata.ownerReferences?.some((o) => o.uid === rollout.metadata.uid) === true
  );
}

/** A ReplicaSet's revision number (revisionNumberAnnotation); 0 for one made before Sluice numbered them. */
export function revisionNumberOf(rs: V1ReplicaSet): number {
  const annotations = rs.metadata?.annotations;
  const n = Number(annotations?.[revisionNumberAnnotation] ?? annotations?.[sequenceAnnotation]);
  return Number.isInteger(n) && n > 0 && n <= maxRevisionNumber ? n : 0;
}

export function buildService(rollout: Rollout, role: 'stable' | 'canary', revision: string): V1Service {
  const port = rollout.spec.service!;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: serviceName(rollout, role),
      namespace: rollout.metadata.namespace!,
      labels: { [rolloutLabel]: rollout.metadata.name! },
      ownerReferences: ownedBy(rollout),
    },
    spec: {
      selector: { [rolloutLabel]: rollout.metadata.name!, [revisionLabel]: revision },
      ports: [{ name: 'http', port: port.port, targetPort: port.targetPort ?? port.port, protocol: 'TCP' }],
    },
  };
}
