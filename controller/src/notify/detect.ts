/**
 * Which notifications a plan makes, read from what the planner already decided: its Events (Aborted, Promoted,
 * StepCompleted, Paused) and its status (phase Degraded, a failed analysis run). Pure: the executor calls it only
 * after the status write that records these decisions succeeded, so nothing is announced that a restart could
 * take back.
 *
 * Each notification has a deterministic id, from the Rollout's uid, the event, the revision and the status field
 * that records the transition (abortedAt for an abort, the new stable revision for a promotion, ...): a receiver
 * that sees the same id twice (a retry, or the same transition planned again after a restart) can drop it.
 */
import { createHash } from 'node:crypto';
import type { NotificationEvent, Rollout, RolloutStatus } from '../api/types.ts';
import type { Plan } from '../planner/world.ts';

export interface FailedMetric {
  name: string;
  /** The measured value as status records it ("0.31", a list, a comparison's summary). */
  value: string;
  /** What the value was judged against ("result >= 0.1"), when the template can still be read. */
  condition?: string;
}

/** One thing that happened to one Rollout, as every sink reports it. */
export interface RolloutNotification {
  id: string;
  event: NotificationEvent;
  rollout: { namespace: string; name: string; uid: string; revision: string };
  reason: string;
  message: string;
  failedMetric?: FailedMetric;
  /** RFC 3339. */
  time: string;
}

/** The condition a failed metric was judged by, looked up in the templates the Rollout uses. */
export type MetricConditionLookup = (rollout: Rollout, runName: string, metric: string) => string | undefined;

export function deliveryId(uid: string, event: NotificationEvent, revision: string, marker: string): string {
  return createHash('sha256').update(`${uid}\n${event}\n${revision}\n${marker}`).digest('hex').slice(0, 32);
}

/** The failed (gating) metric of the newest failed analysis run, with the value that failed it. */
export function failedMetricOf(
  rollout: Rollout,
  status: RolloutStatus,
  conditionOf: MetricConditionLookup = () => undefined,
): FailedMetric | undefined {
  const runs = status.analysis?.runs ?? [];
  for (let i = runs.length - 1; i >= 0; i--) {
    const run = runs[i]!;
    if (run.phase !== 'Failed') continue;
    const metric = run.metrics.find((m) => m.phase === 'Failed' && m.dryRun !== true);
    if (metric === undefined) continue;
    const failed = [...metric.measurements].reverse().find((m) => m.phase === 'Failed');
    const condition = conditionOf(rollout, run.name, metric.name);
    return {
      name: metric.name,
      value: failed?.value ?? '',
      ...(condition === undefined ? {} : { condition }),
    };
  }
  return undefined;
}

/**
 * The notifications of a plan whose status was just written. `previous` is the status the plan was made from;
 * `now` stamps those whose status records no time of its own.
 */
export function detectNotifications(
  rollout: Rollout,
  previous: RolloutStatus | undefined,
  plan: Pick<Plan, 'status' | 'events'>,
  now: Date,
  conditionOf?: MetricConditionLookup,
): RolloutNotification[] {
  const { namespace = '', name = '', uid = '' } = rollout.metadata;
  const status = plan.status;
  const canary = status.canaryRevision ?? status.stableRevision ?? '';
  const out: RolloutNotification[] = [];
  const add = (
    event: NotificationEvent,
    revision: string,
    marker: string,
    reason: string,
    message: string,
    extra: { time?: string; failedMetric?: FailedMetric } = {},
  ) =>
    out.push({
      id: deliveryId(uid, event, revision, marker),
      event,
      rollout: { namespace, name, uid, revision },
      reason,
      message,
      ...(extra.failedMetric === undefined ? {} : { failedMetric: extra.failedMetric }),
      time: extra.time ?? now.toISOString(),
    });

  // A promotion is a new stable revision recorded over a previous one (the first one is no release).
  const promotedTo =
    previous?.stableRevision !== undefined && status.stableRevision !== previous.stableRevision
      ? status.stableRevision
      : undefined;
  for (const e of plan.events) {
    if (e.reason === 'Aborted') {
      const at = status.abortedAt ?? now.toISOString();
      const failed = failedMetricOf(rollout, status, conditionOf);
      add('Aborted', canary, at, e.reason, e.message, { time: at, ...(failed ? { failedMetric: failed } : {}) });
      if (failed !== undefined)
        add('AnalysisFailed', canary, at, 'AnalysisFailed', e.message, { time: at, failedMetric: failed });
    } else if (e.reason === 'Promoted' && promotedTo !== undefined) {
      // The release that was promoted (when it started, and over what), not only the revision: promoting v2 again
      // after a rollback to v1 is another transition, which a receiver de-duplicating on the id must not drop.
      const release = `from=${previous?.stableRevision ?? ''},started=${previous?.releaseStartedAt ?? ''}`;
      add('Promoted', promotedTo, `stable=${promotedTo},${release}`, e.reason, e.message);
    } else if (e.reason === 'Promoted' || e.reason === 'StepCompleted') {
      // A 'Promoted' Event that records no new stable revision is a step (a pause) ended by a promote request.
      // The message names the step ("step 2/6 (setWeight 50) done"): with the revision, it is that step's record.
      // With the step's start (as the status the plan was made from says it): the same step completed again after a
      // retry of the same canary is another transition; the same plan made again is not.
      add('StepCompleted', canary, `${e.message},started=${previous?.stepStartedAt ?? ''}`, 'StepCompleted', e.message);
    } else if (e.reason === 'Paused') {
      const since = status.pauseConditions?.map((p) => p.startTime).sort()[0] ?? now.toISOString();
      add('Paused', canary, `step=${status.currentStepIndex ?? 0},since=${since}`, e.reason, e.message);
    }
  }
  if (status.phase === 'Degraded' && previous?.phase !== 'Degraded') {
    const progressing = status.conditions?.find((c) => c.type === 'Progressing');
    const since = progressing?.lastTransitionTime ?? now.toISOString();
    const reason = progressing?.reason ?? 'Degraded';
    add('Degraded', canary, `since=${since},reason=${reason}`, reason, status.message ?? progressing?.message ?? '');
  }
  return out;
}
