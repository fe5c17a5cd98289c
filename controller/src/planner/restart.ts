/**
 * spec.restartAt: the stable revision's pods are replaced without a canary, as `kubectl rollout restart` does for a
 * Deployment, but through the Eviction API, so that every PodDisruptionBudget (the user's, or Sluice's own from
 * spec.pdb) has its say. One pod at a time: the next eviction only once every stable pod is available again
 * (minReadySeconds counts), so stable never runs more than one pod short, whatever the budget allows; a stable pod
 * that is not ready goes first, as evicting it costs no ready pod. The decision (which pod) is recorded in
 * status.restart before the executor evicts it; a pod still there is asked for again on the next requeue, and the
 * message says what the Eviction API answered. Past progressDeadlineSeconds without a new eviction, a Warning says
 * the restart is stuck and on what; it never evicts more for that.
 *
 * A restart waits while a release is in flight (an abort, a pause or a Degraded rollout included): the release
 * decides which pods are stable, and an abort must never wait behind an eviction. A restartAt in the future waits
 * until then; one in the past that no stable pod predates is done at once. Done means done on the stable revision
 * of then (status.restartedRevision): once another is stable, as after an undo to pods kept warm, its pods older
 * than restartAt are replaced too. */
import { parseRestartAt, restartPending } from '../api/restartAt.ts';
import type { PlanBuilder } from './builder.ts';
import type { EvictionAnswer, ObservedPod } from './world.ts';
import type { RolloutStatus } from '../api/types.ts';

type RestartStatus = NonNullable<RolloutStatus['restart']>;

/** How soon an eviction is asked again: a PodDisruptionBudget that refused wakes nobody when it allows. */
export const evictionRetryMs = 5_000;
/** At most one PodEvicted Event this often: a restart of 200 pods is not 200 Events. */
export const podEvictedEventIntervalMs = 60_000;

