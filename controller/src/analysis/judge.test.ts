import { describe, expect, it } from 'vitest';
import { judge, mannWhitney, minSamplesPerSide, type JudgeOptions } from './judge.ts';

/** mulberry32: a small seeded generator, so that every run sees the same samples. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Latency-like samples: log-normal around `median` seconds (Box-Muller for the normal part). */
function latencies(seed: number, n: number, median: number, sigma = 0.15): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    return median * Math.exp(sigma * z);
  });
}

const opts: JudgeOptions = {
  what: 'p99 latency',
  direction: 'increase',
  confidence: 0.98,
  allowedIncrease: 1.1,
  allowedDecrease: 1,
};

describe('mannWhitney', () => {
  it('matches the textbook normal approximation without ties', () => {
    // R: wilcox.test(1:8, 9:16, alternative = "less", exact = FALSE, correct = TRUE)$p.value = 0.00047
    const t = mannWhitney([1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 16]);
    expect(t.u).toBe(0);
    expect(t.pLess).toBeCloseTo(0.00047, 5);
    expect(t.pGreater).toBeCloseTo(1, 3);
  });

  it('corrects the variance for ties', () => {
    // Ranks 1.5 1.5 | 4 4 4 | 7 7 7; U = 1; variance 16/12 * (9 - 54/56); z = 6.5 / 3.2733.
    const t = mannWhitney([1, 1, 2, 2], [2, 3, 3, 3]);
    expect(t.u).toBe(1);
    expect(t.pLess).toBeCloseTo(0.02353, 4);
  });

  it('finds no difference when every value is the same', () => {
    expect(mannWhitney([5, 5, 5], [5, 5])).toEqual({ u: 3, pGreater: 1, pLess: 1 });
  });

  it('ranks infinities above and below every finite value', () => {
    const t = mannWhitney([Infinity, Infinity, 3], [1, 2, -Infinity]);
    expect(t.u).toBe(9);
  });
});

