/**
 * Old ReplicaSets: each release leaves the previous stable revision's ReplicaSet at 0 replicas. A few are kept,
 * so that `kubectl get rs` shows what ran before and a revert to a recent template finds its ReplicaSet; the
 * ones beyond spec.revisionHistoryLimit are deleted, oldest first, as Deployments and Argo Rollouts do. Without
 * a limit they would pile up with every release, in etcd and in the controller's cache.
 */
import type { PlanBuilder } from './builder.ts';

export const defaultRevisionHistoryLimit = 10;

export function planOldReplicaSets(b: PlanBuilder): void {
  const limit = b.world.rollout.spec.revisionHistoryLimit ?? defaultRevisionHistoryLimit;
  // Anything with a role or a pod stays: the stable and canary revisions, whatever the plan scales up, and a
  // ReplicaSet whose pods are still stopping (deleting it would orphan nothing, but would hide them).
  const inUse = new Set([
    b.status.stableRevision,
    b.status.canaryRevision,
    ...b.replicaSets.filter((d) => d.replicas > 0).map((d) => d.revision),
  ]);
  const old = b.world.replicaSets
    .filter((rs) => !inUse.has(rs.revision) && rs.replicas === 0 && rs.pods === 0)
    .sort(
      (x, y) =>
        y.revisionNumber - x.revisionNumber || y.createdAt.localeCompare(x.createdAt) || x.name.localeCompare(y.name),
    );
  b.deleteReplicaSets = old.slice(limit).map((rs) => rs.name);
}