export function planRestart(b: PlanBuilder): void {
  const requested = b.world.rollout.spec.restartAt;
  if (requested === undefined || !restartPending(requested, b.status)) {
    finish(b);
    return;
  }
  if (b.world.rollout.spec.workloadRef === undefined) {
    // A flag-only Rollout has no pods: dropping the request without a word would let the user believe it ran.
    delete b.status.restart;
    b.condition('Restarting', {
      status: 'False',
      reason: 'NoPodsToRestart',
      message: `spec.restartAt ${requested} restarts nothing: this Rollout has no spec.workloadRef, so no pods (remove spec.restartAt)`,
    });
    return;
  }
  if (b.world.deployment === undefined) {
    finish(b);
    return;
  }
  const time = parseRestartAt(requested);
  if (time.kind === 'invalid') return; // validate.ts makes it InvalidSpec; the planner never gets here with one
  // Creation timestamps have whole seconds: a pod created in the second of restartAt counts as older, and nothing
  // starts before that second is over, so that no replacement ever counts as older.
  const at = Math.ceil(time.ms / 1000) * 1000;
  const now = b.world.now.getTime();
  // A newer restartAt starts over (its own Events, its own count).
  let restart = b.status.restart?.restartAt === requested ? b.status.restart : undefined;
  if (restart === undefined) delete b.status.restart;
  if (now < at) {
    b.condition('Restarting', {
      status: 'False',
      reason: 'RestartScheduled',
      message: `the stable pods restart at ${requested}`,
    });
    b.requeueAfter(at - now);
    return;
  }
  const held = holdReason(b);
  if (held !== undefined) {
    b.condition('Restarting', {
      status: 'False',
      reason: held.reason,
      message: `${held.message} (restartAt ${requested})`,
    });
    return;
  }

  if (b.world.podsUnavailable !== undefined) {
    // No pods seen is not "no pod older": it would record a restart that never happened.
    b.condition('Restarting', { status: 'False', reason: 'PodsNotVisible', message: b.world.podsUnavailable });
    return;
  }
  const stable = b.status.stableRevision;
  const want = b.replicaSets.find((d) => d.revision === stable)?.replicas ?? 0;
  const available = b.world.replicaSets.find((rs) => rs.revision === stable)?.availableReplicas ?? 0;
  const pods = b.world.pods.filter((p) => p.revision === stable);
  // A pod already on its way out counts as gone: one Sluice never evicted (a finalizer that never clears, a node
  // that died) may stay Terminating for hours, and its ReplicaSet has already replaced it.
  const live = pods.filter((p) => !p.deleting);
  // Older by the API server's stamps only: the controller's clock may run ahead of the API server's, and then
  // replacements made right after restartAt (by the controller's clock) are stamped before it. Every replacement
  // is made after the restart's first eviction, so after each pod the restart found: newer than status.restart's
  // olderThan (equal only within that pod's second, where whole-second stamps cannot tell).
  const olderThan = restart?.olderThan === undefined ? Infinity : Date.parse(restart.olderThan);
  const older = live.filter((p) => Date.parse(p.createdAt) < at && Date.parse(p.createdAt) <= olderThan);
  // Paced on availability, as a Deployment's rollout is: with minReadySeconds a replacement counts only once it
  // has stayed ready that long (the ReplicaSet's availableReplicas says so), so one that crashes in its first
  // seconds is waited for. The pods' own Ready too: the ReplicaSet's status may lag an eviction by a moment.
  const ready = Math.min(live.filter((p) => p.ready).length, available);
  if (older.length === 0 || want === 0) {
    if (restart === undefined || ready >= want) {
      if (restart !== undefined)
        b.event(
          'Normal',
          'Restarted',
          `every stable pod of revision ${stable} was replaced (${restart.evictions} evicted since ${restart.startedAt})`,
        );
      b.status.restartedAt = requested;
      if (stable !== undefined) b.status.restartedRevision = stable;
      finish(b);
      return;
    }
    const notReady = live.filter((p) => !p.ready).map((p) => p.name);
    waiting(
      b,
      restart,
      `waiting for the last replacement pod to be available (${ready}/${want} available${notReady.length === 0 ? '' : `; not ready: ${notReady.join(', ')}`})`,
    );
    return;
  }
  // One at a time: the previous pod is gone and its replacement is available before the next is asked for.
  // Only the pod this restart evicted is waited for: that one is the restart's own disruption.
  const leaving = pods.find((p) => p.deleting && p.name === restart?.pod);
  // A stable pod that is not ready (crash-looping, wedged) goes first: it is what a restart is for, and evicting it
  // costs no ready pod, so it need not wait for the others (the Eviction API and its budgets still decide).
  const candidates = oldestFirst(older);
  const next =
    leaving !== undefined
      ? undefined
      : (candidates.find((p) => !p.ready) ?? (ready < want ? undefined : candidates[0]));
  if (next === undefined) {
    const notReady = live.filter((p) => !p.ready).map((p) => p.name);
    const why =
      leaving !== undefined
        ? `pod ${leaving.name} to go`
        : restart === undefined
          ? `the stable pods to be available${notReady.length === 0 ? '' : ` (not ready: ${notReady.join(', ')})`}`
          : `its replacement to be available${notReady.length === 0 ? '' : ` (not ready: ${notReady.join(', ')})`}`;
    const message = `waiting for ${why} before the next eviction (${ready}/${want} stable pods available, ${older.length} to replace)`;
    if (restart === undefined) restarting(b, message);
    else waiting(b, restart, message);
    return;
  }
  const nowText = b.world.now.toISOString();
  if (restart === undefined) {
    const doneOn = b.status.restartedAt === requested ? b.status.restartedRevision : undefined;
    if (doneOn !== undefined) {
      // Done on another revision: status must no longer say done while pods older than restartAt serve.
      b.event(
        'Normal',
        'RestartReopened',
        `the restart for ${requested} was done on revision ${doneOn}, and revision ${stable} is stable now with ${older.length} pod(s) created before it: restarting them too, one at a time, through the Eviction API`,
      );
      delete b.status.restartedAt;
      delete b.status.restartedRevision;
    } else
      b.event(
        'Normal',
        'RestartStarted',
        `restarting the ${older.length} stable pod(s) of revision ${stable} created before ${requested}, one at a time, through the Eviction API`,
      );
    const newest = Math.max(...older.map((p) => Date.parse(p.createdAt)));
    restart = {
      restartAt: requested,
      startedAt: nowText,
      pod: '',
      evictions: 0,
      progressedAt: nowText,
      ...(Number.isFinite(newest) ? { olderThan: new Date(newest).toISOString() } : {}),
    };
  }
  let message: string;
  if (restart.pod === next.name) {
    // Asked before and still here: the message says what the Eviction API answered, never a guess.
    const refused = notEvicted(next, b.world.lastEviction);
    message = `${refused}; asking again every ${evictionRetryMs / 1000}s (${older.length} to replace)`;
    const stuck = overdue(b, restart, refused);
    if (stuck !== undefined) {
      b.status.restart = stuck;
      b.evictions = [{ name: next.name, uid: next.uid }];
      b.requeueAfter(evictionRetryMs);
      b.restarting = message;
      b.condition('Restarting', {
        status: 'True',
        reason: 'RestartStuck',
        message: `the restart is stuck: ${message}`,
      });
      return;
    }
  } else {
    restart = { ...restart, pod: next.name, evictions: restart.evictions + 1, progressedAt: nowText };
    delete restart.warnedAt;
    const last = restart.reportedAt === undefined ? undefined : Date.parse(restart.reportedAt);
    if (last === undefined || !(now - last < podEvictedEventIntervalMs)) {
      b.event(
        'Normal',
        'PodEvicted',
        `evicting stable pod ${next.name} (${older.length} created before ${requested} left)`,
      );
      restart = { ...restart, reportedAt: nowText };
    }
    message = `evicting pod ${next.name} (${older.length} stable pod(s) created before ${requested} left)`;
  }
  b.status.restart = restart;
  b.evictions = [{ name: next.name, uid: next.uid }];
  b.requeueAfter(evictionRetryMs);
  restarting(b, message);
}

