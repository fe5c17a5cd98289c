import { describe, expect, it } from 'vitest';
import { maxAnalysisRuns, maxMeasurementsPerMetric } from '../api/rolloutStatus.schema.ts';
import type { Metric } from '../api/types.ts';
import { splitVerdicts, type AnalysisOutcome } from './engine.ts';
import { errorRate, prom, setup, value } from './engine.test-support.ts';

describe('evaluateAnalysis: a step analysis', () => {
  it('measures once by default and is done when the value passes', async () => {
    const s = setup([errorRate], () => value(0.01));
    const out = await s.reconcile([s.step()]);
    expect(out.verdicts.get('step-1')).toEqual({ kind: 'done', message: 'all metrics passed (error-rate 1/1)' });
    expect(s.provider.queries).toEqual(['errors{service="checkout"}']);
    expect(out.runs).toHaveLength(1);
    expect(out.runs[0]).toMatchObject({
      name: 'step-1',
      stepIndex: 1,
      revision: 'rev1',
      phase: 'Successful',
      startedAt: s.clock.now().toISOString(),
      finishedAt: s.clock.now().toISOString(),
    });
    expect(out.requeueAfterMs).toBeUndefined();

    // Done is done: the next reconcile measures nothing and keeps the verdict.
    s.clock.advance(600);
    expect((await s.reconcile([s.step()])).verdicts.get('step-1')?.kind).toBe('done');
    expect(s.provider.queries).toHaveLength(1);
  });

  it('fails with the metric, the value and the condition in the message', async () => {
    const s = setup([errorRate], () => value(0.31));
    const out = await s.reconcile([s.step()]);
    expect(out.verdicts.get('step-1')).toEqual({
      kind: 'failed',
      message: 'metric error-rate failed: measured 0.31 (failureCondition result >= 0.10) 1 time, failureLimit 0',
    });
    expect(out.runs[0]!.phase).toBe('Failed');
  });

  it('is inconclusive on an empty result', async () => {
    const s = setup([errorRate], () => ({ kind: 'empty' }));
    expect((await s.reconcile([s.step()])).verdicts.get('step-1')).toEqual({
      kind: 'inconclusive',
      message:
        'metric error-rate inconclusive: measured no data (the query returned no data; no data is never a pass) 1 time, inconclusiveLimit 0',
    });
  });

  it('waits initialDelay, then measures every interval until count, requeueing for each', async () => {
    const s = setup([{ ...errorRate, count: 3, interval: '30s', initialDelay: '10s' }], () => value(0.01));
    let out = await s.reconcile([s.step()]);
    expect(s.provider.queries).toHaveLength(0);
    expect(out.verdicts.get('step-1')).toEqual({
      kind: 'running',
      message: 'analysis running: error-rate waits initialDelay',
      requeueAfterMs: 10_000,
    });
    expect(out.requeueAfterMs).toBe(10_000);

    s.clock.advance(10);
    out = await s.reconcile([s.step()]);
    expect(s.provider.queries).toHaveLength(1);
    expect(out.verdicts.get('step-1')).toEqual({
      kind: 'running',
      message: 'analysis running: error-rate 1/3 measurements, 0 failed',
      requeueAfterMs: 30_000,
    });

    s.clock.advance(20);
    out = await s.reconcile([s.step()]);
    expect(s.provider.queries).toHaveLength(1);
    expect(out.requeueAfterMs).toBe(10_000);

    s.clock.advance(10);
    await s.reconcile([s.step()]);
    s.clock.advance(30);
    out = await s.reconcile([s.step()]);
    expect(s.provider.queries).toHaveLength(3);
    expect(out.verdicts.get('step-1')?.kind).toBe('done');
    expect(out.runs[0]!.metrics[0]).toMatchObject({ phase: 'Successful', count: 3, successful: 3 });
  });

  it('changes nothing between measurements, so status is not rewritten while waiting', async () => {
    const s = setup([{ ...errorRate, count: 3, interval: '30s' }], () => value(0.01));
    const first = await s.reconcile([s.step()]);
    s.clock.advance(29);
    const second = await s.reconcile([s.step()]);
    expect(second.runs).toEqual(first.runs);
    expect(s.provider.queries).toHaveLength(1);
  });

  it('does not catch up on missed intervals after a long gap: one measurement per pass', async () => {
    const s = setup([{ ...errorRate, count: 3, interval: '30s' }], () => value(0.01));
    await s.reconcile([s.step()]);
    s.clock.advance(3600);
    await s.reconcile([s.step()]);
    expect(s.provider.queries).toHaveLength(2);
  });

  it('starts fresh for a new revision and keeps the run for the same one', async () => {
    const s = setup([{ ...errorRate, count: 2, interval: '30s' }], () => value(0.01));
    await s.reconcile([s.step(1, 'rev1')]);
    s.clock.advance(30);
    const out = await s.reconcile([s.step(1, 'rev2')]);
    expect(out.runs).toHaveLength(1);
    expect(out.runs[0]).toMatchObject({ revision: 'rev2', phase: 'Running', startedAt: s.clock.now().toISOString() });
    expect(out.runs[0]!.metrics[0]!.count).toBe(1);
  });

  it('measures a retried run anew, never folding in a measurement of the run before it', async () => {
    let answer = 0.5;
    const s = setup([errorRate], () => value(answer));
    expect((await s.reconcile([s.step()])).verdicts.get('step-1')?.kind).toBe('failed');
    s.clearRuns();
    s.clock.advance(5);
    answer = 0.01;
    const out = await s.reconcile([s.step()]);
    expect(out.verdicts.get('step-1')?.kind).toBe('done');
    expect(s.provider.queries).toHaveLength(2);
  });

  it('keeps a run that is no longer active as it was, measuring nothing, and gives it no verdict', async () => {
    const s = setup([{ ...errorRate, count: 5, interval: '30s' }], () => value(0.01));
    const first = await s.reconcile([s.step(1)]);
    s.clock.advance(60);
    const out = await s.reconcile([s.background()]);
    expect(out.runs.map((r) => r.name)).toEqual(['step-1', 'background']);
    expect(out.runs[0]).toEqual(first.runs[0]);
    expect([...out.verdicts.keys()]).toEqual(['background']);
    expect(s.provider.queries).toHaveLength(2);
  });
});

