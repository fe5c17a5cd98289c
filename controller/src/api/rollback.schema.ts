/**
 * Rolling back (issue 16): spec.rollbackWindow, and what status remembers for undo and for the window. A rollback to
 * a revision that was stable a release or two ago need not crawl through the steps again: it was known good. It
 * still has to prove itself now, so the background analysis stays armed, and its failure aborts as for any canary.
 */
import { Type } from 'typebox';
import { object, text, timestamp } from './common.schema.ts';

/** The widest rollback window: status remembers this many previous stable revisions. */
export const maxRollbackWindow = 10;

export const rollbackWindow = object(
  'A new pod template equal to one of the last `revisions` stable revisions before the current stable (an undo, or a revert in Git) is a rollback within the window: its steps are skipped and it goes straight to full size and all traffic. Background analysis (strategy.canary.analysis) still runs, from the start: the rollback becomes stable once every gating metric has had a successful measurement (when every metric is a dry run, once one has taken a measurement: no data is never a pass), and is aborted (traffic back to stable) if the analysis fails. Without background analysis it becomes stable as soon as its pods are ready. Only revisions that were stable count, never a canary that was aborted. Canary only.',
  {
    revisions: Type.Integer({
      description: `How many previous stable revisions (the most recent first) a rollback may skip the steps for, 1 to ${maxRollbackWindow}.`,
      minimum: 1,
      maximum: maxRollbackWindow,
    }),
  },
);

export const previousStableRevisions = Type.Array(text('A revision that was stable.', { maxLength: 63 }), {
  description: `Revisions that were stable before the current one, the most recent last (at most ${maxRollbackWindow}); spec.rollbackWindow looks here.`,
  maxItems: maxRollbackWindow,
});

export const rollbackWithinWindow = Type.Boolean({
  description:
    'The canary revision is a rollback within spec.rollbackWindow: its steps were skipped; it becomes stable once the background analysis has passed.',
});

export const undoStatus = object(
  "An undo being carried out: the decision, recorded before the Deployment's pod template is written. It ends once the Deployment has that template, or when the template changes to anything else first (a newer change wins).",
  {
    revision: text('The revision the Deployment goes back to.', { maxLength: 63 }),
    revisionNumber: Type.Integer({ description: 'Its number, as kubectl sluice history showed it.', minimum: 1 }),
    from: text("The revision of the Deployment's pod template when the undo was asked for.", { maxLength: 63 }),
    requestedAt: timestamp('When the controller acted on the request.'),
    generation: Type.Optional(
      Type.Integer({
        description:
          "The Deployment's metadata.generation when the undo was decided: a Deployment changed since (even back to the same template) is a newer change, and the undo is dropped.",
        format: 'int64',
        minimum: 0,
      }),
    ),
  },
);
