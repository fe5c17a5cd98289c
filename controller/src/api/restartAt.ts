/**
 * spec.restartAt read as a time. The API server refuses a malformed one (format date-time and a CEL pattern), but
 * only for Rollouts written since the rule came, so the controller reads it the same way and names the field when
 * it cannot: a restart that cannot be read must never be taken for "restart now" or "restart never".
 */
import { restartAtPattern } from './restartAt.schema.ts';
import type { RolloutStatus } from './types.ts';

export const restartAtField = 'spec.restartAt';

export type RestartTime = { kind: 'time'; ms: number } | { kind: 'invalid'; message: string };

const parts = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/;

export function parseRestartAt(value: string): RestartTime {
  const refuse = (why: string): RestartTime => ({
    kind: 'invalid',
    message: `${JSON.stringify(value.slice(0, 40))} ${why}: write an RFC 3339 time with a zone, such as 2026-01-02T15:04:05Z (kubectl sluice restart writes the current time)`,
  });
  if (value.length > 35 || !new RegExp(restartAtPattern).test(value)) return refuse('is not an RFC 3339 time');
  const [y, mo, d, h, mi, s] = parts.exec(value)!.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // Date.parse rolls 2026-02-31 over into March and takes 24:00: the calendar is checked here.
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || s > 59)
    return refuse('is not a date and time of the calendar');
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return refuse('is not an RFC 3339 time');
  return { kind: 'time', ms };
}

/**
 * What `kubectl sluice restart` writes: now, rounded up to the next whole second, with no fraction. Pods carry
 * whole-second creation times, so a pod created earlier in this second must count as older (it does: its time is
 * below the rounded-up one), and the controller starts nothing before that second is over.
 */
export function restartTimeFor(now: Date): string {
  return new Date(Math.ceil(now.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Whether spec.restartAt asks for more than is done. A restart is "every stable pod newer than restartAt", so one
 * done on a revision that is no longer stable (an undo to a revision whose pods were kept warm, from before
 * restartAt) is pending again until the stable revision's pods are looked at. A status without restartedRevision
 * (written before it was recorded) counts as done on the current stable revision.
 */
export function restartPending(restartAt: string | undefined, status: RolloutStatus | undefined): boolean {
  if (restartAt === undefined) return false;
  if (status?.restartedAt !== restartAt) return true;
  return status.restartedRevision !== undefined && status.restartedRevision !== status.stableRevision;
}