describe('evaluateAnalysis: errors', () => {
  const unreachable = 'Prometheus at http://prom:9090 was unreachable: connect ECONNREFUSED 10.0.0.9:9090';

  it('counts errors and fails after consecutiveErrorLimit, saying Prometheus was unreachable', async () => {
    const s = setup([{ ...errorRate, interval: '10s', consecutiveErrorLimit: 2 }], () => ({
      kind: 'error',
      message: unreachable,
    }));
    for (let i = 0; i < 2; i++) {
      const out = await s.reconcile([s.step()]);
      expect(out.verdicts.get('step-1')?.kind).toBe('running');
      s.clock.advance(10);
    }
    const out = await s.reconcile([s.step()]);
    expect(out.verdicts.get('step-1')).toEqual({
      kind: 'failed',
      message:
        'metric error-rate: Prometheus at http://prom:9090 was unreachable 3 times in a row: connect ECONNREFUSED 10.0.0.9:9090 (consecutiveErrorLimit 2)',
    });
    expect(out.runs[0]!.phase).toBe('Error');
    expect(out.runs[0]!.metrics[0]).toMatchObject({ count: 3, errors: 3, consecutiveErrors: 3, successful: 0 });
  });

  it('is never done when every measurement errored, however many are taken', async () => {
    const s = setup([{ ...errorRate, count: 1, interval: '10s', consecutiveErrorLimit: 1000 }], () => ({
      kind: 'error',
      message: unreachable,
    }));
    for (let i = 0; i < 30; i++) {
      const out = await s.reconcile([s.step()]);
      expect(out.verdicts.get('step-1')?.kind).toBe('running');
      s.clock.advance(10);
    }
    expect(s.runs()[0]!.metrics[0]).toMatchObject({
      count: 30,
      errors: 30,
      measurements: expect.any(Array) as unknown,
    });
    expect(s.runs()[0]!.metrics[0]!.measurements).toHaveLength(maxMeasurementsPerMetric);
  });

  it('turns a missing Secret into Error measurements that name it, then fails', async () => {
    const s = setup([{ ...errorRate, consecutiveErrorLimit: 0 }], () => value(0.01), {
      args: [{ name: 'service' }, { name: 'token', valueFrom: { secretKeyRef: { name: 'prom', key: 'token' } } }],
    });
    const out = await s.reconcile([s.step()]);
    expect(out.verdicts.get('step-1')?.kind).toBe('failed');
    expect(out.verdicts.get('step-1')?.message).toContain('Secret shop/prom has no key "token" (or does not exist)');
    expect(s.provider.queries).toHaveLength(0);
  });

  it('waits, measuring nothing, while a template is missing, and goes on once it exists', async () => {
    const s = setup([errorRate], () => value(0.01));
    const spec = s.templates.get('shop/error-rate')!;
    s.templates.delete('shop/error-rate');
    let out = await s.reconcile([s.step()]);
    expect(out.verdicts.get('step-1')).toEqual({
      kind: 'running',
      message: 'waiting for AnalysisTemplate shop/error-rate, which does not exist: create it or fix the templateName',
    });
    s.templates.set('shop/error-rate', spec);
    out = await s.reconcile([s.step()]);
    expect(out.verdicts.get('step-1')?.kind).toBe('done');
  });
});

