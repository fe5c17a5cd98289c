import { describe, expect, it } from 'vitest';
import { maxMeasurementsPerMetric } from '../api/rolloutStatus.schema.ts';
import type { Measurement, Metric, MetricResult } from '../api/types.ts';
import {
  applyMeasurement,
  describeMetric,
  metricPhase,
  newMetricResult,
  nextMeasurementAt,
  planMetric,
  type MetricPhase,
  type MetricPlan,
} from './metric.ts';

const metric: Metric = {
  name: 'error-rate',
  successCondition: 'result < 0.05',
  provider: { prometheus: { address: 'http://prom:9090', query: 'up' } },
};

const plan = (more: Partial<MetricPlan> = {}): MetricPlan => ({ ...planMetric(metric, 'step'), count: 3, ...more });

const t0 = new Date('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000).toISOString();

function m(phase: Measurement['phase'], startedAtS = 0, value = '0.01', message?: string): Measurement {
  return {
    phase,
    value,
    startedAt: at(startedAtS),
    finishedAt: at(startedAtS),
    ...(message === undefined ? {} : { message }),
  };
}

function run(p: MetricPlan, phases: Measurement['phase'][]): MetricResult {
  return phases.reduce((r, phase, i) => applyMeasurement(r, m(phase, i * 60), p), newMetricResult(p));
}

describe('planMetric', () => {
  it('applies the documented defaults', () => {
    expect(planMetric(metric, 'step')).toEqual({
      name: 'error-rate',
      intervalMs: 60_000,
      count: 1,
      initialDelayMs: 0,
      failureLimit: 0,
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 4,
      dryRun: false,
    });
    expect(planMetric(metric, 'background').count).toBeUndefined();
  });

  it('reads durations and limits from the spec', () => {
    const p = planMetric(
      {
        ...metric,
        interval: '30s',
        initialDelay: '10s',
        count: 5,
        failureLimit: 1,
        inconclusiveLimit: 2,
        consecutiveErrorLimit: 3,
        dryRun: true,
      },
      'background',
    );
    expect(p).toMatchObject({
      intervalMs: 30_000,
      initialDelayMs: 10_000,
      count: 5,
      failureLimit: 1,
      inconclusiveLimit: 2,
      consecutiveErrorLimit: 3,
      dryRun: true,
    });
  });
});

describe('metricPhase', () => {
  type S = 'S' | 'F' | 'I' | 'E';
  const phaseOf: Record<S, Measurement['phase']> = { S: 'Successful', F: 'Failed', I: 'Inconclusive', E: 'Error' };
  const cases: [string, Partial<MetricPlan>, S[], MetricPhase][] = [
    ['nothing measured yet', {}, [], 'Pending'],
    ['one success of three', {}, ['S'], 'Running'],
    ['three successes', {}, ['S', 'S', 'S'], 'Successful'],
    ['a failure beyond failureLimit 0', {}, ['S', 'F'], 'Failed'],
    ['a failure within failureLimit 1', { failureLimit: 1 }, ['S', 'F'], 'Running'],
    ['count reached with a tolerated failure', { failureLimit: 1 }, ['S', 'F', 'S'], 'Successful'],
    ['two failures beyond failureLimit 1', { failureLimit: 1 }, ['F', 'S', 'F'], 'Failed'],
    ['an inconclusive beyond inconclusiveLimit 0', {}, ['I'], 'Inconclusive'],
    ['count reached with a tolerated inconclusive', { inconclusiveLimit: 1 }, ['S', 'I', 'S'], 'Successful'],
    [
      'count reached, nothing passed, all tolerated inconclusive',
      { count: 2, inconclusiveLimit: 2 },
      ['I', 'I'],
      'Inconclusive',
    ],
    [
      'count reached, nothing passed, tolerated failures',
      { count: 2, failureLimit: 5, inconclusiveLimit: 5 },
      ['F', 'I'],
      'Failed',
    ],
    ['errors do not count towards count', {}, ['S', 'E', 'S'], 'Running'],
    ['errors then enough successes', {}, ['E', 'S', 'E', 'S', 'S'], 'Successful'],
    ['errors up to the limit', { consecutiveErrorLimit: 4 }, ['E', 'E', 'E', 'E'], 'Running'],
    ['one error beyond the limit', { consecutiveErrorLimit: 4 }, ['E', 'E', 'E', 'E', 'E'], 'Error'],
    ['a streak broken by a success', { consecutiveErrorLimit: 2 }, ['E', 'E', 'S', 'E', 'E'], 'Running'],
    ['consecutiveErrorLimit 0: the first error ends it', { consecutiveErrorLimit: 0 }, ['E'], 'Error'],
    ['a failure beats a pending count', { count: 10 }, ['F'], 'Failed'],
    ['background: never done by count', { count: undefined }, ['S', 'S', 'S', 'S', 'S', 'S'], 'Running'],
    ['background: fails on a failure', { count: undefined }, ['S', 'S', 'F'], 'Failed'],
    ['background: errors', { count: undefined, consecutiveErrorLimit: 1 }, ['S', 'E', 'E'], 'Error'],
  ];
  it.each(cases)('%s: %j %j -> %s', (_what, more, seq, phase) => {
    expect(
      run(
        plan(more),
        seq.map((s) => phaseOf[s]),
      ).phase,
    ).toBe(phase);
  });

  it('is never Successful when every measurement errored (Argo #4479), whatever the limits', () => {
    for (let count = 1; count <= 5; count++) {
      for (let limit = 0; limit <= 6; limit++) {
        for (let n = 1; n <= 12; n++) {
          const r = run(
            plan({ count, consecutiveErrorLimit: limit }),
            Array.from({ length: n }, () => 'Error' as const),
          );
          expect(r.phase).not.toBe('Successful');
          expect(metricPhase(r, plan({ count, consecutiveErrorLimit: limit }))).toBe(n > limit ? 'Error' : 'Running');
        }
      }
    }
  });
});

describe('applyMeasurement', () => {
  it('counts by phase and tracks the error streak', () => {
    const r = run(plan({ count: 10 }), ['Successful', 'Error', 'Error', 'Inconclusive', 'Error']);
    expect(r).toMatchObject({ count: 5, successful: 1, failed: 0, inconclusive: 1, errors: 3, consecutiveErrors: 1 });
  });

  it(`keeps only the newest ${maxMeasurementsPerMetric} measurements, oldest first`, () => {
    const p = plan({ count: undefined });
    const r = run(
      p,
      Array.from({ length: 25 }, () => 'Successful' as const),
    );
    expect(r.count).toBe(25);
    expect(r.measurements).toHaveLength(maxMeasurementsPerMetric);
    expect(r.measurements[0]!.startedAt).toBe(at(15 * 60));
    expect(r.measurements.at(-1)!.startedAt).toBe(at(24 * 60));
  });

  it('does not change the result it is given', () => {
    const before = newMetricResult(plan());
    applyMeasurement(before, m('Failed'), plan());
    expect(before).toEqual(newMetricResult(plan()));
  });
});

describe('nextMeasurementAt', () => {
  it('waits initialDelay after the run started, then interval after each measurement started', () => {
    const p = plan({ initialDelayMs: 10_000, intervalMs: 30_000 });
    const fresh = newMetricResult(p);
    expect(nextMeasurementAt(fresh, p, t0)?.toISOString()).toBe(at(10));
    const once = applyMeasurement(fresh, m('Successful', 12), p);
    expect(nextMeasurementAt(once, p, t0)?.toISOString()).toBe(at(42));
  });

  it('has nothing due once the metric is finished', () => {
    const p = plan({ count: 1 });
    expect(nextMeasurementAt(run(p, ['Successful']), p, t0)).toBeUndefined();
    expect(nextMeasurementAt(run(p, ['Failed']), p, t0)).toBeUndefined();
  });
});

describe('describeMetric', () => {
  it('names the failing value and condition, how often, and the limit', () => {
    const p = plan();
    const r = applyMeasurement(newMetricResult(p), m('Failed', 0, '0.31', 'failureCondition result >= 0.10'), p);
    expect(describeMetric(r, p)).toBe(
      'metric error-rate failed: measured 0.31 (failureCondition result >= 0.10) 1 time, failureLimit 0',
    );
  });

  it('says Prometheus was unreachable and how many times in a row', () => {
    const p = plan({ consecutiveErrorLimit: 3 });
    const err = 'Prometheus at http://127.0.0.1:1 was unreachable: connect ECONNREFUSED 127.0.0.1:1';
    const r = [0, 1, 2, 3].reduce(
      (acc, i) => applyMeasurement(acc, m('Error', i * 60, undefined, err), p),
      newMetricResult(p),
    );
    expect(r.phase).toBe('Error');
    expect(describeMetric(r, p)).toBe(
      'metric error-rate: Prometheus at http://127.0.0.1:1 was unreachable 4 times in a row: connect ECONNREFUSED 127.0.0.1:1 (consecutiveErrorLimit 3)',
    );
  });

  it('gives the last error when the streak mixes causes', () => {
    const p = plan({ consecutiveErrorLimit: 1 });
    let r = applyMeasurement(
      newMetricResult(p),
      m('Error', 0, undefined, 'Prometheus at http://p did not answer within 30s: raise the timeout'),
      p,
    );
    r = applyMeasurement(
      r,
      m('Error', 60, undefined, 'Prometheus at http://p was unreachable: connect ECONNREFUSED'),
      p,
    );
    expect(describeMetric(r, p)).toBe(
      'metric error-rate errored 2 times in a row (consecutiveErrorLimit 1); last: Prometheus at http://p was unreachable: connect ECONNREFUSED',
    );
  });

  it('says why an inconclusive metric stopped', () => {
    const p = plan();
    const r = applyMeasurement(
      newMetricResult(p),
      m('Inconclusive', 0, 'no data', 'the query returned no data; no data is never a pass'),
      p,
    );
    expect(describeMetric(r, p)).toBe(
      'metric error-rate inconclusive: measured no data (the query returned no data; no data is never a pass) 1 time, inconclusiveLimit 0',
    );
  });

  it('says when nothing passed although every limit held', () => {
    const p = plan({ count: 1, inconclusiveLimit: 1 });
    const r = applyMeasurement(
      newMetricResult(p),
      m('Inconclusive', 0, 'NaN', 'the result holds NaN or an infinity; such a value is never a pass'),
      p,
    );
    expect(describeMetric(r, p)).toBe(
      'metric error-rate inconclusive: none of 1 measurements passed; last measured NaN (the result holds NaN or an infinity; such a value is never a pass)',
    );
  });

  it('shows progress while running', () => {
    const p = plan({ count: 5 });
    expect(describeMetric(run(p, ['Successful', 'Successful']), p)).toBe('error-rate 2/5 measurements, 0 failed');
    expect(describeMetric(run(plan({ count: undefined }), ['Successful', 'Error']), plan({ count: undefined }))).toBe(
      'error-rate 1 measurements, 0 failed, 1 error in a row',
    );
    expect(describeMetric(run(p, ['Successful', 'Successful', 'Successful', 'Successful', 'Successful']), p)).toBe(
      'metric error-rate passed (5/5 measurements successful)',
    );
  });
});
