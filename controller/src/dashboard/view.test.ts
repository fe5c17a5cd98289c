import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../api/types.ts';
import { WeightHistory } from './weightHistory.ts';
import { RecentEvents } from './recentEvents.ts';
import { FakeCache, progressing, prometheus, rollout, template } from './fixtures.test-support.ts';
import { applicableActions, detailOf, rolloutViews, summarize } from './view.ts';

const measured = (values: (string | undefined)[]) =>
  values.map((value, i) => ({
    phase: value === undefined ? ('Error' as const) : ('Successful' as const),
    ...(value === undefined ? { message: 'Prometheus did not answer' } : { value }),
    startedAt: `2026-11-29T03:0${i}:00Z`,
    finishedAt: `2026-11-29T03:0${i}:01Z`,
  }));

const withAnalysis: RolloutStatus = {
  ...progressing(20, 2),
  analysis: {
    runs: [
      {
        name: 'step-2',
        stepIndex: 2,
        revision: 'bbb',
        phase: 'Running',
        startedAt: '2026-11-29T03:00:00Z',
        metrics: [
          {
            name: 'error-rate',
            phase: 'Running',
            count: 3,
            successful: 2,
            failed: 0,
            inconclusive: 0,
            errors: 1,
            consecutiveErrors: 1,
            measurements: measured(['0.01', '0.02', undefined]),
          },
        ],
      },
      {
        name: 'background',
        revision: 'bbb',
        phase: 'Running',
        startedAt: '2026-11-29T03:00:00Z',
        metrics: [
          {
            name: 'p99',
            phase: 'Running',
            count: 1,
            successful: 1,
            failed: 0,
            inconclusive: 0,
            errors: 0,
            consecutiveErrors: 0,
            measurements: measured(['[0.2,0.3]']),
          },
        ],
      },
    ],
  },
  flags: [
    {
      name: 'new-checkout',
      project: 'default',
      environment: 'production',
      previousEnabled: false,
      rollout: 50,
      onAbort: 'restore',
    },
  ],
};

describe('summarize', () => {
  it('gives the list row: phase, step n/m, canary weight, age source', () => {
    expect(summarize(rollout('shop', 'checkout', progressing(20, 1)))).toEqual({
      key: 'shop/checkout',
      namespace: 'shop',
      name: 'checkout',
      strategy: 'canary',
      phase: 'Progressing',
      message: 'step 2/5',
      step: { current: 2, total: 5 },
      canaryWeight: 20,
      createdAt: '2026-11-29T02:00:00.000Z',
      paused: false,
      aborted: false,
    });
  });

  it('shows a rollout the controller has not seen yet with no phase and no weight', () => {
    const s = summarize(rollout('shop', 'new'));
    expect([s.phase, s.canaryWeight, s.step]).toEqual(['', 0, { current: 1, total: 5 }]);
  });

  it('counts a finished rollout as at its last step', () => {
    expect(summarize(rollout('shop', 'done', { phase: 'Healthy', currentStepIndex: 5 })).step).toEqual({
      current: 5,
      total: 5,
    });
  });
});

