/**
 * The statistical judge (`compare:`): is the canary's metric worse than stable's over the same window?
 *
 * Mann-Whitney U on the two series of samples says whether the difference is real (at the configured
 * confidence, one-sided for direction increase/decrease, two-sided for either); the ratio of the means says
 * whether it is big enough to matter (allowedIncrease 1.1 tolerates up to +10%). A difference must be both
 * significant and beyond the bound to count, as in Kayenta. Classes: Pass, High, Low, NoData; too few samples
 * is NoData, never Pass.
 *
 * The p-value uses the normal approximation of U with the tie correction, written out here: simple-statistics
 * gives the rank sum (with average ranks for ties) but no p-value, and an exact distribution with ties is
 * costly. The approximation is good from about 8 samples per side, which is why fewer is NoData.
 */
import { errorFunction, wilcoxonRankSum } from 'simple-statistics';

export type JudgeClass = 'Pass' | 'High' | 'Low' | 'NoData';
export type Direction = 'increase' | 'decrease' | 'either';

export interface JudgeOptions {
  /** What is compared, for the reason: "canary <what> is 31% higher than stable". */
  what: string;
  direction: Direction;
  /** e.g. 0.98: a difference is real when p < 1 - confidence. */
  confidence: number;
  /** Largest tolerated canary/stable mean ratio, >= 1. */
  allowedIncrease: number;
  /** Smallest tolerated canary/stable mean ratio, <= 1. */
  allowedDecrease: number;
}

export interface JudgeResult {
  classification: JudgeClass;
  /** A sentence for humans saying what was found and why it passes or not. */
  reason: string;
  canaryCount: number;
  stableCount: number;
  u?: number;
  p?: number;
  /** Canary mean / stable mean. */
  ratio?: number;
  /** The means the ratio is of, for explaining a verdict ("canary 412 ms vs stable 300 ms"). */
  canaryMean?: number;
  stableMean?: number;
}

/** Fewer samples than this on either side is NoData: the normal approximation (and the test's power) needs them. */
export const minSamplesPerSide = 8;

export interface MannWhitney {
  /** U of the first sample: how often one of its values beats one of the second's (ties count half). */
  u: number;
  /** P(U this large or larger) if both came from one distribution: evidence that the first is higher. */
  pGreater: number;
  /** P(U this small or smaller): evidence that the first is lower. */
  pLess: number;
}

function normalUpperTail(z: number): number {
  return 0.5 * (1 - errorFunction(z / Math.SQRT2));
}

/** Mann-Whitney U of x against y, with the tie-corrected normal approximation and a continuity correction. */
export function mannWhitney(x: readonly number[], y: readonly number[]): MannWhitney {
  const n1 = x.length;
  const n2 = y.length;
  const n = n1 + n2;
  // wilcoxonRankSum sorts by subtraction, which gives NaN for two infinities: stand them in by finite values
  // beyond every finite one (ranks depend only on order, so this changes nothing else).
  const finite = [...x, ...y].filter(Number.isFinite);
  const top = finite.reduce((a, b) => Math.max(a, b), 0) + 1;
  const bottom = finite.reduce((a, b) => Math.min(a, b), 0) - 1;
  const rankable = (v: number) => (v === Infinity ? top : v === -Infinity ? bottom : v);
  const u = wilcoxonRankSum(x.map(rankable), y.map(rankable)) - (n1 * (n1 + 1)) / 2;
  const counts = new Map<number, number>();
  for (const v of [...x, ...y]) counts.set(v, (counts.get(v) ?? 0) + 1);
  let ties = 0;
  for (const t of counts.values()) ties += t ** 3 - t;
  const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)));
  // Every value equal: no evidence of any difference.
  if (!(variance > 0)) return { u, pGreater: 1, pLess: 1 };
  const sd = Math.sqrt(variance);
  const centre = (n1 * n2) / 2;
  return {
    u,
    pGreater: Math.min(1, normalUpperTail((u - centre - 0.5) / sd)),
    pLess: Math.min(1, normalUpperTail((centre - u - 0.5) / sd)),
  };
}

function formatP(p: number): string {
  return p < 0.0001 ? '<0.0001' : `=${Number(p.toPrecision(2))}`;
}

