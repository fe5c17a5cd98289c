/**
 * Why a measurement or a metric reached its verdict, in one short line for people: the value against the condition
 * that decided ("value 0.31 vs successCondition result < 0.05 (not met)"), or canary against stable with the
 * judge's numbers ("canary mean 0.412 vs stable mean 0.3, ratio 1.37, p=0.004, U=3410, 60/60 samples"). Read
 * from status alone (measurements[].decidedBy and .judge), so that the dashboard and `kubectl sluice status` say
 * the same thing. The condition is the one the measurement's message recorded when it was judged (a failure
 * records it); the template may have been edited since, so its conditions - when the caller has them - only fill
 * in for a measurement that recorded none (a pass records none, to keep status small), and are said to be the
 * template's as it is now. No Node import: the dashboard's view model uses it too.
 */
import type { Measurement, MetricResult } from '../api/types.ts';

export interface MetricConditions {
  successCondition?: string | undefined;
  failureCondition?: string | undefined;
}

function short(n: number): string {
  return String(Number(n.toPrecision(3)));
}

function pValue(p: number): string {
  return p < 0.0001 ? 'p<0.0001' : `p=${Number(p.toPrecision(2))}`;
}

/** The condition a message names: "failureCondition <expr>" or "successCondition <expr> not met". */
function conditionInMessage(message: string | undefined, which: 'successCondition' | 'failureCondition') {
  if (message?.startsWith(`${which} `) !== true) return undefined;
  const expr = message.slice(which.length + 1);
  return expr.endsWith(' not met') ? expr.slice(0, -' not met'.length) : expr;
}

function explainJudge(judge: NonNullable<Measurement['judge']>, message: string | undefined): string {
  const counts = `${judge.canaryCount}/${judge.stableCount} samples`;
  if (judge.canaryMean === undefined || judge.stableMean === undefined) {
    // Not compared (too few samples, or infinite means): the judge's reason, in the message, says which.
    if (judge.u === undefined) return message ?? `canary vs stable not compared, ${counts}`;
    const ratio = judge.effectSize === undefined ? '' : `, ratio ${short(judge.effectSize)}`;
    // Status keeps a mean only when finite and within its bound: one left out is either, and status cannot say which.
    return `canary vs stable${ratio}${judge.p === undefined ? '' : `, ${pValue(judge.p)}`}, U=${Number(judge.u.toPrecision(6))}, ${counts} (a mean is infinite or too large for status)`;
  }
  const parts = [`canary mean ${short(judge.canaryMean)} vs stable mean ${short(judge.stableMean)}`];
  if (judge.effectSize !== undefined) parts.push(`ratio ${short(judge.effectSize)}`);
  if (judge.p !== undefined) parts.push(pValue(judge.p));
  if (judge.u !== undefined) parts.push(`U=${Number(judge.u.toPrecision(6))}`);
  parts.push(counts);
  return parts.join(', ');
}

/** The condition that judged `m`: as its message recorded it, else the template's now, with a note saying so. */
function judgedBy(m: Measurement, conditions: MetricConditions, which: 'successCondition' | 'failureCondition') {
  const recorded = conditionInMessage(m.message, which);
  if (recorded !== undefined) return { expr: recorded, note: '' };
  const now = conditions[which];
  return now === undefined ? undefined : { expr: now, note: " (the template's condition now)" };
}

/** Why one measurement has its phase; undefined when status holds nothing to explain it with (an Error). */
export function explainMeasurement(m: Measurement, conditions: MetricConditions = {}): string | undefined {
  if (m.judge !== undefined) return explainJudge(m.judge, m.message);
  const value = `value ${m.value ?? 'unknown'}`;
  switch (m.decidedBy) {
    case undefined:
      return m.phase === 'Inconclusive' && m.value !== undefined ? `${value}: neither condition holds` : undefined;
    case 'noData':
      return 'no data: the query returned nothing, which is never a pass';
    case 'nonFinite':
      return `${value}: NaN or an infinity is never a pass`;
    case 'failureCondition': {
      const failure = judgedBy(m, conditions, 'failureCondition');
      if (failure === undefined) return value;
      return m.phase === 'Failed'
        ? `${value} vs failureCondition ${failure.expr}${failure.note}`
        : `${value}: failureCondition ${failure.expr} does not hold${failure.note}`;
    }
    case 'successCondition': {
      const success = judgedBy(m, conditions, 'successCondition');
      if (success === undefined) return value;
      return m.phase === 'Failed'
        ? `${value} vs successCondition ${success.expr} (not met)${success.note}`
        : `${value} meets ${success.expr}${success.note}`;
    }
  }
}

/**
 * Why a metric has its phase, by what decided it: its newest failed measurement when it failed; its errors in a
 * row when it ended in Error; its newest inconclusive measurement when it ended Inconclusive, or, with none, the
 * streak of successes it did not reach; else its newest measurement that is not an Error.
 */
export function explainMetric(result: MetricResult, conditions: MetricConditions = {}): string | undefined {
  const decisive = result.measurements.filter((m) => m.phase !== 'Error');
  switch (result.phase) {
    case 'Failed':
      return explainChosen(
        decisive.findLast((m) => m.phase === 'Failed'),
        conditions,
      );
    case 'Error': {
      const last = result.measurements.findLastIndex((m) => m.phase !== 'Error');
      const errors = result.measurements.slice(last + 1);
      const message = errors.at(-1)?.message;
      const inARow = `${errors.length} error${errors.length === 1 ? '' : 's'} in a row (consecutiveErrorLimit)`;
      return message === undefined ? inARow : `${inARow}, the last: ${message}`;
    }
    case 'Inconclusive': {
      const inconclusive = decisive.findLast((m) => m.phase === 'Inconclusive');
      if (inconclusive !== undefined) return explainChosen(inconclusive, conditions);
      return `${decisive.length} measurements without the successes in a row it asks for (consecutiveSuccessLimit)`;
    }
    default:
      return explainChosen(decisive.at(-1), conditions);
  }
}

function explainChosen(m: Measurement | undefined, conditions: MetricConditions): string | undefined {
  return m === undefined ? undefined : explainMeasurement(m, conditions);
}
