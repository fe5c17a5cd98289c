/**
 * successCondition / failureCondition: CEL over `result` (a number for a single value, a list of numbers for a
 * vector of several series, a list per series for a range). Each expression is compiled and type-checked once
 * and cached. Evaluation runs in a worker under a deadline (celSandbox.ts), on a result of bounded size (at most
 * maxConditionSamples numbers, or maxConditionJsonChars of JSON text for another value); errors
 * and overruns become an Error measurement, never a crash or a stalled event loop.
 *
 * The rule for missing or unusable data ("no data is never a pass"):
 * - an empty result is Inconclusive, whatever the conditions say: there is no number to judge;
 * - a result holding NaN or ±Inf (anywhere: in a JSON object's field or a nested list too) is never Successful: the successCondition is not consulted; a failureCondition
 *   that holds still fails the measurement (a +Inf latency is a real failure), otherwise it is Inconclusive.
 * With finite data: a failureCondition that holds fails; then a successCondition that holds succeeds; when
 * neither holds the measurement is Failed if only a successCondition is set, Inconclusive if both are set,
 * and Successful if only a failureCondition is set (it did not hold on real data) and the result is numbers or
 * true/false (a boolean, or a list of booleans).
 * A failureCondition alone never passes any other JSON value (a string, an object, a list of strings): CEL's
 * equality across types is simply false ("false" == false), so a condition that did not hold may only have
 * compared a value it does not understand. Such a result is an Error asking for a successCondition, which then
 * says what a pass looks like.
 */
import { compileCondition, type CelValue } from './celProgram.ts';
import { CelSandbox } from './celSandbox.ts';
import type { PromResult } from './prometheus.ts';
import type { JsonValue } from './provider.ts';
import { describeJson, holdsNonFinite, type Scrub } from './providerAnswer.ts';

export { compileCondition } from './celProgram.ts';

export type MeasuredPhase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

/** What decided a verdict: a condition, or the data itself (none, or NaN/Inf that is never a pass). */
export type DecidedBy = 'successCondition' | 'failureCondition' | 'noData' | 'nonFinite';

export interface ConditionVerdict {
  phase: MeasuredPhase;
  message: string | undefined;
  /** Absent for an Error, and when the metric has no condition to decide. */
  decidedBy?: DecidedBy;
}

export interface Conditions {
  successCondition?: string | undefined;
  failureCondition?: string | undefined;
}

/** The data a condition judges: every result kind but errors, which never reach a condition. */
export type PromData = Exclude<PromResult, { kind: 'error' }>;

/**
 * What a condition judges: numbers (from any provider), or a JSON value that is not numbers (a web endpoint's
 * `{"ok": true}`), which `result` then holds as it is.
 */
export type Judgeable = PromData | { kind: 'json'; value: Exclude<JsonValue, null | number> };

/**
 * The most samples a condition judges. Prometheus itself returns at most 11,000 points per series; a result
 * beyond this is a query that should aggregate, and even a linear condition over it costs more than it tells.
 */
export const maxConditionSamples = 11_000;

/**
 * The most JSON text (in characters, as JSON.stringify writes it) a condition judges. A web answer may be 1 MiB;
 * copying that into the worker and walking it each measurement costs more than a condition should, and a
 * condition needs the part of the document that decides, which jsonPath picks.
 */
export const maxConditionJsonChars = 64 * 1024;

/** Why `data` is too large to hand to a condition, or undefined. For the Prometheus client to check early too. */
export function resultTooLarge(data: Judgeable): string | undefined {
  if (data.kind === 'json') {
    const chars = JSON.stringify(data.value).length;
    if (chars <= maxConditionJsonChars) return undefined;
    return `the result is ${chars} characters of JSON, more than the ${maxConditionJsonChars} (64 KiB) a condition may judge: point jsonPath at the part of the answer the conditions need`;
  }
  const samples = numbersOf(data).length;
  if (samples <= maxConditionSamples) return undefined;
  const series = data.kind === 'matrix' ? ` in ${data.series.length} series` : '';
  return `the query returned ${samples} samples${series}, more than the ${maxConditionSamples} a condition may judge: aggregate it (e.g. sum by or max by), or raise range.step`;
}

let sharedSandbox: CelSandbox | undefined;

/** The process's one condition evaluator, started on first use. */
function defaultSandbox(): CelSandbox {
  return (sharedSandbox ??= new CelSandbox());
}

/** The value of `result`: a number for one value, a list for several, a list per series for a range. */
export function celResult(data: Judgeable): CelValue | undefined {
  switch (data.kind) {
    case 'json':
      return data.value;
    case 'empty':
      return undefined;
    case 'scalar':
    case 'vector':
      return data.values.length === 1 ? data.values[0]! : data.values;
    case 'matrix':
      return data.series.length === 1
        ? data.series[0]!.length === 1
          ? data.series[0]![0]!
          : data.series[0]!
        : data.series;
  }
}

