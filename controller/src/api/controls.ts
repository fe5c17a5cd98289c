/**
 * Manual controls that work with plain kubectl. Pause and resume are a state, so they are `spec.paused` (like a
 * Deployment's). Promote, abort, retry and undo are one-off requests, so they are the annotation `sluice.dev/action`:
 *
 *   kubectl annotate rollout checkout sluice.dev/action=promote --overwrite
 *   kubectl annotate rollout checkout sluice.dev/action=undo:3 --overwrite
 *
 * The controller first records what it did with the request in status (with `status.handledAction`), then removes
 * the annotation (a JSON Patch that tests the value, so a newer, different request is never lost). A request is
 * never dropped (an abort survives any failure after it was read), and never acted on twice: a reconcile that
 * finds the annotation still there and `handledAction` naming it only removes it, so a promote never skips two
 * steps.
 */

export const actionAnnotation = 'sluice.dev/action';

/** What each request does, in the words of the docs. */
export const manualActions = {
  promote: 'end the current step (a pause, or an analysis still running) and go on to the next',
  'promote-full': 'skip the remaining steps and make the canary the new stable',
  abort: 'move all traffic back to stable now and scale the canary down after abortScaleDownDelaySeconds',
  retry: 'start an aborted canary again from the first step',
  undo: "put the Deployment's pod template back to the previous revision (undo:<N>: to revision N of kubectl sluice history)",
} as const;

/** An undo to revision N, as `kubectl sluice history` numbers them: the value `undo:N` of the annotation. */
export type UndoToRevision = `undo:${number}`;

/** Which request: the value of the annotation. The request text is its identity (status.handledAction quotes it). */
export type ManualAction = keyof typeof manualActions | UndoToRevision;

export type ActionRequest =
  { kind: 'none' } | { kind: 'action'; action: ManualAction } | { kind: 'invalid'; field: string; message: string };

/** The revision an undo request names: 'previous' for a plain `undo`; undefined for any other request. */
export function undoTarget(action: ManualAction): number | 'previous' | undefined {
  if (action === 'undo') return 'previous';
  return action.startsWith('undo:') ? Number(action.slice('undo:'.length)) : undefined;
}

function isManualAction(value: string): value is ManualAction {
  return Object.hasOwn(manualActions, value);
}

const field = `metadata.annotations[${actionAnnotation}]`;

/** The value as a message quotes it: enough to recognise, never a pasted manifest (status messages are bounded). */
function quoted(value: string): string {
  return JSON.stringify(value.length <= 64 ? value : `${value.slice(0, 63)}…`);
}

/** Reads the pending manual request from a Rollout's annotations. */
export function readActionRequest(annotations: Readonly<Record<string, string>> | undefined): ActionRequest {
  const value = annotations?.[actionAnnotation];
  if (value === undefined) return { kind: 'none' };
  const action = value.trim();
  if (isManualAction(action)) return { kind: 'action', action };
  if (action.startsWith('undo:')) {
    const revision = action.slice('undo:'.length).trim();
    // Digits only: Number() would also take "0x10", "1e3" or " ", none of which kubectl sluice history shows.
    if (/^[1-9][0-9]{0,8}$/.test(revision)) return { kind: 'action', action: `undo:${Number(revision)}` };
    return {
      kind: 'invalid',
      field,
      message: `undo to ${quoted(revision)}: the revision is a number as kubectl sluice history lists them (undo:3), or plain undo for the previous one`,
    };
  }
  return {
    kind: 'invalid',
    field,
    message: `unknown action ${quoted(value)}: use one of ${Object.keys(manualActions).join(', ')}, undo:<revision>`,
  };
}
