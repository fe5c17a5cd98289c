/**
 * What a setFlag step does, and how an abort puts the flags back. The Unleash calls go through the FlagAdmin
 * passed in; everything else is decided here from the step and status.flags, the record of every flag this
 * rollout changed and how it was before.
 *
 * A flag's previous state reaches status before Sluice changes the flag: the first run of a step on a flag only
 * reads and records it (the verdict is `running`), and the next run, once the reconciler has written status,
 * sets it. A controller killed between the two cannot then mistake its own change for the state to restore.
 */
import type { TouchedFlag } from '../api/types.ts';
import type { ResolvedStep } from '../api/steps.ts';
import type { GateVerdict } from '../planner/world.ts';
import { describeFlag, type FlagRef, type StrategyChoice } from './flagEnvironment.ts';
import type { AdminFailure, FlagAdmin } from './unleashAdmin.ts';

export type ResolvedSetFlagStep = Extract<ResolvedStep, { kind: 'setFlag' }>;

/**
 * The step cannot go on until a person fixes something outside the Rollout's reach (the token, or a flag that
 * does not exist); the reconciler reports it as InvalidSpec and looks again after `requeueAfterMs`.
 */
export interface InvalidFlagStep {
  kind: 'invalid';
  /** The step's setFlag field, e.g. spec.strategy.canary.steps[2].setFlag. */
  field: string;
  message: string;
  requeueAfterMs: number;
}

export interface SetFlagResult {
  verdict: GateVerdict | InvalidFlagStep;
  /** status.flags after this run: the same list, with this flag recorded or updated. */
  flags: TouchedFlag[];
}

export interface FlagStepTiming {
  /** Wait before trying again after Unleash was unreachable or refused for a passing reason. */
  retryAfterMs: number;
  /** Wait before looking again at a step that needs a person (bad token, missing flag). */
  recheckInvalidAfterMs: number;
  /** Wait after recording a flag's previous state; the status write usually brings the next run sooner. */
  afterRecordMs: number;
}

export const defaultFlagStepTiming: FlagStepTiming = { retryAfterMs: 10_000, recheckInvalidAfterMs: 60_000, afterRecordMs: 1_000 };

/** The flag a step names, with the controller's default environment filled in. */
export function flagOfStep(step: ResolvedSetFlagStep, defaultEnvironment: string): FlagRef {
  return { name: step.flag.name, project: step.flag.project, environment: step.flag.environment ?? defaultEnvironment };
}

export function sameFlag(a: FlagRef, b: FlagRef): boolean {
  return a.name === b.name && a.project === b.project && a.environment === b.environment;
}

/**
 * Runs a setFlag step once: records the flag's state on first touch, otherwise sets the rollout and enables the
 * flag. `done` only when Unleash has confirmed the percentage by a read-back.
 */
export async function runSetFlagStep(
  step: ResolvedSetFlagStep,
  flags: readonly TouchedFlag[],
  admin: FlagAdmin,
  defaultEnvironment: string,
  timing: FlagStepTiming = defaultFlagStepTiming,
): Promise<SetFlagResult> {
  const ref = flagOfStep(step, defaultEnvironment);
  const { rollout, onAbort } = step.flag;
  const touched = flags.find((f) => sameFlag(f, ref));
  const fail = (failure: AdminFailure): SetFlagResult => ({ verdict: failureVerdict(step, failure, timing), flags: [...flags] });

  if (touched === undefined) {
    const read = await admin.read(ref);
    if (!read.ok) return fail(read);
    const { state } = read;
    const entry: TouchedFlag = {
      name: ref.name,
      project: ref.project,
      environment: ref.environment,
      previousEnabled: state.enabled,
      rollout: state.rollout?.percent ?? 0,
      onAbort,
    };
    if (state.rollout !== undefined) {
      entry.previousRollout = state.rollout.percent;
      entry.strategyId = state.rollout.strategyId;
    }
    const before = `${state.enabled ? 'enabled' : 'disabled'}${state.rollout === undefined ? ', no gradual rollout' : `, ${state.rollout.percent}%`}`;
    return {
      verdict: {
        kind: 'running',
        message: `recorded ${describeFlag(ref)} as it is now (${before}) so that an abort can put it back; setting it to ${rollout}% next`,
        requeueAfterMs: timing.afterRecordMs,
      },
      flags: [...flags, entry],
    };
  }

  // Steer the strategy recorded; without one, only a strategy Sluice adds (a restore removes it).
  const choice: StrategyChoice = touched.strategyId === undefined ? { kind: 'own' } : { kind: 'id', id: touched.strategyId };
  const set = await admin.setRollout(ref, rollout, choice);
  if (!set.ok) return fail(set);
  const strategy = set.state.rollout;
  const updated: TouchedFlag = { ...touched, rollout, onAbort };
  if (strategy !== undefined && strategy.strategyId !== touched.strategyId) {
    // The recorded strategy is gone (someone removed it) and Sluice steers one it added: an abort removes that.
    updated.strategyId = strategy.strategyId;
    delete updated.previousRollout;
  }
  return {
    verdict: { kind: 'done', message: `${describeFlag(ref)} is enabled at ${rollout}% (confirmed by Unleash)` },
    flags: flags.map((f) => (f === touched ? updated : f)),
  };
}

