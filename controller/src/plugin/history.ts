/**
 * `kubectl sluice history`: the revisions a Rollout keeps (its ReplicaSets), by the number undo takes, newest first,
 * as `kubectl rollout history` lists a Deployment's. Pure, so testable; every string from the cluster is made
 * printable on its way in.
 */
import type { V1ReplicaSet } from '@kubernetes/client-node';
import type { Rollout } from '../api/types.ts';
import { maxRevisionNumber, revisionLabel } from '../workload/names.ts';
import { revisionNumberOf } from '../workload/objects.ts';
import { columns, printable } from './terminalText.ts';

export interface RevisionLine {
  /** 0 for a ReplicaSet made before Sluice numbered them (undo cannot name it). */
  number: number;
  revision: string;
  replicas: number;
  ready: number;
}

export function revisionLines(sets: readonly V1ReplicaSet[]): RevisionLine[] {
  return sets
    .map((rs) => ({
      number: revisionNumberOf(rs),
      revision: printable(rs.metadata?.labels?.[revisionLabel] ?? ''),
      replicas: rs.spec?.replicas ?? 0,
      ready: rs.status?.readyReplicas ?? 0,
    }))
    .sort((x, y) => y.number - x.number || x.revision.localeCompare(y.revision));
}

/**
 * The number of the revision before the Deployment's current template (`templateRevision`), as the controller
 * takes a plain `undo`: the newest numbered one that is not the current template (the largest number is no number,
 * as the planner counts). `kubectl sluice undo` names it (undo:N), so that two engineers who each ask for undo at
 * once converge on one revision, where two plain `undo`s taken one after the other would toggle back.
 */
export function previousRevisionNumber(lines: readonly RevisionLine[], templateRevision: string): number | undefined {
  return lines.find((l) => l.number > 0 && l.number < maxRevisionNumber && l.revision !== templateRevision)?.number;
}

/** What a revision is to the Rollout now: stable, the canary, a stable one of before (within reach of rollbackWindow). */
function roleOf(r: Rollout, revision: string): string {
  const s = r.status ?? {};
  const roles: string[] = [];
  if (revision === s.stableRevision) roles.push('stable');
  if (revision === s.canaryRevision && revision !== s.stableRevision)
    roles.push(s.rollbackWithinWindow === true ? 'canary (rollback within window)' : 'canary');
  if (revision === s.canaryRevision && s.abort === true) roles.push('aborted');
  if ((s.previousStableRevisions ?? []).includes(revision)) roles.push('was stable');
  return roles.join(', ');
}

export function historyTable(r: Rollout, lines: readonly RevisionLine[]): string {
  if (lines.length === 0) return `No revisions of rollout ${printable(r.metadata.name ?? '')} found.`;
  const head = ['REVISION', 'POD-TEMPLATE', 'PODS', 'ROLE'];
  const rows = lines.map((l) => [
    l.number === 0 ? '-' : String(l.number),
    l.revision,
    `${l.ready}/${l.replicas}`,
    roleOf(r, l.revision),
  ]);
  return columns(head, rows);
}

/** The one line `kubectl sluice status` shows: "3 abc123 (stable), 2 def456, 1 0a1b2c (was stable)". */
export function revisionsSummary(r: Rollout, lines: readonly RevisionLine[]): string {
  return lines
    .map((l) => {
      const role = roleOf(r, l.revision);
      return `${l.number === 0 ? '-' : l.number} ${l.revision}${role === '' ? '' : ` (${role})`}`;
    })
    .join(', ');
}
