/** The phase, message and conditions that sum up a plan, and an Event when the phase changes. */
import type { Plan } from './world.ts';
import type { PlanBuilder } from './builder.ts';
import { desiredReplicas, readyOf } from './replicas.ts';
import { releaseNames } from './blueGreen.ts';
import { serviceName } from '../workload/names.ts';

/** What users reach on the stable side, as read back (undefined when nothing says: no spec.service, no subsets). */
function reached(b: PlanBuilder): string | undefined {
  const { traffic, services } = b.world;
  if (traffic?.kind === 'weights' && traffic.revisions !== undefined) return traffic.revisions.stable;
  return services?.stable;
}

/**
 * The Service users reach on the stable side is not this Rollout's yet (Sluice creates or adopts it in this
 * plan): Healthy waits, or it would be said while an adopted Service still selects the user's own pods.
 */
function serviceUnseen(b: PlanBuilder): boolean {
  const { traffic, services } = b.world;
  if (traffic?.kind === 'weights' && traffic.revisions !== undefined) return false; // the subset says it
  return services?.stableUnseen === true;
}

function serviceSaid(b: PlanBuilder): string {
  const { traffic, rollout } = b.world;
  if (traffic?.kind === 'weights' && traffic.revisions !== undefined) return 'the stable subset';
  if (rollout.spec.strategy.blueGreen !== undefined) return `Service ${releaseNames(b).activeService}`;
  return `Service ${serviceName(rollout, 'stable')}`;
}

export function finishStatus(b: PlanBuilder): Plan {
  const { status, previous } = b;
  const inFlight = status.canaryRevision !== status.stableRevision;
  const n = desiredReplicas(b);
  const stableReady = b.world.deployment === undefined ? n : readyOf(b, status.stableRevision);

  if (b.degraded !== undefined) {
    status.phase = 'Degraded';
    const aborted = b.degraded.reason === 'RolloutAborted' || b.degraded.reason === 'AbortStalled';
    status.message = aborted ? `aborted: ${b.degraded.message}` : b.degraded.message;
    b.condition('Healthy', { status: 'False', reason: b.degraded.reason, message: b.degraded.message });
    b.condition('Progressing', { status: 'False', reason: b.degraded.reason, message: b.degraded.message });
  } else if (b.paused) {
    status.phase = 'Paused';
    b.condition('Healthy', { status: 'False', reason: 'CanaryInFlight', message: status.message ?? '' });
    b.condition('Progressing', { status: 'True', reason: 'RolloutPaused', message: status.message ?? '' });
  } else if (!inFlight && b.restarting !== undefined) {
    // Healthy waits for the restart: `kubectl wait --for=condition=Healthy` after `kubectl sluice restart` returns
    // once every stable pod is new and ready, and no Healthy Event is sent for each pod replaced.
    status.phase = 'Progressing';
    status.message = `restarting the stable pods: ${b.restarting}`;
    b.condition('Healthy', { status: 'False', reason: 'Restarting', message: status.message });
    b.condition('Progressing', { status: 'True', reason: 'Restarting', message: status.message });
  } else if (inFlight || stableReady < n) {
    status.phase = 'Progressing';
    if (!inFlight) status.message = `waiting for stable pods (${stableReady}/${n} ready)`;
    b.condition('Healthy', {
      status: 'False',
      reason: inFlight ? 'CanaryInFlight' : 'StableNotReady',
      message: status.message ?? '',
    });
    b.condition('Progressing', {
      status: 'True',
      reason: inFlight ? 'CanaryProgressing' : 'StableScaling',
      message: status.message ?? '',
    });
  } else if (b.world.traffic?.kind === 'weights' && b.world.traffic.canary !== 0) {
    // Status is written before the route: Healthy waits for the route to read back 100% on stable, so that
    // `kubectl wait --for=condition=Healthy` returns only once the traffic has really moved.
    status.phase = 'Progressing';
    status.message = `waiting for the traffic router to confirm 100% on stable (reads ${b.world.traffic.canary}% on the canary)`;
    b.condition('Healthy', { status: 'False', reason: 'TrafficNotConfirmed', message: status.message });
    b.condition('Progressing', { status: 'True', reason: 'TrafficShifting', message: status.message });
  } else if (serviceUnseen(b) || (reached(b) !== undefined && reached(b) !== status.stableRevision)) {
    // Healthy waits for what users reach (the stable or blue-green active Service, or the router's stable subset)
    // to read back on stable: `kubectl wait --for=condition=Healthy` returns once users are really on it.
    const where = serviceSaid(b);
    status.phase = 'Progressing';
    const selects = serviceUnseen(b) ? 'not created or adopted yet' : `selects ${reached(b)}`;
    status.message = `waiting for ${where} to select revision ${status.stableRevision} (${selects})`;
    b.condition('Healthy', { status: 'False', reason: 'TrafficNotConfirmed', message: status.message });
    b.condition('Progressing', { status: 'True', reason: 'TrafficShifting', message: status.message });
  } else {
    status.phase = 'Healthy';
    status.message =
      b.world.deployment === undefined
        ? `revision ${status.stableRevision} is released`
        : `revision ${status.stableRevision} is stable with ${stableReady}/${n} pods ready and 100% of traffic`;
    b.condition('Healthy', { status: 'True', reason: 'Healthy', message: status.message });
    b.condition('Progressing', { status: 'False', reason: 'Completed', message: 'no canary in flight' });
  }
  b.condition(
    'Paused',
    b.paused
      ? { status: 'True', reason: 'Paused', message: status.message ?? '' }
      : { status: 'False', reason: 'NotPaused', message: '' },
  );

  if (b.messageSuffix !== '') status.message = `${status.message ?? ''}${b.messageSuffix}`;
  if (previous.phase !== status.phase && (status.phase === 'Healthy' || status.phase === 'Paused')) {
    b.event('Normal', status.phase, status.message ?? status.phase);
  }
  return b.build();
}