function failureVerdict(step: ResolvedSetFlagStep, failure: AdminFailure, timing: FlagStepTiming): GateVerdict | InvalidFlagStep {
  switch (failure.kind) {
    case 'auth':
    case 'notFound':
      return { kind: 'invalid', field: `${step.field}.setFlag`, message: failure.message, requeueAfterMs: timing.recheckInvalidAfterMs };
    case 'unreachable':
    case 'http':
    case 'unconfirmed':
      return { kind: 'running', message: failure.message, requeueAfterMs: timing.retryAfterMs };
  }
}

/** How one flag fared in a restore. */
export interface FlagRestore {
  flag: TouchedFlag;
  /** restored / disabled: done. gone: the flag no longer exists, nothing to put back. failed: try again. */
  outcome: 'restored' | 'disabled' | 'gone' | 'failed';
  message: string;
}

export interface RestoreResult {
  /** The flags still to restore (those that failed), to keep in status.flags and retry with backoff; empty when done. */
  remaining: TouchedFlag[];
  results: FlagRestore[];
}

/**
 * Puts back every flag the rollout touched (or turns it off, per its onAbort). Flags are done one at a time; once
 * Unleash is unreachable the rest are not tried in this round, so that a round costs one timeout, not one per flag.
 */
export async function restoreFlags(flags: readonly TouchedFlag[], admin: FlagAdmin): Promise<RestoreResult> {
  const results: FlagRestore[] = [];
  let unreachable: string | undefined;
  for (const flag of flags) {
    if (unreachable !== undefined) {
      results.push({ flag, outcome: 'failed', message: `${describeFlag(flag)} not restored yet: ${unreachable}` });
      continue;
    }
    const done =
      flag.onAbort === 'disable'
        ? await admin.disable(flag)
        : await admin.restore(flag, { enabled: flag.previousEnabled, rollout: flag.previousRollout, strategyId: flag.strategyId });
    if (done.ok) {
      results.push({ flag, outcome: flag.onAbort === 'disable' ? 'disabled' : 'restored', message: restoredMessage(flag) });
    } else if (done.kind === 'notFound') {
      results.push({ flag, outcome: 'gone', message: `${describeFlag(flag)} is no longer in Unleash: there is nothing to put back` });
    } else {
      if (done.kind === 'unreachable') unreachable = done.message;
      results.push({ flag, outcome: 'failed', message: done.message });
    }
  }
  return { remaining: results.filter((r) => r.outcome === 'failed').map((r) => r.flag), results };
}

function restoredMessage(flag: TouchedFlag): string {
  if (flag.onAbort === 'disable') return `turned ${describeFlag(flag)} off (onAbort: disable)`;
  const rollout = flag.previousRollout === undefined ? 'removed the gradual rollout Sluice added' : `gradual rollout back at ${flag.previousRollout}%`;
  return `put ${describeFlag(flag)} back: ${flag.previousEnabled ? 'enabled' : 'disabled'}, ${rollout}`;
}
