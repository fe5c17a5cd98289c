/**
 * The pure vocabulary of flag steps: which flag a setFlag step names, what status.flags records of a flag before
 * Sluice changes it, the Unleash operations the planner may ask for, and how their outcomes read. The planner
 * (planner/flags.ts) decides with these; the executor hands the operations to the background, which calls Unleash
 * (reconcile/flagWork.ts). Nothing here does I/O.
 *
 * A flag's previous state reaches status before Sluice changes the flag: a read is asked for first, its outcome is
 * recorded in status, and only a Rollout whose written status holds that record asks for the set. A controller
 * killed between the two cannot then mistake its own change for the state to restore.
 */
import type { TouchedFlag } from '../api/types.ts';
import type { ResolvedStep } from '../api/steps.ts';
import { describeFlag, type FlagRef, type FlagState, type StrategyChoice } from './flagEnvironment.ts';
import type { AdminResult } from './unleashAdmin.ts';

export type ResolvedSetFlagStep = Extract<ResolvedStep, { kind: 'setFlag' }>;

/** An Unleash call the planner asks for; `id` names its outcome, `lane` is the flag (calls to one flag go in order). */
export type FlagOperation =
  | { kind: 'read'; flag: FlagRef }
  | { kind: 'set'; flag: FlagRef; percent: number; choice: StrategyChoice }
  | { kind: 'restore'; flag: TouchedFlag }
  | { kind: 'disable'; flag: TouchedFlag };

export interface PlannedFlagOperation {
  id: string;
  operation: FlagOperation;
  /** Run it again although an outcome is kept (the last try failed and its wait is over). */
  retry: boolean;
}

/** What the planner knows of an operation: not asked for, under way, or its outcome and how old it is. */
export type FlagOperationState = undefined | { kind: 'pending' } | { kind: 'done'; result: AdminResult; ageMs: number };

export interface FlagStepTiming {
  /** Wait before trying again after Unleash was unreachable or refused for a passing reason. */
  retryAfterMs: number;
  /** Wait before looking again at a step that needs a person (bad token, missing flag). */
  recheckInvalidAfterMs: number;
}

export const defaultFlagStepTiming: FlagStepTiming = { retryAfterMs: 10_000, recheckInvalidAfterMs: 60_000 };

/** The flag a step names, with the controller's default project and environment filled in. */
export function flagOfStep(
  step: ResolvedSetFlagStep,
  defaults: { defaultEnvironment: string; defaultProject: string },
): FlagRef {
  return {
    name: step.flag.name,
    project: step.flag.project ?? defaults.defaultProject,
    environment: step.flag.environment ?? defaults.defaultEnvironment,
  };
}

export function sameFlag(a: FlagRef, b: FlagRef): boolean {
  return a.name === b.name && a.project === b.project && a.environment === b.environment;
}

/** A flag as one word for ids and lanes: the three names cannot contain "/" in Unleash, but are escaped anyway. */
export function flagKey(flag: FlagRef): string {
  return [flag.project, flag.environment, flag.name].map(encodeURIComponent).join('/');
}

/** The status.flags entry for a flag read before the rollout changes it. */
export function touchedFlagFrom(flag: FlagRef, state: FlagState, onAbort: TouchedFlag['onAbort']): TouchedFlag {
  const entry: TouchedFlag = {
    name: flag.name,
    project: flag.project,
    environment: flag.environment,
    previousEnabled: state.enabled,
    rollout: state.rollout?.percent ?? 0,
    onAbort,
  };
  if (state.rollout !== undefined) {
    entry.previousRollout = state.rollout.percent;
    entry.strategyId = state.rollout.strategyId;
  }
  return entry;
}

export function describeState(state: FlagState): string {
  return `${state.enabled ? 'enabled' : 'disabled'}${state.rollout === undefined ? ', no gradual rollout' : `, ${state.rollout.percent}%`}`;
}

/** The entry after a confirmed set: the percentage, and the strategy Sluice now steers if it had to add one. */
export function touchedFlagAfterSet(
  touched: TouchedFlag,
  percent: number,
  onAbort: TouchedFlag['onAbort'],
  state: FlagState,
): TouchedFlag {
  const updated: TouchedFlag = { ...touched, rollout: percent, onAbort };
  const strategy = state.rollout;
  if (strategy !== undefined && strategy.strategyId !== touched.strategyId) {
    // The recorded strategy is gone (someone removed it) and Sluice steers one it added: an abort removes that.
    updated.strategyId = strategy.strategyId;
    delete updated.previousRollout;
  }
  return updated;
}

/** The strategy a set steers: the recorded one; without one, only a strategy Sluice adds (a restore removes it). */
export function setChoice(touched: TouchedFlag): StrategyChoice {
  return touched.strategyId === undefined ? { kind: 'own' } : { kind: 'id', id: touched.strategyId };
}

/** The operation an abort asks for to put a flag back (or off, with onAbort: disable). */
export function restoreOperation(flag: TouchedFlag): FlagOperation {
  return flag.onAbort === 'disable' ? { kind: 'disable', flag } : { kind: 'restore', flag };
}

export function restoredMessage(flag: TouchedFlag): string {
  if (flag.onAbort === 'disable') return `turned ${describeFlag(flag)} off (onAbort: disable)`;
  const rollout =
    flag.previousRollout === undefined
      ? 'removed the gradual rollout Sluice added'
      : `gradual rollout back at ${flag.previousRollout}%`;
  return `put ${describeFlag(flag)} back: ${flag.previousEnabled ? 'enabled' : 'disabled'}, ${rollout}`;
}
