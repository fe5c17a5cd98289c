import { describe, expect, it } from 'vitest';
import type { Measurement, MetricResult } from '../api/types.ts';
import { explainMeasurement, explainMetric } from './verdictExplanation.ts';

const at = { startedAt: '2026-11-30T10:00:00Z', finishedAt: '2026-11-30T10:00:01Z' };
const measured = (m: Partial<Measurement>): Measurement => ({ phase: 'Successful', ...at, ...m });

describe('explainMeasurement', () => {
  it('says the value against the condition that decided', () => {
    const failed = measured({ phase: 'Failed', value: '0.31', decidedBy: 'successCondition' });
    // A measurement that recorded no condition is explained by the template's, which may have changed since: said so.
    expect(explainMeasurement(failed, { successCondition: 'result < 0.05' })).toBe(
      "value 0.31 vs successCondition result < 0.05 (not met) (the template's condition now)",
    );
    // The condition the measurement's message recorded.
    const byFailure = measured({
      phase: 'Failed',
      value: '0.31',
      message: 'failureCondition result >= 0.10',
      decidedBy: 'failureCondition',
    });
    expect(explainMeasurement(byFailure)).toBe('value 0.31 vs failureCondition result >= 0.10');
    const notMet = { ...failed, message: 'successCondition result < 0.05 not met' };
    expect(explainMeasurement(notMet)).toBe('value 0.31 vs successCondition result < 0.05 (not met)');
    expect(
      explainMeasurement(measured({ value: '0.01', decidedBy: 'successCondition' }), {
        successCondition: 'result < 0.05',
      }),
    ).toBe("value 0.01 meets result < 0.05 (the template's condition now)");
  });

  it('says when the data decided: none, or NaN and infinities', () => {
    expect(explainMeasurement(measured({ phase: 'Inconclusive', value: 'no data', decidedBy: 'noData' }))).toMatch(
      /^no data/,
    );
    expect(explainMeasurement(measured({ phase: 'Inconclusive', value: 'NaN', decidedBy: 'nonFinite' }))).toBe(
      'value NaN: NaN or an infinity is never a pass',
    );
  });

  it("says canary against stable with the judge's numbers", () => {
    const judged = measured({
      phase: 'Failed',
      value: 'High (ratio 1.37, p=0.004)',
      judge: {
        u: 2410.5,
        p: 0.0041,
        effectSize: 1.3733,
        canaryCount: 60,
        stableCount: 60,
        canaryMean: 0.412,
        stableMean: 0.3,
      },
    });
    expect(explainMeasurement(judged)).toBe(
      'canary mean 0.412 vs stable mean 0.3, ratio 1.37, p=0.0041, U=2410.5, 60/60 samples',
    );
    // Not compared: the judge's reason (the message) says why; without it, only that it was not.
    const tooFew =
      'too few samples to compare latency: canary has 3, stable 0; the judge needs at least 8 on each side';
    expect(
      explainMeasurement(
        measured({ phase: 'Inconclusive', message: tooFew, judge: { canaryCount: 3, stableCount: 0 } }),
      ),
    ).toBe(tooFew);
    expect(explainMeasurement(measured({ phase: 'Inconclusive', judge: { canaryCount: 3, stableCount: 0 } }))).toBe(
      'canary vs stable not compared, 3/0 samples',
    );
  });

  it('leaves an Error to its message', () => {
    expect(
      explainMeasurement(measured({ phase: 'Error', message: 'Prometheus at x was unreachable' })),
    ).toBeUndefined();
  });
});

describe('explainMetric', () => {
  const result = (phase: string, measurements: Measurement[]): MetricResult => ({
    name: 'error-rate',
    phase: phase as MetricResult['phase'],
    count: measurements.length,
    successful: 0,
    failed: 0,
    inconclusive: 0,
    errors: 0,
    consecutiveErrors: 0,
    measurements,
  });

  it('explains a failed metric by its newest failed measurement, past later errors and passes', () => {
    const failedAt = measured({ phase: 'Failed', value: '0.31', decidedBy: 'successCondition' });
    const later = [
      measured({ value: '0.01', decidedBy: 'successCondition' }),
      measured({ phase: 'Error', message: 'down' }),
    ];
    expect(explainMetric(result('Failed', [failedAt, ...later]), { successCondition: 'result < 0.05' })).toBe(
      "value 0.31 vs successCondition result < 0.05 (not met) (the template's condition now)",
    );
    expect(explainMetric(result('Running', [failedAt, ...later]), { successCondition: 'result < 0.05' })).toBe(
      "value 0.01 meets result < 0.05 (the template's condition now)",
    );
    expect(explainMetric(result('Running', []))).toBeUndefined();
  });

  it('explains an Error by its errors in a row, and an Inconclusive without inconclusive measurements by the streak', () => {
    const pass = measured({ value: '0.01', decidedBy: 'successCondition' });
    const down = measured({ phase: 'Error', message: 'Prometheus was unreachable' });
    expect(explainMetric(result('Error', [pass, down, down]))).toBe(
      '2 errors in a row (consecutiveErrorLimit), the last: Prometheus was unreachable',
    );
    const failed = measured({ phase: 'Failed', value: '0.31', message: 'successCondition result < 0.05 not met' });
    expect(explainMetric(result('Inconclusive', [failed, pass, pass]))).toMatch(/consecutiveSuccessLimit/);
    const unsure = measured({ phase: 'Inconclusive', value: '0.07' });
    expect(explainMetric(result('Inconclusive', [unsure, pass]))).toBe('value 0.07: neither condition holds');
  });
});