function percent(ratio: number): string {
  return `${Math.round(Math.abs(ratio - 1) * 100)}%`;
}

/** A plain mean: simple-statistics' compensated sum turns one infinity into NaN. */
function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function ratioOf(canaryMean: number, stableMean: number): number {
  // Equal finite means (also both 0) are no change; a zero stable mean makes any increase infinite; two
  // infinite means cannot be compared.
  if (!Number.isFinite(canaryMean) && !Number.isFinite(stableMean)) return NaN;
  return canaryMean === stableMean ? 1 : canaryMean / stableMean;
}

/**
 * Judges canary samples against stable samples. NaN samples (steps without data) are dropped before counting.
 * Infinities are ranked like any value, so they can make a canary High or Low, but never let it Pass.
 */
export function judge(
  canarySamples: readonly number[],
  stableSamples: readonly number[],
  opts: JudgeOptions,
): JudgeResult {
  const canary = canarySamples.filter((v) => !Number.isNaN(v));
  const stable = stableSamples.filter((v) => !Number.isNaN(v));
  const counts = { canaryCount: canary.length, stableCount: stable.length };
  const dropped = canarySamples.length - canary.length + stableSamples.length - stable.length;
  const droppedNote = dropped > 0 ? ` (${dropped} NaN samples dropped)` : '';
  if (canary.length < minSamplesPerSide || stable.length < minSamplesPerSide) {
    return {
      classification: 'NoData',
      ...counts,
      reason:
        `too few samples to compare ${opts.what}: canary has ${canary.length}, stable ${stable.length}${droppedNote}; ` +
        `the judge needs at least ${minSamplesPerSide} on each side (lengthen range.lookback, shorten range.step, or check that both tracks get traffic)`,
    };
  }
  const means = { canaryMean: mean(canary), stableMean: mean(stable) };
  const ratio = ratioOf(means.canaryMean, means.stableMean);
  if (Number.isNaN(ratio)) {
    return {
      classification: 'NoData',
      ...counts,
      ...means,
      reason: `the means of ${opts.what} cannot be compared (both sides hold infinities)${droppedNote}`,
    };
  }
  const test = mannWhitney(canary, stable);
  const alpha = 1 - opts.confidence;
  const p =
    opts.direction === 'increase'
      ? test.pGreater
      : opts.direction === 'decrease'
        ? test.pLess
        : Math.min(1, 2 * Math.min(test.pGreater, test.pLess));
  const significant = p < alpha;
  const higher = ratio > 1;
  const change =
    ratio === 1
      ? 'the same as'
      : ratio === Infinity
        ? 'infinitely higher than'
        : `${percent(ratio)} ${higher ? 'higher' : 'lower'} than`;
  const stats = `U=${test.u}, p${formatP(p)} ${significant ? '<' : '>='} ${Number(alpha.toPrecision(3))}`;
  const base = { ...counts, ...means, u: test.u, p, ratio };
  const found = `canary ${opts.what} is ${change} stable (${stats})${droppedNote}`;

  if (significant && higher && opts.direction !== 'decrease' && ratio > opts.allowedIncrease) {
    return { classification: 'High', ...base, reason: `${found}; allowed up to +${percent(opts.allowedIncrease)}` };
  }
  if (significant && !higher && opts.direction !== 'increase' && ratio < opts.allowedDecrease) {
    return { classification: 'Low', ...base, reason: `${found}; allowed down to -${percent(opts.allowedDecrease)}` };
  }
  if (![...canary, ...stable].every(Number.isFinite)) {
    return { classification: 'NoData', ...base, reason: `${found}; samples hold infinities, which are never a pass` };
  }
  let why: string;
  if (ratio !== 1 && higher && opts.direction === 'decrease') why = 'only a decrease counts as a regression';
  else if (ratio !== 1 && !higher && opts.direction === 'increase') why = 'only an increase counts as a regression';
  else if (!significant) why = 'not a significant difference';
  else why = `within the allowed ${higher ? `+${percent(opts.allowedIncrease)}` : `-${percent(opts.allowedDecrease)}`}`;
  return { classification: 'Pass', ...base, reason: `${found}; ${why}` };
}
