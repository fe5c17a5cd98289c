/**
 * Feature flags in the plan: a setFlag step asks for an Unleash read (to record the flag as it was), then for the
 * set, and counts only once the set's read-back confirms the percentage; an abort asks for every touched flag to be
 * put back and forgets a flag only once Unleash confirms it. The calls themselves run in the background
 * (reconcile/backgroundTasks.ts), behind the leader fence, after the plan's status is written; here the planner only reads
 * their outcomes from the world and decides. A paused, frozen, invalid or aborting rollout never reaches a setFlag
 * step, so it never moves a flag.
 */
import type { ResolvedStep } from '../api/steps.ts';
import type { TouchedFlag } from '../api/types.ts';
import { describeFlag } from '../flags/flagEnvironment.ts';
import {
  defaultFlagStepTiming,
  describeState,
  flagKey,
  flagOfStep,
  restoreOperation,
  restoredMessage,
  sameFlag,
  setChoice,
  touchedFlagAfterSet,
  touchedFlagFrom,
  type FlagOperation,
  type FlagOperationState,
  type ResolvedSetFlagStep,
} from '../flags/flagSteps.ts';
import type { AdminFailure } from '../flags/unleashAdmin.ts';
import type { PlanBuilder } from './builder.ts';
import type { StepOutcome } from './step.ts';

const timing = defaultFlagStepTiming;

export function planSetFlag(b: PlanBuilder, step: ResolvedSetFlagStep, where: string): StepOutcome {
  const unleash = b.world.unleash;
  const field = step.flagField;
  if (unleash.unavailable !== undefined) return flagProblem(b, field, unleash.unavailable, where);
  const flag = flagOfStep(step, unleash);
  const { rollout: percent, onAbort } = step.flag;
  // The step's start names this attempt: after an abort and a retry, the same step on the same revision must not
  // find the outcomes of the first attempt (a stale read, or a set that the restore has undone since).
  const attempt = `${b.status.canaryRevision}/${b.status.stepStartedAt ?? ''}`;
  // Only what status already holds counts as recorded: the set must never go out before the record is written.
  const recorded = b.previous.flags?.find((f) => sameFlag(f, flag));
  if (recorded === undefined) {
    const id = `${attempt}/read/${step.index}/${flagKey(flag)}`;
    const state = unleash.operation(id);
    if (state?.kind === 'done' && state.result.ok) {
      const entry = touchedFlagFrom(flag, state.result.state, onAbort);
      b.status.flags = [...(b.status.flags ?? []).filter((f) => !sameFlag(f, flag)), entry];
      b.status.message = `${where}: recorded ${describeFlag(flag)} as it is now (${describeState(state.result.state)}) so that an abort can put it back; setting it to ${percent}% next`;
      return 'wait'; // the status write wakes the key again, and the set goes out then
    }
    return pendingOrFailed(
      b,
      { id, operation: { kind: 'read', flag } },
      state,
      field,
      where,
      `reading ${describeFlag(flag)} before changing it`,
    );
  }
  const id = `${attempt}/set/${step.index}/${flagKey(flag)}/${percent}`;
  const state = unleash.operation(id);
  if (state?.kind === 'done' && state.result.ok) {
    const confirmed = state.result.state;
    b.status.flags = (b.status.flags ?? []).map((f) =>
      sameFlag(f, flag) ? touchedFlagAfterSet(f, percent, onAbort, confirmed) : f,
    );
    return 'next';
  }
  const set: FlagOperation = { kind: 'set', flag, percent, choice: setChoice(recorded) };
  return pendingOrFailed(
    b,
    { id, operation: set },
    state,
    field,
    where,
    `setting ${describeFlag(flag)} to ${percent}%`,
  );
}

/** Asks for the operation when it was never asked for, or again once a failed try has waited long enough. */
function pendingOrFailed(
  b: PlanBuilder,
  op: { id: string; operation: FlagOperation },
  state: FlagOperationState,
  field: string,
  where: string,
  doing: string,
): StepOutcome {
  if (state === undefined || state.kind === 'pending') {
    if (state === undefined) b.flagOperations.push({ ...op, retry: false });
    b.status.message = `${where}: ${doing}`;
    return 'wait';
  }
  const failure = state.result as AdminFailure;
  // A bad token or a missing flag needs a person; anything else is worth a try again soon.
  const needsPerson = failure.kind === 'auth' || failure.kind === 'notFound';
  const waitMs = needsPerson ? timing.recheckInvalidAfterMs : timing.retryAfterMs;
  if (state.ageMs >= waitMs) b.flagOperations.push({ ...op, retry: true });
  else b.requeueAfter(waitMs - state.ageMs);
  if (needsPerson) return flagProblem(b, field, failure.message, where);
  b.status.message = `${where}: ${failure.message}`;
  return 'wait';
}

/** The step cannot go on until a person fixes something outside the Rollout (settings, token, the flag itself). */
function flagProblem(b: PlanBuilder, field: string, message: string, where: string): StepOutcome {
  b.status.message = `${where}: ${message}`;
  b.invalidStep = { field, message };
  return 'wait';
}

