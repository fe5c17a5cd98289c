/**
 * Revision numbers: the order in which revisions became the Deployment's pod template, as a Deployment numbers its
 * ReplicaSets for `kubectl rollout history`. The ReplicaSet of the current template always has the highest number:
 * a new one is created with the next, and an old one the template came back to (an undo, a revert) takes the next,
 * so that "the previous revision" is always the template before this one, and numbers never repeat.
 */
import { maxRevisionNumber } from '../workload/names.ts';
import type { PlanBuilder } from './builder.ts';
import type { ObservedReplicaSet } from './world.ts';

/**
 * The number of `rs` the planner goes by; 0 (none) for the largest one undo can name and anything above: a forged
 * annotation there would push the next number past what undo:N names, or past what reads back as a number.
 */
function numberOf(rs: ObservedReplicaSet): number {
  return rs.revisionNumber < maxRevisionNumber ? rs.revisionNumber : 0;
}

export function highestRevisionNumber(sets: readonly ObservedReplicaSet[]): number {
  return sets.reduce((max, rs) => Math.max(max, numberOf(rs)), 0);
}

/** Decides the number of the current template's ReplicaSet; the executor writes it (on creation, or as a patch). */
export function planRevisionNumber(b: PlanBuilder): void {
  const d = b.world.deployment;
  if (d === undefined) return; // a flag-only Rollout has no ReplicaSet
  const sets = b.world.replicaSets;
  const highest = highestRevisionNumber(sets);
  const current = sets.find((rs) => rs.revision === d.templateRevision);
  const alone = sets.filter((rs) => numberOf(rs) === highest).length === 1;
  if (current !== undefined && numberOf(current) > 0 && numberOf(current) === highest && alone) return;
  b.revisionNumber = { revision: d.templateRevision, number: highest + 1 };
}

/** The ReplicaSets with a number, newest first: the history `kubectl sluice history` shows and undo chooses from. */
export function numberedHistory(sets: readonly ObservedReplicaSet[]): ObservedReplicaSet[] {
  return sets.filter((rs) => numberOf(rs) > 0).sort((x, y) => y.revisionNumber - x.revisionNumber);
}