describe('detailOf', () => {
  const sources = {
    analysisTemplate: (ns: string, name: string) =>
      ns === 'shop' && name === 'error-rate'
        ? template('shop', 'error-rate', [
            {
              name: 'error-rate',
              successCondition: 'result < 0.05',
              failureCondition: 'result >= 0.1',
              provider: prometheus,
            },
          ]).spec
        : undefined,
    clusterAnalysisTemplate: (name: string) =>
      name === 'latency'
        ? {
            metrics: [
              {
                name: 'p99',
                provider: prometheus,
                compare: { method: 'mannWhitney' as const, direction: 'increase' as const },
              },
            ],
          }
        : undefined,
    events: [{ type: 'Normal', reason: 'StepCompleted', message: 'step 1', time: '2026-11-29T03:00:00Z', count: 1 }],
    weightHistory: { t: [1, 2], canary: [0, 20] },
  };

  it('marks the steps done, current and pending', () => {
    const d = detailOf(rollout('shop', 'checkout', withAnalysis), sources);
    expect(d.steps.map((s) => `${s.text}:${s.state}`)).toEqual([
      'setWeight 20%:done',
      'pause 30s:done',
      'analysis error-rate:current',
      'setWeight 60%:pending',
      'pause until promoted:pending',
    ]);
  });

  it('puts each metric beside the thresholds of its template, step or background, namespaced or cluster-wide', () => {
    const d = detailOf(rollout('shop', 'checkout', withAnalysis), sources);
    const [step, background] = d.analysis;
    expect(step?.metrics[0]).toMatchObject({
      name: 'error-rate',
      successCondition: 'result < 0.05',
      failureCondition: 'result >= 0.1',
      errors: 1,
      thresholds: [
        { verdict: 'success', op: '<', value: 0.05 },
        { verdict: 'failure', op: '>=', value: 0.1 },
      ],
    });
    expect(step?.metrics[0]?.measurements.map((m) => m.value)).toEqual([0.01, 0.02, null]);
    expect(step?.metrics[0]?.measurements[2]?.message).toBe('Prometheus did not answer');
    expect(background?.metrics[0]).toMatchObject({
      name: 'p99',
      compare: 'mannWhitney, increase, confidence 0.98',
      thresholds: [],
    });
    expect(background?.metrics[0]?.measurements[0]).toMatchObject({ value: null, text: '[0.2,0.3]' });
  });

  it('carries revisions, weights, flags, Events and the weight history', () => {
    const d = detailOf(rollout('shop', 'checkout', withAnalysis), sources);
    expect(d).toMatchObject({
      stableRevision: 'aaa',
      canaryRevision: 'bbb',
      canaryWeight: 20,
      stableWeight: 80,
      weightHistory: { t: [1, 2], canary: [0, 20] },
    });
    expect(d.flags).toEqual([
      {
        name: 'new-checkout',
        project: 'default',
        environment: 'production',
        rollout: 50,
        previousEnabled: false,
        previousRollout: undefined,
        onAbort: 'restore',
      },
    ]);
    expect(d.events[0]?.reason).toBe('StepCompleted');
  });

  it("shows scaleDownWhen's run of the previous revision with its template's thresholds", () => {
    const base = rollout('shop', 'checkout');
    const spec = {
      strategy: {
        canary: {
          ...base.spec.strategy.canary!,
          scaleDownWhen: { analysis: { templates: [{ templateName: 'error-rate' }] } },
        },
      },
    };
    const status: RolloutStatus = {
      stableRevision: 'bbb',
      canaryRevision: 'bbb',
      analysis: {
        runs: [
          {
            name: 'scale-down',
            revision: 'aaa',
            phase: 'Running',
            startedAt: '2026-11-29T03:00:00Z',
            metrics: [
              {
                name: 'error-rate',
                phase: 'Running',
                count: 0,
                successful: 0,
                failed: 0,
                inconclusive: 0,
                errors: 0,
                consecutiveErrors: 0,
                measurements: [],
              },
            ],
          },
        ],
      },
    };
    const [run] = detailOf(rollout('shop', 'checkout', status, spec), sources).analysis;
    expect(run).toMatchObject({ title: 'Scale-down analysis', revision: 'aaa' });
    expect(run?.metrics[0]?.thresholds).toEqual([
      { verdict: 'success', op: '<', value: 0.05 },
      { verdict: 'failure', op: '>=', value: 0.1 },
    ]);
  });

  it('shows a metric whose template is gone without conditions rather than failing', () => {
    const d = detailOf(rollout('shop', 'checkout', withAnalysis), { ...sources, analysisTemplate: () => undefined });
    expect(d.analysis[0]?.metrics[0]).toMatchObject({ successCondition: undefined, thresholds: [] });
  });
});

describe('applicableActions', () => {
  it('offers promote and abort while a canary is in flight, retry after an abort, and pause or resume', () => {
    expect(applicableActions(rollout('shop', 'a', progressing(20, 0)))).toEqual([
      'promote',
      'promote-full',
      'abort',
      'pause',
    ]);
    expect(applicableActions(rollout('shop', 'a', { ...progressing(0, 0), phase: 'Degraded', abort: true }))).toEqual([
      'retry',
      'pause',
    ]);
    expect(
      applicableActions(
        rollout('shop', 'a', { phase: 'Healthy', stableRevision: 'aaa', canaryRevision: 'aaa' }, { paused: true }),
      ),
    ).toEqual(['resume']);
  });
});

describe('rolloutViews', () => {
  it('reads rows sorted by namespace and name, and details with their Events and history', () => {
    const rollouts = new FakeCache([
      rollout('b', 'x', progressing(20, 0)),
      rollout('a', 'y', progressing(60, 3)),
      rollout('a', 'x'),
    ]);
    const history = new WeightHistory();
    history.record('a/y', 60);
    const views = rolloutViews({
      rollouts,
      analysisTemplates: new FakeCache(),
      clusterAnalysisTemplates: new FakeCache(),
      history,
      events: new RecentEvents(),
    });
    expect(views.summaries().map((s) => s.key)).toEqual(['a/x', 'a/y', 'b/x']);
    expect(views.summary('a/y')?.canaryWeight).toBe(60);
    expect(views.detail('a/y')?.weightHistory.canary).toEqual([60]);
    expect(views.detail('a/missing')).toBeUndefined();
  });
});
