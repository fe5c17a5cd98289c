import { describe, expect, it } from 'vitest';
import type { MetricResult } from '../api/types.ts';
import type { MetricPhase, MetricPlan } from './metric.ts';
import { describeRun, runPhase, verdictOf, type PlannedMetric, type RunPhase } from './run.ts';

function metric(name: string, phase: MetricPhase, dryRun = false, count = phase === 'Pending' ? 0 : 1): PlannedMetric {
  const plan: MetricPlan = {
    name,
    intervalMs: 60_000,
    count: 1,
    initialDelayMs: 0,
    failureLimit: 0,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: 4,
    dryRun,
  };
  const result: MetricResult = {
    name,
    phase,
    count,
    successful: phase === 'Successful' ? 1 : 0,
    failed: phase === 'Failed' ? 1 : 0,
    inconclusive: phase === 'Inconclusive' ? 1 : 0,
    errors: phase === 'Error' ? 5 : 0,
    consecutiveErrors: phase === 'Error' ? 5 : 0,
    measurements: [],
  };
  return { plan, result };
}

describe('runPhase', () => {
  const cases: [string, PlannedMetric[], RunPhase][] = [
    ['nothing measured', [metric('a', 'Pending'), metric('b', 'Pending')], 'Pending'],
    ['one measured', [metric('a', 'Running'), metric('b', 'Pending')], 'Running'],
    ['one finished, one running', [metric('a', 'Successful'), metric('b', 'Running')], 'Running'],
    ['all successful', [metric('a', 'Successful'), metric('b', 'Successful')], 'Successful'],
    ['a failure ends it at once', [metric('a', 'Failed'), metric('b', 'Pending')], 'Failed'],
    ['an error ends it', [metric('a', 'Running'), metric('b', 'Error')], 'Error'],
    ['an inconclusive ends it', [metric('a', 'Running'), metric('b', 'Inconclusive')], 'Inconclusive'],
    [
      'a failure outranks an error and an inconclusive',
      [metric('a', 'Inconclusive'), metric('b', 'Error'), metric('c', 'Failed')],
      'Failed',
    ],
    ['an error outranks an inconclusive', [metric('a', 'Inconclusive'), metric('b', 'Error')], 'Error'],
    ['a dry-run failure does not gate', [metric('a', 'Successful'), metric('b', 'Failed', true)], 'Successful'],
    ['a dry-run error does not gate', [metric('a', 'Running'), metric('b', 'Error', true)], 'Running'],
    [
      'a running dry-run metric still has to finish',
      [metric('a', 'Successful'), metric('b', 'Running', true)],
      'Running',
    ],
    ['only dry-run metrics, all finished', [metric('a', 'Failed', true)], 'Successful'],
  ];
  it.each(cases)('%s -> %s', (_what, metrics, phase) => {
    expect(runPhase(metrics)).toBe(phase);
  });
});

describe('describeRun', () => {
  it('names the deciding metric and how many others also broke', () => {
    const text = describeRun([metric('a', 'Failed'), metric('b', 'Failed'), metric('c', 'Error')]);
    expect(text).toMatch(/^metric a failed: .* \(and 2 more metrics\)$/);
  });
});

describe('verdictOf', () => {
  it.each<[RunPhase, string]>([
    ['Successful', 'done'],
    ['Failed', 'failed'],
    ['Error', 'failed'],
    ['Inconclusive', 'inconclusive'],
    ['Running', 'running'],
    ['Pending', 'running'],
  ])('%s -> %s', (phase, kind) => {
    expect(verdictOf(phase, 'm', 1000).kind).toBe(kind);
  });
});
