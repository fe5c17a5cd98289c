/**
 * Manual controls that work with plain kubectl. Pause and resume are a state, so they are `spec.paused` (like a
 * Deployment's). Promote, abort and retry are one-off requests, so they are the annotation `sluice.dev/action`:
 *
 *   kubectl annotate rollout checkout sluice.dev/action=promote --overwrite
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
} as const;

export type ManualAction = keyof typeof manualActions;

export type ActionRequest =
  { kind: 'none' } | { kind: 'action'; action: ManualAction } | { kind: 'invalid'; field: string; message: string };

function isManualAction(value: string): value is ManualAction {
  return Object.hasOwn(manualActions, value);
}

/** Reads the pending manual request from a Rollout's annotations. */
export function readActionRequest(annotations: Readonly<Record<string, string>> | undefined): ActionRequest {
  const value = annotations?.[actionAnnotation];
  if (value === undefined) return { kind: 'none' };
  const action = value.trim();
  if (isManualAction(action)) return { kind: 'action', action };
  return {
    kind: 'invalid',
    field: `metadata.annotations[${actionAnnotation}]`,
    message: `unknown action ${JSON.stringify(value)}: use one of ${Object.keys(manualActions).join(', ')}`,
  };
}