function numbersOf(data: Judgeable): number[] {
  if (data.kind === 'empty' || data.kind === 'json') return [];
  return data.kind === 'matrix' ? data.series.flat() : data.values;
}

/** A boolean, or a list of booleans only: what a failureCondition alone can judge besides numbers. */
function isBooleans(value: JsonValue): boolean {
  return typeof value === 'boolean' || (Array.isArray(value) && value.every((v) => typeof v === 'boolean'));
}

type Outcome = { holds: boolean } | { error: string };

async function evaluate(
  name: string,
  expression: string,
  result: CelValue,
  sandbox: CelSandbox,
  scrub: Scrub,
): Promise<Outcome> {
  const compiled = compileCondition(expression);
  if (!compiled.ok) return { error: `${name} ${expression} is not valid CEL: ${compiled.error}` };
  const evaluated = await sandbox.evaluate(expression, result);
  if ('overBudget' in evaluated) {
    return {
      error: `${name} ${expression} was too expensive to evaluate and was stopped (${evaluated.overBudget}): compare an aggregate such as max or avg instead of looping over every sample, or make the query return fewer samples (aggregate it, or raise range.step)`,
    };
  }
  if ('error' in evaluated) {
    const hint = Array.isArray(result)
      ? ` (result is a list of ${result.length}: use result[0] or result.all(x, ...))`
      : typeof result === 'number'
        ? ''
        : ` (result is ${describeJson(result, scrub)}, not a number: compare it as what it is, or point the provider at a number)`;
    return { error: `${name} ${expression} could not be evaluated: ${evaluated.error}${hint}` };
  }
  const value = evaluated.value;
  if (typeof value !== 'boolean')
    return { error: `${name} ${expression} must give true or false, gave ${String(value)}` };
  return { holds: value };
}

/**
 * Judges one measured result by the metric's conditions, following the rule in this file's comment. The
 * conditions run in `sandbox` (by default the process's one evaluator), never on the event loop. A message that
 * quotes the result quotes it through `scrub` (the measurement's Secret values replaced) before cutting it short.
 */
export async function judgeByConditions(
  conditions: Conditions,
  data: Judgeable,
  sandbox: CelSandbox = defaultSandbox(),
  scrub: Scrub = (text) => text,
): Promise<ConditionVerdict> {
  const { successCondition: success, failureCondition: failure } = conditions;
  const result = celResult(data);
  if (result === undefined)
    return {
      phase: 'Inconclusive',
      message: 'the query returned no data; no data is never a pass',
      decidedBy: 'noData',
    };
  const tooLarge = resultTooLarge(data);
  if (tooLarge !== undefined) return { phase: 'Error', message: tooLarge };

  const failed =
    failure === undefined ? undefined : await evaluate('failureCondition', failure, result, sandbox, scrub);
  if (failed !== undefined && 'error' in failed) return { phase: 'Error', message: failed.error };
  if (failed?.holds === true)
    return { phase: 'Failed', message: `failureCondition ${failure}`, decidedBy: 'failureCondition' };

  const nonFinite =
    data.kind === 'json' ? holdsNonFinite(data.value) : numbersOf(data).some((n) => !Number.isFinite(n));
  if (nonFinite) {
    return {
      phase: 'Inconclusive',
      message: 'the result holds NaN or an infinity; such a value is never a pass',
      decidedBy: 'nonFinite',
    };
  }
  if (success === undefined) {
    if (failure === undefined)
      return { phase: 'Error', message: 'the metric has neither successCondition nor failureCondition' };
    if (data.kind === 'json' && !isBooleans(data.value)) {
      return {
        phase: 'Error',
        message: `failureCondition ${failure} did not hold, but result is ${describeJson(data.value, scrub)}: a failureCondition alone judges numbers or true/false only, since a value of another type can fail to match without being good; add a successCondition that says what a pass looks like`,
      };
    }
    return { phase: 'Successful', message: undefined, decidedBy: 'failureCondition' };
  }
  const succeeded = await evaluate('successCondition', success, result, sandbox, scrub);
  if ('error' in succeeded) return { phase: 'Error', message: succeeded.error };
  if (succeeded.holds) return { phase: 'Successful', message: undefined, decidedBy: 'successCondition' };
  if (failure === undefined)
    return { phase: 'Failed', message: `successCondition ${success} not met`, decidedBy: 'successCondition' };
  return {
    phase: 'Inconclusive',
    message: `neither successCondition ${success} nor failureCondition ${failure} holds`,
  };
}
