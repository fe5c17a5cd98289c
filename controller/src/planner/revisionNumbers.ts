/**
 * Revision numbers: the order in which revisions became the Deployment's pod template, as a Deployment numbers its
 * ReplicaSets for `kubectl rollout history`. The ReplicaSet of the current template always has the highest number:
 * a new one is created with the next, and an old one the template came back to (an undo, a revert) takes the next,
 * so that "the previous revision" is always the template before this one, and numbers never repeat.
 */
import type { PlanBuilder } from './builder.ts';
import type { ObservedReplicaSet } from './world.ts';

export function highestRevisionNumber(sets: readonly ObservedReplicaSet[]): number {
  return sets.reduce((max, rs) => Math.max(max, rs.revisionNumber), 0);
}

/** Decides the number of the current template's ReplicaSet; the executor writes it (on creation, or as a patch). */
export function planRevisionNumber(b: PlanBuilder): void {
  const d = b.world.deployment;
  if (d === undefined) return; // a flag-only Rollout has no ReplicaSet
  const sets = b.world.replicaSets;
  const highest = highestRevisionNumber(sets);
  const current = sets.find((rs) => rs.revision === d.templateRevision);
  const alone = sets.filter((rs) => rs.revisionNumber === highest).length === 1;
  if (current !== undefined && current.revisionNumber > 0 && current.revisionNumber === highest && alone) return;
  b.revisionNumber = { revision: d.templateRevision, number: highest + 1 };
}

/** The ReplicaSets with a number, newest first: the history `kubectl sluice history` shows and undo chooses from. */
export function numberedHistory(sets: readonly ObservedReplicaSet[]): ObservedReplicaSet[] {
  return sets.filter((rs) => rs.revisionNumber > 0).sort((x, y) => y.revisionNumber - x.revisionNumber);
}
