/** spec.restartAt: when the stable pods are to be restarted (planner/restart.ts). */
import { Type } from 'typebox';

/** An RFC 3339 time with a zone (a time without one is whose noon?): what `kubectl sluice restart` writes, and what Argo Rollouts' restartAt takes. */
export const restartAtPattern =
  '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$';

export const restartAtSchema = Type.String({
  description:
    "Restart the stable revision's pods: every stable pod created before this time (RFC 3339, such as 2026-01-02T15:04:05Z) is evicted, one at a time, through the Eviction API, so that PodDisruptionBudgets are respected; the next one once its replacement is available (minReadySeconds counts). During a release it waits until the release is done; a time in the future waits until then. `kubectl sluice restart` sets it to now. status.restartedAt records it once done.",
  // format date-time: the API server checks the calendar (and CEL would see a timestamp); the pattern asks for a zone.
  format: 'date-time',
  pattern: restartAtPattern,
  maxLength: 35,
});
