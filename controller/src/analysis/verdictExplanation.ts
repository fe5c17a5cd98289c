/**
 * Why a measurement or a metric reached its verdict, in one short line for people: the value against the condition
 * that decided ("value 0.31 vs successCondition result < 0.05 (not met)"), or canary against stable with the
 * judge's numbers ("canary mean 0.412 vs stable mean 0.3, ratio 1.37, p=0.004, U=3410, 60/60 samples"). Read
 * from status alone (measurements[].decidedBy and .judge), so that the dashboard and `kubectl sluice status` say
 * the same thing; the template's conditions are used when the caller has them, else the measurement's message
 * names the condition. No Node import: the dashboard's view model uses it too.
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

function explainJudge(judge: NonNullable<Measurement['judge']>): string {
  const counts = `${judge.canaryCount}/${judge.stableCount} samples`;
  if (judge.canaryMean === undefined || judge.stableMean === undefined) {
    const ratio = judge.effectSize === undefined ? '' : `, ratio ${short(judge.effectSize)}`;
    return judge.u === undefined
      ? `too few samples to compare: ${judge.canaryCount} canary, ${judge.stableCount} stable`
      : `canary vs stable${ratio}${judge.p === undefined ? '' : `, ${pValue(judge.p)}`}, U=${Number(judge.u.toPrecision(6))}, ${counts} (a mean is not finite)`;
  }
  const parts = [`canary mean ${short(judge.canaryMean)} vs stable mean ${short(judge.stableMean)}`];
  if (judge.effectSize !== undefined) parts.push(`ratio ${short(judge.effectSize)}`);
  if (judge.p !== undefined) parts.push(pValue(judge.p));
  if (judge.u !== undefined) parts.push(`U=${Number(judge.u.toPrecision(6))}`);
  parts.push(counts);
  return parts.join(', ');
}

/** Why one measurement has its phase; undefined when status holds nothing to explain it with (an Error). */
export function explainMeasurement(m: Measurement, conditions: MetricConditions = {}): string | undefined {
  if (m.judge !== undefined) return explainJudge(m.judge);
  const value = `value ${m.value ?? 'unknown'}`;
  const success = conditions.successCondition ?? conditionInMessage(m.message, 'successCondition');
  const failure = conditions.failureCondition ?? conditionInMessage(m.message, 'failureCondition');
  switch (m.decidedBy) {
    case undefined:
      return m.phase === 'Inconclusive' && m.value !== undefined ? `${value}: neither condition holds` : undefined;
    case 'noData':
      return 'no data: the query returned nothing, which is never a pass';
    case 'nonFinite':
      return `${value}: NaN or an infinity is never a pass`;
    case 'failureCondition':
      if (failure === undefined) return value;
      return m.phase === 'Failed'
        ? `${value} vs failureCondition ${failure}`
        : `${value}: failureCondition ${failure} does not hold`;
    case 'successCondition':
      if (success === undefined) return value;
      return m.phase === 'Failed' ? `${value} vs successCondition ${success} (not met)` : `${value} meets ${success}`;
  }
}

/**
 * Why a metric has its phase: its newest failed measurement when it failed, else its newest measurement that is not
 * an Error (errors explain themselves in their message).
 */
export function explainMetric(result: MetricResult, conditions: MetricConditions = {}): string | undefined {
  const decisive = result.measurements.filter((m) => m.phase !== 'Error');
  const chosen = result.phase === 'Failed' ? decisive.findLast((m) => m.phase === 'Failed') : decisive.at(-1);
  return chosen === undefined ? undefined : explainMeasurement(chosen, conditions);
}
