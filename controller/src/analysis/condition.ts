/**
 * successCondition / failureCondition: CEL over `result` (a number for a single value, a list of numbers for a
 * vector of several series, a list per series for a range). Each expression is compiled and type-checked once
 * and cached. Evaluation errors become an Error measurement, never a crash.
 *
 * The rule for missing or unusable data ("no data is never a pass"):
 * - an empty result is Inconclusive, whatever the conditions say: there is no number to judge;
 * - a result holding NaN or ±Inf is never Successful: the successCondition is not consulted; a failureCondition
 *   that holds still fails the measurement (a +Inf latency is a real failure), otherwise it is Inconclusive.
 * With finite data: a failureCondition that holds fails; then a successCondition that holds succeeds; when
 * neither holds the measurement is Failed if only a successCondition is set, Inconclusive if both are set,
 * and Successful if only a failureCondition is set (it did not hold on real data).
 */
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import type { PromResult } from './prometheus.ts';

export type MeasuredPhase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

export interface ConditionVerdict {
  phase: MeasuredPhase;
  message: string | undefined;
}

export interface Conditions {
  successCondition?: string | undefined;
  failureCondition?: string | undefined;
}

/** The data a condition judges: every result kind but errors, which never reach a condition. */
export type PromData = Exclude<PromResult, { kind: 'error' }>;

type CelValue = number | number[] | number[][];

const environment = new Environment().registerVariable('result', 'dyn');

type Compiled = { ok: true; run: ParseResult } | { ok: false; error: string };

/** Bounded, so that expressions edited over months cannot grow memory without end. */
const cacheLimit = 256;
const cache = new Map<string, Compiled>();

/** Compiles and type-checks an expression once; later calls get the cached program (or the cached error). */
export function compileCondition(expression: string): Compiled {
  const hit = cache.get(expression);
  if (hit !== undefined) {
    // Re-insert: Map keeps insertion order, so the first key is always the least recently used.
    cache.delete(expression);
    cache.set(expression, hit);
    return hit;
  }
  let compiled: Compiled;
  try {
    const run = environment.parse(expression);
    const checked = run.check();
    if (!checked.valid) compiled = { ok: false, error: checked.error?.summary ?? 'type error' };
    else if (checked.type !== 'bool' && checked.type !== 'dyn') compiled = { ok: false, error: `it gives ${checked.type}, not true or false` };
    else compiled = { ok: true, run };
  } catch (err) {
    compiled = { ok: false, error: celMessage(err) };
  }
  if (cache.size >= cacheLimit) cache.delete(cache.keys().next().value!);
  cache.set(expression, compiled);
  return compiled;
}

function celMessage(err: unknown): string {
  if (err !== null && typeof err === 'object' && 'summary' in err && typeof err.summary === 'string') return err.summary;
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

/** The value of `result`: a number for one value, a list for several, a list per series for a range. */
export function celResult(data: PromData): CelValue | undefined {
  switch (data.kind) {
    case 'empty':
      return undefined;
    case 'scalar':
    case 'vector':
      return data.values.length === 1 ? data.values[0]! : data.values;
    case 'matrix':
      return data.series.length === 1 ? (data.series[0]!.length === 1 ? data.series[0]![0]! : data.series[0]!) : data.series;
  }
}

function numbersOf(data: PromData): number[] {
  return data.kind === 'empty' ? [] : data.kind === 'matrix' ? data.series.flat() : data.values;
}

type Outcome = { holds: boolean } | { error: string };

function evaluate(name: string, expression: string, result: CelValue): Outcome {
  const compiled = compileCondition(expression);
  if (!compiled.ok) return { error: `${name} ${expression} is not valid CEL: ${compiled.error}` };
  let value: unknown;
  try {
    value = compiled.run({ result });
  } catch (err) {
    const hint = Array.isArray(result) ? ` (result is a list of ${result.length}: use result[0] or result.all(x, ...))` : '';
    return { error: `${name} ${expression} could not be evaluated: ${celMessage(err)}${hint}` };
  }
  if (typeof value !== 'boolean') return { error: `${name} ${expression} must give true or false, gave ${String(value)}` };
  return { holds: value };
}

/** Judges one measured result by the metric's conditions, following the rule in this file's comment. */
export function judgeByConditions(conditions: Conditions, data: PromData): ConditionVerdict {
  const { successCondition: success, failureCondition: failure } = conditions;
  const result = celResult(data);
  if (result === undefined) return { phase: 'Inconclusive', message: 'the query returned no data; no data is never a pass' };

  const failed = failure === undefined ? undefined : evaluate('failureCondition', failure, result);
  if (failed !== undefined && 'error' in failed) return { phase: 'Error', message: failed.error };
  if (failed?.holds === true) return { phase: 'Failed', message: `failureCondition ${failure}` };

  if (numbersOf(data).some((n) => !Number.isFinite(n))) {
    return { phase: 'Inconclusive', message: 'the result holds NaN or an infinity; such a value is never a pass' };
  }
  if (success === undefined) {
    return failure === undefined
      ? { phase: 'Error', message: 'the metric has neither successCondition nor failureCondition' }
      : { phase: 'Successful', message: undefined };
  }
  const succeeded = evaluate('successCondition', success, result);
  if ('error' in succeeded) return { phase: 'Error', message: succeeded.error };
  if (succeeded.holds) return { phase: 'Successful', message: undefined };
  if (failure === undefined) return { phase: 'Failed', message: `successCondition ${success} not met` };
  return { phase: 'Inconclusive', message: `neither successCondition ${success} nor failureCondition ${failure} holds` };
}