describe('judge', () => {
  const n = 30;

  it('calls a canary 30% slower High, and says by how much and why', () => {
    const result = judge(latencies(1, n, 0.13), latencies(2, n, 0.1), opts);
    expect(result.classification).toBe('High');
    expect(result.reason).toMatch(
      /^canary p99 latency is [23]\d% higher than stable \(U=\d+(\.5)?, p(=[0-9.e-]+|<0\.0001) < 0\.02\); allowed up to \+10%$/,
    );
    expect(result.ratio).toBeGreaterThan(1.2);
  });

  it('passes a canary from the same distribution', () => {
    const result = judge(latencies(3, n, 0.1), latencies(4, n, 0.1), opts);
    expect(result.classification).toBe('Pass');
    expect(result.reason).toContain('stable');
  });

  it('passes a canary 30% faster when only an increase is a regression', () => {
    const result = judge(latencies(5, n, 0.07), latencies(6, n, 0.1), opts);
    expect(result.classification).toBe('Pass');
    expect(result.reason).toMatch(
      /^canary p99 latency is [23]\d% lower than stable .*; only an increase counts as a regression$/,
    );
  });

  it('calls a canary 30% lower Low when either direction is a regression', () => {
    const result = judge(latencies(5, n, 0.07), latencies(6, n, 0.1), {
      ...opts,
      direction: 'either',
      allowedDecrease: 0.9,
    });
    expect(result.classification).toBe('Low');
    expect(result.reason).toMatch(/allowed down to -10%$/);
  });

  it('calls a throughput drop Low with direction decrease, and passes a rise', () => {
    const decrease = { ...opts, what: 'throughput', direction: 'decrease' as const };
    expect(judge(latencies(7, n, 70), latencies(8, n, 100), decrease).classification).toBe('Low');
    expect(judge(latencies(9, n, 130), latencies(10, n, 100), decrease).classification).toBe('Pass');
  });

  it('tolerates a real but small increase within allowedIncrease', () => {
    const result = judge(latencies(11, 200, 0.105, 0.05), latencies(12, 200, 0.1, 0.05), opts);
    expect(result.p).toBeLessThan(0.02);
    expect(result.classification).toBe('Pass');
    expect(result.reason).toMatch(/within the allowed \+10%$/);
  });

  it('is calibrated: same distributions rarely fail, a 30% regression almost always does', () => {
    let falseAlarms = 0;
    let caught = 0;
    const trials = 200;
    for (let seed = 100; seed < 100 + trials; seed++) {
      if (
        judge(latencies(seed, n, 0.1), latencies(seed + 10_000, n, 0.1), { ...opts, allowedIncrease: 1 })
          .classification !== 'Pass'
      )
        falseAlarms++;
      if (judge(latencies(seed + 20_000, n, 0.13), latencies(seed + 30_000, n, 0.1), opts).classification === 'High')
        caught++;
    }
    // One-sided at 0.98: about 2% false alarms expected.
    expect(falseAlarms / trials).toBeLessThan(0.05);
    expect(caught / trials).toBeGreaterThan(0.95);
  });

  it('has no data for empty samples, and never passes them', () => {
    const result = judge([], [], opts);
    expect(result.classification).toBe('NoData');
    expect(result.reason).toBe(
      `too few samples to compare p99 latency: canary has 0, stable 0; the judge needs at least ${minSamplesPerSide} on each side (lengthen range.lookback, shorten range.step, or check that both tracks get traffic)`,
    );
  });

  it('has no data when one side has too few samples', () => {
    expect(judge(latencies(1, minSamplesPerSide - 1, 0.1), latencies(2, n, 0.1), opts).classification).toBe('NoData');
    expect(
      judge(latencies(1, minSamplesPerSide, 0.1), latencies(2, minSamplesPerSide, 0.1), opts).classification,
    ).not.toBe('NoData');
  });

  it('drops NaN samples and has no data when too few remain', () => {
    const nan = Array.from({ length: n }, () => NaN);
    const result = judge(nan, latencies(2, n, 0.1), opts);
    expect(result.classification).toBe('NoData');
    expect(result.reason).toContain('canary has 0, stable 30 (30 NaN samples dropped)');
    const some = [...latencies(1, n, 0.13), NaN, NaN];
    const judged = judge(some, latencies(2, n, 0.1), opts);
    expect(judged.classification).toBe('High');
    expect(judged.canaryCount).toBe(n);
    expect(judged.reason).toContain('(2 NaN samples dropped)');
  });

  it('calls a canary with many +Inf samples High, and never passes infinities', () => {
    const infinities = (k: number) => Array.from({ length: k }, () => Infinity);
    const high = judge([...latencies(1, 10, 0.1), ...infinities(20)], latencies(2, n, 0.1), opts);
    expect(high.classification).toBe('High');
    expect(high.reason).toContain('infinitely higher than stable');
    const some = judge([...latencies(1, 25, 0.1), ...infinities(5)], latencies(2, n, 0.1), opts);
    expect(some.classification).toBe('NoData');
    expect(some.reason).toMatch(/; samples hold infinities, which are never a pass$/);
    expect(judge(latencies(1, n, 0.1), [...latencies(2, n - 1, 0.1), -Infinity], opts).classification).toBe('NoData');
    expect(
      judge([...latencies(1, n - 1, 0.1), Infinity], [...latencies(2, n - 1, 0.1), Infinity], opts).reason,
    ).toContain('cannot be compared');
  });

  it('sees no change between two zero series', () => {
    const zeros = Array.from({ length: n }, () => 0);
    expect(judge(zeros, zeros, opts)).toMatchObject({ classification: 'Pass', ratio: 1, p: 1 });
  });

  it('calls any significant rise from a zero stable infinitely higher', () => {
    const zeros = Array.from({ length: n }, () => 0);
    expect(judge(latencies(1, n, 0.01), zeros, opts).classification).toBe('High');
  });
});
