/**
 * Undo: `sluice.dev/action=undo` (the previous revision) or `undo:N` (revision N, as kubectl sluice history numbers
 * them) puts the Deployment's pod template back to that revision's, as `kubectl rollout undo` does for a
 * Deployment. The decision is recorded in status.undo before the executor writes the template (fenced with the
 * Deployment's resourceVersion), so a failed write is written again, and a template changed by someone else in
 * between is never overwritten. From then on the ordinary path runs: the old template is a new canary (a rollback
 * within spec.rollbackWindow skips its steps), or it is stable's and the canary in flight is reverted.
 */
import { actionAnnotation, undoTarget } from '../api/controls.ts';
import type { PlanBuilder } from './builder.ts';
import { numberedHistory } from './revisionNumbers.ts';
import type { ObservedReplicaSet } from './world.ts';

const field = `metadata.annotations[${actionAnnotation}]`;

/**
 * `write: false` while the spec is invalid: the request is resolved and recorded at once, against the template
 * it was asked about, and written once the spec is fixed, unless the template changed meanwhile (a fix shipped
 * with the spec's repair is newer than the request, and "the previous revision" of it would be the one undone).
 */
export function planUndo(b: PlanBuilder, { write = true } = {}): void {
  carryOnPending(b, write);
  const action = b.action;
  if (typeof action !== 'string') return;
  const target = undoTarget(action);
  if (target === undefined) return;
  b.consumeAction();
  const chosen = chooseRevision(b, target);
  if ('refused' in chosen) {
    b.actedOn(action, { refused: true });
    const message = `${field}: ${action}: ${chosen.refused}; nothing was changed`;
    b.event('Warning', 'UndoRefused', message);
    b.condition('ActionRefused', { status: 'True', reason: 'UndoRefused', message });
    return;
  }
  b.actedOn(action);
  const { rs } = chosen;
  b.status.undo = {
    revision: rs.revision,
    revisionNumber: rs.revisionNumber,
    from: b.world.deployment!.templateRevision,
    requestedAt: b.now,
    ...(b.world.deployment!.generation === undefined ? {} : { generation: b.world.deployment!.generation }),
  };
  if (write) b.undoTemplate = { replicaSet: rs.name, revision: rs.revision };
  const when = write ? '' : ' once the spec is fixed, unless the template changes first';
  b.event(
    'Normal',
    'UndoRequested',
    `undo to revision ${rs.revisionNumber} (${rs.revision}): the Deployment's pod template goes back to it${when} (a Git-driven setup must revert in Git too)`,
  );
}

/** An undo decided earlier: written again until the Deployment has the template, dropped if another change came first. */
function carryOnPending(b: PlanBuilder, write: boolean): void {
  const pending = b.status.undo;
  const template = b.world.deployment?.templateRevision;
  if (pending === undefined) return;
  const what = `undo to revision ${pending.revisionNumber} (${pending.revision})`;
  if (template === pending.revision) {
    delete b.status.undo; // done: the Deployment has the template, the canary path takes it from here
    return;
  }
  // The same template at another generation is a newer change that put it back (the undo's write landed, then
  // GitOps self-heal reverted it): written again, the undo would overwrite a change made after its decision.
  const generation = b.world.deployment?.generation;
  const changed = pending.generation !== undefined && generation !== undefined && generation !== pending.generation;
  if (template !== pending.from || changed) {
    delete b.status.undo;
    b.event(
      'Warning',
      'UndoSuperseded',
      template !== pending.from
        ? `${what} dropped: the Deployment's pod template changed to ${template ?? 'nothing (the Deployment is gone)'} before it was written, and the newer change wins`
        : `${what} dropped: the Deployment changed (generation ${pending.generation} to ${generation}) after it was decided, and the newer change wins`,
    );
    return;
  }
  const rs = b.world.replicaSets.find((r) => r.revision === pending.revision);
  if (rs === undefined) {
    delete b.status.undo;
    b.event('Warning', 'UndoRefused', `${what} dropped: its ReplicaSet was deleted before its template was written`);
    return;
  }
  if (write) b.undoTemplate = { replicaSet: rs.name, revision: rs.revision };
}

function chooseRevision(b: PlanBuilder, target: number | 'previous'): { rs: ObservedReplicaSet } | { refused: string } {
  const d = b.world.deployment;
  if (d === undefined)
    return { refused: 'undo needs spec.workloadRef: a flag-only Rollout has no pod template to go back to' };
  const history = numberedHistory(b.world.replicaSets);
  const kept = history.map((rs) => rs.revisionNumber).join(', ') || 'none';
  const see = `kubectl sluice history ${b.world.rollout.metadata.name} lists the revisions kept (spec.revisionHistoryLimit)`;
  if (target === 'previous') {
    const rs = history.find((r) => r.revision !== d.templateRevision);
    return rs !== undefined
      ? { rs }
      : { refused: `there is no earlier revision to go back to (kept: ${kept}); ${see}` };
  }
  const rs = history.find((r) => r.revisionNumber === target);
  if (rs === undefined) return { refused: `there is no revision ${target} (kept: ${kept}); ${see}` };
  if (rs.revision === d.templateRevision)
    return {
      refused: `revision ${target} is the current one (the Deployment's pod template is ${rs.revision}): name an earlier one; ${see}`,
    };
  return { rs };
}