describe('evaluateAnalysis: several metrics', () => {
  const latency: Metric = {
    ...errorRate,
    name: 'latency',
    provider: { prometheus: { ...prom, query: 'latency{service="{{args.service}}"}' } },
  };

  it('measures all due metrics of a run at once', async () => {
    // Each answer waits until both queries have arrived: this only finishes if they run concurrently.
    let release!: () => void;
    const both = new Promise<void>((r) => (release = r));
    const s = setup([errorRate, latency], async (q) => {
      if (s.provider.queries.length === 2) release();
      await both;
      return value(q.startsWith('latency') ? 0.02 : 0.01);
    });
    const out = await s.reconcile([s.step()]);
    expect(out.verdicts.get('step-1')).toEqual({
      kind: 'done',
      message: 'all metrics passed (error-rate 1/1, latency 1/1)',
    });
  });

  it('lets a dry-run metric fail without gating, and says so', async () => {
    const s = setup([errorRate, { ...latency, dryRun: true }], (q) => value(q.startsWith('latency') ? 0.5 : 0.01));
    const out = await s.reconcile([s.step()]);
    expect(out.verdicts.get('step-1')).toEqual({
      kind: 'done',
      message:
        'all metrics passed (error-rate 1/1, latency 0/1); metric latency failed: measured 0.5 (failureCondition result >= 0.10) 1 time, failureLimit 0 (dry run, not gating)',
    });
    expect(out.runs[0]!.metrics[1]).toMatchObject({ name: 'latency', dryRun: true, phase: 'Failed' });
  });

  it('fails on one failing metric while another is still running', async () => {
    const s = setup([{ ...errorRate, count: 5 }, latency], (q) => value(q.startsWith('latency') ? 0.5 : 0.01));
    const out = await s.reconcile([s.step()]);
    expect(out.verdicts.get('step-1')?.message).toBe(
      'metric latency failed: measured 0.5 (failureCondition result >= 0.10) 1 time, failureLimit 0',
    );
    expect(out.requeueAfterMs).toBeUndefined();
  });
});

describe('evaluateAnalysis: background analysis', () => {
  it('measures every interval until the rollout ends, keeping a bounded history', async () => {
    const s = setup([{ ...errorRate, interval: '10s' }], () => value(0.01));
    let out: AnalysisOutcome | undefined;
    for (let i = 0; i < 25; i++) {
      out = await s.reconcile([s.background()]);
      s.clock.advance(10);
    }
    expect(out!.verdicts.get('background')).toEqual({
      kind: 'running',
      message: 'analysis running: error-rate 25 measurements, 0 failed',
      requeueAfterMs: 10_000,
    });
    expect(out!.runs[0]!.metrics[0]!.measurements).toHaveLength(maxMeasurementsPerMetric);
  });
});

describe('evaluateAnalysis: bounded runs', () => {
  it(`keeps at most ${maxAnalysisRuns} runs, dropping the oldest inactive ones first`, async () => {
    const s = setup([{ ...errorRate, count: 2 }], () => value(0.01));
    for (let i = 0; i < 12; i++) await s.reconcile([s.step(i)]);
    const out = await s.reconcile([s.step(12), s.background()]);
    expect(out.runs).toHaveLength(maxAnalysisRuns);
    expect(out.runs.map((r) => r.name)).toEqual([
      'step-6',
      'step-7',
      'step-8',
      'step-9',
      'step-10',
      'step-11',
      'step-12',
      'background',
    ]);
  });
});

describe('splitVerdicts', () => {
  it('gives the planner step verdicts by index and the background verdict', () => {
    const verdicts = new Map([
      ['step-2', { kind: 'done' as const, message: 'a' }],
      ['background', { kind: 'running' as const, message: 'b' }],
    ]);
    expect(splitVerdicts(verdicts)).toEqual({
      stepVerdicts: new Map([[2, { kind: 'done', message: 'a' }]]),
      backgroundVerdict: { kind: 'running', message: 'b' },
    });
  });
});
