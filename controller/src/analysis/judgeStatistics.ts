/**
 * The statistical judge's numbers as status records them on a measurement (measurements[].judge), so that the
 * dashboard and `kubectl sluice status` can say why a comparison failed. The effect size is the ratio of the
 * canary mean to the stable mean: the number allowedIncrease and allowedDecrease bound, so a reader compares it
 * with the spec directly. Only finite numbers are kept (JSON has no infinity; the judge's reason says it in
 * words), rounded to 6 significant digits so that status stays small and readable.
 */
import { maxStatistic } from '../api/rolloutStatus.schema.ts';
import type { Measurement } from '../api/types.ts';
import type { JudgeResult } from './judge.ts';

export type JudgeStatistics = NonNullable<Measurement['judge']>;

/** Within the schema's bounds of a statistic: finite, and not beyond ±maxStatistic. */
function bounded(n: number | undefined): number | undefined {
  if (n === undefined || !Number.isFinite(n) || Math.abs(n) > maxStatistic) return undefined;
  return Number(n.toPrecision(6));
}

export function judgeStatistics(result: JudgeResult): JudgeStatistics {
  const stats: JudgeStatistics = { canaryCount: result.canaryCount, stableCount: result.stableCount };
  const optional = {
    u: bounded(result.u),
    // p is kept to 2 significant digits below 1e-4 too: "p=3.1e-7" says as much as the full float.
    p: result.p === undefined ? undefined : bounded(Number(result.p.toPrecision(2))),
    effectSize: bounded(result.ratio),
    canaryMean: bounded(result.canaryMean),
    stableMean: bounded(result.stableMean),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (stats as Record<string, number>)[key] = value;
  }
  return stats;
}