/** Why a restart cannot go on now, if it cannot: the release in flight decides which pods are stable. */
function holdReason(b: PlanBuilder): { reason: string; message: string } | undefined {
  const { status } = b;
  const release = (message: string) => ({ reason: 'WaitingForRelease', message });
  if (status.abort === true)
    return release(
      `the restart waits: the release of revision ${status.canaryRevision} was aborted (retry it, or release a new revision)`,
    );
  if (status.canaryRevision !== status.stableRevision)
    return release(`the restart waits until the release of revision ${status.canaryRevision} is done`);
  if (b.degraded !== undefined)
    return {
      reason: 'RolloutDegraded',
      message: `the restart waits while the rollout is Degraded: ${b.degraded.message}`,
    };
  // spec.paused holds everything, a restart under way too: a brake a user can pull halfway through.
  if (b.paused || b.world.rollout.spec.paused === true)
    return { reason: 'RolloutPaused', message: 'the restart waits while the rollout is paused' };
  if (status.stableRevision === undefined) return release('the restart waits for a stable revision');
  return undefined;
}

function oldestFirst(pods: ObservedPod[]): ObservedPod[] {
  return [...pods].sort((x, y) => Date.parse(x.createdAt) - Date.parse(y.createdAt) || x.name.localeCompare(y.name));
}

/** Why a pod asked for is still there, as the Eviction API said it (to this process: after a restart, unknown). */
function notEvicted(pod: ObservedPod, answer: EvictionAnswer | undefined): string {
  const heard = answer?.pod === pod.name && answer.uid === pod.uid ? answer : undefined;
  if (heard?.code === 429)
    return `pod ${pod.name} is not evicted yet: a PodDisruptionBudget allows no disruption now (${heard.message})`;
  if (heard !== undefined && heard.code !== 201)
    return `pod ${pod.name} is not evicted yet: the Eviction API answered ${heard.code === undefined ? 'nothing' : `HTTP ${heard.code}`}: ${heard.message}`;
  if (heard !== undefined) return `pod ${pod.name} was evicted; its deletion is not seen yet`;
  return `pod ${pod.name} is not evicted yet: no answer from the Eviction API seen for it (the controller restarted, or the eviction was not sent)`;
}

/** A restart under way that waits for the cluster; past progressDeadlineSeconds without an eviction, stuck. */
function waiting(b: PlanBuilder, restart: RestartStatus, message: string): void {
  const stuck = overdue(b, restart, message);
  if (stuck === undefined) {
    restarting(b, message);
    return;
  }
  b.status.restart = stuck;
  b.restarting = message;
  // Stuck is said, never acted on: evicting more would take stable further short, and the wait goes on.
  b.condition('Restarting', { status: 'True', reason: 'RestartStuck', message: `the restart is stuck: ${message}` });
}

/**
 * The restart with its Warning recorded, when it has gone progressDeadlineSeconds without evicting a new pod (a
 * replacement never available, a budget that never allows, a pod that never goes); undefined while in time. The
 * Warning again each deadline, not each requeue: a budget asked every few seconds is not an Event each time.
 */
function overdue(b: PlanBuilder, restart: RestartStatus, problem: string): RestartStatus | undefined {
  const deadlineSeconds = b.world.rollout.spec.progressDeadlineSeconds ?? 600;
  const now = b.world.now.getTime();
  const since = Date.parse(restart.progressedAt ?? restart.startedAt);
  const due = since + deadlineSeconds * 1000;
  if (!(now >= due)) {
    b.requeueAfter(due - now);
    return undefined;
  }
  const warned = restart.warnedAt === undefined ? undefined : Date.parse(restart.warnedAt);
  if (warned !== undefined && now - warned < deadlineSeconds * 1000) return restart;
  b.event(
    'Warning',
    'RestartStuck',
    `the restart of the stable pods has evicted no new pod for ${Math.round((now - since) / 1000)}s (progressDeadlineSeconds ${deadlineSeconds}): ${problem}`,
  );
  return { ...restart, warnedAt: b.world.now.toISOString() };
}

/** A restart under way: the condition says where it is, and the phase is Progressing until it is done. */
function restarting(b: PlanBuilder, message: string): void {
  b.restarting = message;
  b.condition('Restarting', { status: 'True', reason: 'Restarting', message });
}

/** No restart pending: nothing of one is left in status. */
function finish(b: PlanBuilder): void {
  const stopped = b.status.restart;
  // restartAt removed halfway: the pods not replaced yet stay, and the record that said so goes; an Event keeps it.
  if (stopped !== undefined && b.world.rollout.spec.restartAt === undefined)
    b.event(
      'Normal',
      'RestartStopped',
      `spec.restartAt was removed: the restart for ${stopped.restartAt} stopped after ${stopped.evictions} eviction(s); the stable pods not replaced yet keep running`,
    );
  delete b.status.restart;
  if (b.status.conditions?.some((c) => c.type === 'Restarting') !== true) return;
  b.status.conditions = b.status.conditions.filter((c) => c.type !== 'Restarting');
  if (b.status.conditions.length === 0) delete b.status.conditions;
}
