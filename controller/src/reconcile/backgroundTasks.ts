/**
 * The two kinds of background work a reconcile asks for, as tasks for BackgroundWork: a due measurement
 * (Secrets, Prometheus) and an Unleash operation (read, set, restore, disable). Unleash writes are fenced at the
 * wire by the admin client (a replica that lost the lease sends none); operations on one flag share a lane, so a
 * restore never overtakes the set it undoes.
 */
import { metricLimits } from '../api/analysis.schema.ts';
import { parseDuration } from '../api/duration.ts';
import type { Measurement, Rollout } from '../api/types.ts';
import type { DueMeasurement } from '../analysis/engine.ts';
import { failedMeasurement, measureInBackground, type MeasureTaskDeps } from '../analysis/measureTask.ts';
import { measurementTimeoutMs } from '../analysis/provider.ts';
import { describeFlag } from '../flags/flagEnvironment.ts';
import { traceFlagOperation, type FlagTrace } from '../flags/flagSpans.ts';
import { flagKey, type FlagOperation, type PlannedFlagOperation } from '../flags/flagSteps.ts';
import type { AdminResult, FlagAdmin } from '../flags/unleashAdmin.ts';
import type { Span } from '../trace/span.ts';
import type { BackgroundTask, BackgroundWorkOptions } from './background.ts';

/** Slack on top of a measurement's own timeout: reading Secrets, and two queries for a comparison. */
const measureSlackMs = 10_000;
/** An Unleash operation is a few requests of at most 10 s each. */
const flagOperationDeadlineMs = 60_000;
/** A measurement whose provider's timeout cannot be read gets the schema's largest query timeout. */
const maxMeasurementTimeoutMs = parseDuration(metricLimits.timeout);

/**
 * The background pool of Job measurements (BackgroundWorkOptions.pools): a Job measurement sleeps while its Job runs,
 * for up to an hour, and must not hold the slots that queries (Prometheus, web, InfluxDB) of other namespaces need.
 */
export const jobMeasurementPool = 'job';

/**
 * The measurements' background options with the Job pool added: mostly idle tasks (a GET every 10 s at most), so
 * four times the main slots, and fair between namespaces the same way.
 */
export function withJobPool(options: BackgroundWorkOptions): BackgroundWorkOptions {
  return {
    ...options,
    pools: {
      ...options.pools,
      [jobMeasurementPool]: { concurrency: options.concurrency * 4, perNamespace: options.perNamespace },
    },
  };
}

/** The background id of a measurement: the Rollout's uid keeps a recreated Rollout from reusing an outcome. */
export function measurementTaskId(rollout: Rollout, id: string): string {
  return `${rollout.metadata.uid ?? ''}/measure/${id}`;
}

export function flagTaskId(rollout: Rollout, id: string): string {
  return `${rollout.metadata.uid ?? ''}/flag/${id}`;
}

export function measurementTask(
  key: string,
  rollout: Rollout,
  due: DueMeasurement,
  deps: MeasureTaskDeps,
  /** The reconcile asking for it, which the measurement's span links to. */
  scheduledBy?: Span,
): BackgroundTask<Measurement> {
  // The schema's largest timeout, should the template's be unreadable; the measurement reports why.
  const timeoutMs = measurementTimeoutMs(due.metric, deps.providers) ?? maxMeasurementTimeoutMs;
  return {
    key,
    id: measurementTaskId(rollout, due.id),
    ...(due.metric.provider.job === undefined ? {} : { pool: jobMeasurementPool }),
    namespace: rollout.metadata.namespace ?? 'default',
    deadlineMs: timeoutMs + measureSlackMs,
    run: () => measureInBackground(due, rollout, deps, scheduledBy),
    onFailure: (why) => failedMeasurement(why, deps.clock()),
  };
}

export function flagTask(
  key: string,
  rollout: Rollout,
  planned: PlannedFlagOperation,
  admin: FlagAdmin,
  trace?: FlagTrace,
): BackgroundTask<AdminResult> {
  const op = planned.operation;
  return {
    key,
    id: flagTaskId(rollout, planned.id),
    lane: `flag/${flagKey(op.flag)}`,
    namespace: rollout.metadata.namespace ?? 'default',
    deadlineMs: flagOperationDeadlineMs,
    run: () => traceFlagOperation(trace, op, () => runFlagOperation(op, admin)),
    onFailure: (why) => ({
      ok: false,
      kind: 'unreachable',
      message: `${describeOperation(op)} did not finish: ${why}; Sluice will try again`,
    }),
  };
}

export function runFlagOperation(op: FlagOperation, admin: FlagAdmin): Promise<AdminResult> {
  switch (op.kind) {
    case 'read':
      return admin.read(op.flag);
    case 'set':
      return admin.setRollout(op.flag, op.percent, op.choice);
    case 'restore':
      return admin.restore(op.flag, {
        enabled: op.flag.previousEnabled,
        rollout: op.flag.previousRollout,
        strategyId: op.flag.strategyId,
      });
    case 'disable':
      return admin.disable(op.flag);
  }
}

function describeOperation(op: FlagOperation): string {
  const what = describeFlag(op.flag);
  switch (op.kind) {
    case 'read':
      return `reading ${what}`;
    case 'set':
      return `setting ${what} to ${op.percent}%`;
    case 'restore':
      return `putting back ${what}`;
    case 'disable':
      return `turning off ${what}`;
  }
}
