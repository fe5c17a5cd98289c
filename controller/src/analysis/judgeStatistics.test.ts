import { describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { judgeStatistics as judgeStatisticsSchema } from '../api/rolloutStatus.schema.ts';
import { judge } from './judge.ts';
import { latencyJudgeOptions, samples } from './judge.test-support.ts';
import { judgeStatistics } from './judgeStatistics.ts';

const opts = latencyJudgeOptions;

describe('judgeStatistics', () => {
  it("records the judge's U, p, ratio, means and counts, within the status schema", () => {
    const stats = judgeStatistics(judge(samples(0.412), samples(0.3), opts));
    expect(stats).toMatchObject({ u: 400, canaryCount: 20, stableCount: 20, canaryMean: 0.414, stableMean: 0.302 });
    expect(stats.effectSize).toBeCloseTo(0.414 / 0.302, 5);
    expect(stats.p).toBeGreaterThan(0);
    expect(stats.p).toBeLessThan(1e-4);
    expect(Value.Check(judgeStatisticsSchema, stats)).toBe(true);
  });

  it('leaves out what is not a finite number (JSON has no infinity) and keeps the counts', () => {
    const stats = judgeStatistics(judge([...samples(1, 19), Infinity], samples(0, 20), opts));
    expect(stats.canaryCount).toBe(20);
    expect(stats).not.toHaveProperty('effectSize');
    expect(stats).not.toHaveProperty('canaryMean');
    expect(stats.stableMean).toBeCloseTo(0.002);
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
    expect(Value.Check(judgeStatisticsSchema, stats)).toBe(true);
  });

  it('keeps only the counts when there were too few samples to compare', () => {
    expect(judgeStatistics(judge([1, 2], [], opts))).toEqual({ canaryCount: 2, stableCount: 0 });
  });
});

describe('judgeStatistics bounds', () => {
  it('leaves out a mean beyond the bound the CRD can hold, and the CRD bound is an integer the API server reads', () => {
    const stats = judgeStatistics(judge(samples(5e15), samples(1), opts));
    expect(stats).not.toHaveProperty('canaryMean');
    expect(stats.stableMean).toBeCloseTo(1.002);
    expect(Value.Check(judgeStatisticsSchema, stats)).toBe(true);
    expect(Number.isSafeInteger((judgeStatisticsSchema.properties.u as { maximum?: number }).maximum)).toBe(true);
  });
});

describe('judgeStatistics of a metric that can be negative', () => {
  it('records a negative ratio of means, which the schema accepts', () => {
    const stats = judgeStatistics(judge(samples(2), samples(-1), { ...opts, direction: 'either' }));
    expect(stats.effectSize).toBeLessThan(0);
    expect(stats.stableMean).toBeLessThan(0);
    expect(Value.Check(judgeStatisticsSchema, stats)).toBe(true);
  });
});
