/**
 * The statistical judge's numbers as status records them on a measurement (measurements[].judge), so that the
 * dashboard and `kubectl sluice status` can say why a comparison failed. The effect size is the ratio of the
 * canary mean to the stable mean: the number allowedIncrease and allowedDecrease bound, so a reader compares it
 * with the spec directly. Only finite numbers are kept (JSON has no infinity; the judge's reason says it in
 * words), rounded to 6 significant digits so that status stays small and readable.
 */
import { judgeStatistics as schema } from '../api/rolloutStatus.schema.ts';
import type { Measurement } from '../api/types.ts';
import type { JudgeResult } from './judge.ts';

export type JudgeStatistics = NonNullable<Measurement['judge']>;

type Statistic = 'u' | 'p' | 'effectSize' | 'canaryMean' | 'stableMean';

/**
 * The value if it is finite and within the schema's bounds for the field, else undefined: a value the API server
 * would refuse must never reach status, where it would fail the whole write (and the abort it records).
 */
function bounded(field: Statistic, n: number | undefined): number | undefined {
  if (n === undefined || !Number.isFinite(n)) return undefined;
  const rounded = Number(n.toPrecision(6));
  const { minimum, maximum } = schema.properties[field] as { minimum?: number; maximum?: number };
  if ((minimum !== undefined && rounded < minimum) || (maximum !== undefined && rounded > maximum)) return undefined;
  return rounded;
}

export function judgeStatistics(result: JudgeResult): JudgeStatistics {
  const stats: JudgeStatistics = { canaryCount: result.canaryCount, stableCount: result.stableCount };
  const optional = {
    u: bounded('u', result.u),
    // p is kept to 2 significant digits below 1e-4 too: "p=3.1e-7" says as much as the full float.
    p: bounded('p', result.p === undefined ? undefined : Number(result.p.toPrecision(2))),
    effectSize: bounded('effectSize', result.ratio),
    canaryMean: bounded('canaryMean', result.canaryMean),
    stableMean: bounded('stableMean', result.stableMean),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (stats as Record<string, number>)[key] = value;
  }
  return stats;
}
