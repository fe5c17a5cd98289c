/**
 * The provider conformance suite: the rules of provider.ts, run through the engine (takeMeasurement and the metric's
 * fold) against a real backend that each provider's test wires up. Every provider runs it; a new provider is not
 * done until its backend can produce each scenario it can express. A scenario a provider cannot express (a Job has
 * no number to be NaN) is declared with the reason, so that leaving one out is a visible decision, not an omission.
 */
import { describe, expect, it } from 'vitest';
import type { Measurement, Metric } from '../api/types.ts';
import { takeMeasurement, type MeasureDeps } from './measure.ts';
import { applyMeasurement, metricPhase, newMetricResult, planMetric } from './metric.ts';
import type { ProviderSet } from './provider.ts';

/**
 * What the backend is made to answer for one measurement:
 * - pass: 1 (or a Job that succeeds); fail: 500 (or a Job that fails);
 * - empty: nothing; error: the backend refuses (HTTP 500, a bad query, a Job that cannot be created);
 * - nan / inf: NaN, +Inf; notANumber: a string such as "ok" where the conditions compare numbers;
 * - slow: an answer that comes only after the metric's timeout (which the fixture sets to at most 2 s).
 */
export type Scenario = 'pass' | 'fail' | 'empty' | 'error' | 'nan' | 'inf' | 'notANumber' | 'slow';

export const scenarios: readonly Scenario[] = ['pass', 'fail', 'empty', 'error', 'nan', 'inf', 'notANumber', 'slow'];

/** The conditions every conformance metric is judged by: 1 passes, 500 fails, 10..99 is neither. */
export const conformanceConditions = { successCondition: 'result < 10', failureCondition: 'result >= 100' };

export interface ConformanceFixture {
  /** The providers, wired to the real backend (started by the caller). */
  providers: () => ProviderSet;
  /**
   * The `provider` of a metric whose next measurement sees the scenario, or a sentence saying why the provider
   * cannot express it. May set up the backend (store a series, start a slow endpoint).
   */
  provider: (scenario: Scenario) => Promise<Metric['provider'] | { notApplicable: string }>;
  /** The Rollout's namespace and uid for providers that create objects; default shop / no uid. */
  namespace?: string;
  rollout?: { name: string; uid: string | undefined };
  readSecret?: MeasureDeps['readSecret'];
  /** Time to allow one measurement beyond the metric's own timeout (a Job needs its pod to run). */
  testTimeoutMs?: number;
}

let sequence = 0;

async function measure(fixture: ConformanceFixture, scenario: Scenario): Promise<Measurement | string> {
  const provider = await fixture.provider(scenario);
  if ('notApplicable' in provider) return provider.notApplicable;
  const metric: Metric = { name: `conformance-${scenario}`, ...conformanceConditions, provider };
  return takeMeasurement(
    {
      metric,
      args: { values: new Map(), secrets: [] },
      namespace: fixture.namespace ?? 'shop',
      field: `AnalysisTemplate conformance metrics[${metric.name}]`,
      startedAt: new Date(),
      trusted: true,
      rollout: fixture.rollout ?? { name: 'conformance', uid: undefined },
      measurementId: `conformance/${scenario}/${Date.now()}/${sequence++}`,
    },
    { providers: fixture.providers(), readSecret: fixture.readSecret ?? (() => undefined), clock: () => new Date() },
  );
}

/** Registers the suite for one provider (call it inside the provider's test file, after starting its backend). */
export function providerConformance(name: string, fixture: ConformanceFixture): void {
  const timeout = fixture.testTimeoutMs ?? 15_000;
  const expectations: Record<Scenario, (m: Measurement) => void> = {
    pass: (m) => expect(m.phase, m.message).toBe('Successful'),
    fail: (m) => expect(m.phase, m.message).toBe('Failed'),
    empty: (m) =>
      expect(m).toMatchObject({ phase: 'Inconclusive', message: expect.stringMatching(/no data/) as unknown }),
    error: (m) => expect(m.phase).toBe('Error'),
    nan: (m) => expect(m.phase).not.toBe('Successful'),
    inf: (m) => expect(m.phase).not.toBe('Successful'),
    notANumber: (m) =>
      expect(m).toMatchObject({ phase: 'Error', message: expect.stringMatching(/not a number|numbers/) as unknown }),
    slow: (m) => expect(m).toMatchObject({ phase: 'Error', message: expect.stringMatching(/within/) as unknown }),
  };

  describe(`${name} provider conformance`, () => {
    for (const scenario of scenarios) {
      it(
        `${scenario}: ${describeRule(scenario)}`,
        async () => {
          const m = await measure(fixture, scenario);
          if (typeof m === 'string') {
            // A declared gap must say why; an empty reason would hide a scenario nobody wired.
            expect(m.length).toBeGreaterThan(10);
            return;
          }
          expectations[scenario](m);
          expect(Date.parse(m.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(m.startedAt));
        },
        timeout,
      );
    }

    it(
      'errors only: a metric whose every measurement is an Error ends Error, never Successful',
      async () => {
        const provider = await fixture.provider('error');
        if ('notApplicable' in provider) throw new Error('every provider must be able to fail to answer');
        const metric: Metric = { name: 'conformance-errors', ...conformanceConditions, provider };
        const plan = { ...planMetric(metric, 'step'), count: 3, consecutiveErrorLimit: 2 };
        let result = newMetricResult(plan);
        for (let i = 0; i < 3; i++) {
          const m = await measure(fixture, 'error');
          if (typeof m === 'string') throw new Error(m);
          result = applyMeasurement(result, m, plan);
        }
        expect(metricPhase(result, plan)).toBe('Error');
      },
      timeout * 3,
    );
  });
}

function describeRule(scenario: Scenario): string {
  switch (scenario) {
    case 'pass':
      return 'a good answer is Successful';
    case 'fail':
      return 'a bad answer is Failed';
    case 'empty':
      return 'no data is Inconclusive, never a pass';
    case 'error':
      return 'a backend error is an Error';
    case 'nan':
      return 'NaN is never a pass';
    case 'inf':
      return 'an infinity is never a pass';
    case 'notANumber':
      return 'a value that is not a number is an Error that says so';
    case 'slow':
      return 'an answer later than the timeout is an Error';
  }
}