/**
 * Puts flags back: on abort every flag the rollout touched (or turns it off, with onAbort: disable); otherwise the
 * flags no step of the current spec names any more (a superseded canary's, a step removed from the spec, or every
 * flag left when the template went back to stable), since nothing being released wants them changed. A flag is
 * dropped from status.flags only once Unleash confirms. A failed restore is tried again after a delay (after an
 * abort, one that grows with the time since it: kept in no memory, abortedAt is in status).
 */
/** How long a Rollout being deleted waits for Unleash to confirm its restores. */
export const giveUpOnDeleteMs = 10 * 60_000;

export function planFlagRestores(
  b: PlanBuilder,
  scope: { abort: true } | { deleting: true } | { keep: readonly ResolvedStep[] },
): void {
  const flags = b.status.flags ?? [];
  if (flags.length === 0) return;
  const unleash = b.world.unleash;
  const named =
    'keep' in scope ? scope.keep.flatMap((s) => (s.kind === 'setFlag' ? [flagOfStep(s, unleash)] : [])) : [];
  const toRestore = flags.filter((f) => !named.some((n) => sameFlag(n, f)));
  if (toRestore.length === 0) return;
  const names = (list: typeof flags) => list.map((f) => `${f.name} (${f.environment})`).join(', ');
  if ('deleting' in scope) {
    // The cache keeps the API server's text; a typed client would give a Date.
    const stamp: unknown = b.world.rollout.metadata.deletionTimestamp;
    const since = stamp instanceof Date ? stamp.getTime() : Date.parse(typeof stamp === 'string' ? stamp : b.now);
    if (b.world.now.getTime() - since > giveUpOnDeleteMs) {
      // Deleting must end: after this long (Unleash gone, the token refused), the flags are left as they are, and
      // said so, rather than holding the Rollout (and its namespace's deletion) for ever.
      b.event(
        'Warning',
        'FlagsNotRestored',
        `${names(toRestore)} left as they are: Unleash did not confirm a restore within ${giveUpOnDeleteMs / 60_000} minutes of the deletion`,
      );
      b.status.flags = flags.filter((f) => !toRestore.includes(f));
      return;
    }
  }
  if (unleash.unavailable !== undefined) {
    b.messageSuffix = `; flags still to restore: ${names(toRestore)}: ${unleash.unavailable}`;
    return;
  }
  let retryMs = timing.retryAfterMs;
  let attempt: string;
  if ('abort' in scope) {
    const abortedAt = b.status.abortedAt ?? b.now;
    retryMs = Math.min(60_000, Math.max(2_000, (b.world.now.getTime() - Date.parse(abortedAt)) / 2));
    attempt = `restore/${abortedAt}`;
  } else if ('deleting' in scope) {
    attempt = 'deleted';
  } else {
    attempt = `unneeded/${b.status.stepStartedAt ?? ''}`;
  }
  const kept = flags.filter((f) => !toRestore.includes(f));
  let reason: string | undefined;
  for (const flag of toRestore) {
    const id = `${b.status.canaryRevision}/${attempt}/${flagKey(flag)}`;
    const state = unleash.operation(id);
    if (state?.kind === 'done' && (state.result.ok || state.result.kind === 'notFound')) {
      b.event(
        'Normal',
        'FlagRestored',
        state.result.ok
          ? restoredMessage(flag)
          : `${describeFlag(flag)} is no longer in Unleash: there is nothing to put back`,
      );
      continue;
    }
    kept.push(flag);
    if (state === undefined) {
      b.flagOperations.push({ id, operation: restoreOperation(flag), retry: false });
    } else if (state.kind === 'done' && !state.result.ok) {
      reason ??= state.result.message;
      if (state.ageMs >= retryMs) b.flagOperations.push({ id, operation: restoreOperation(flag), retry: true });
      else b.requeueAfter(retryMs - state.ageMs);
    }
  }
  // The list keeps its order: a flag restored drops out, the others stay where they were.
  b.status.flags = flags.filter((f) => kept.includes(f));
  if (reason !== undefined)
    b.messageSuffix = `; flags still to restore: ${names(b.status.flags.filter((f) => toRestore.includes(f)))}: ${reason}`;
}

/**
 * At promotion: a flag stays as it is (its record is dropped: nothing to restore) when it is at the percentage the
 * release's last step on it asked for; any other (a step skipped by promote-full, a flag an earlier canary set)
 * stays recorded and is put back once the new stable is in place.
 */
export function keepUnneededFlags(b: PlanBuilder, steps: readonly ResolvedStep[]): void {
  const asked = (f: TouchedFlag) => {
    const last = steps.filter((s) => s.kind === 'setFlag' && sameFlag(flagOfStep(s, b.world.unleash), f)).at(-1);
    return last?.kind === 'setFlag' && last.flag.rollout === f.rollout;
  };
  const left = (b.status.flags ?? []).filter((f) => !asked(f));
  if (left.length === 0) delete b.status.flags;
  else b.status.flags = left;
}
