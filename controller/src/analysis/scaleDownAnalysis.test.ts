import { describe, expect, it } from 'vitest';
import { resolveScaleDownAnalysis, scaleDownRunName } from '../api/steps.ts';
import type { Rollout, RolloutStatus } from '../api/types.ts';
import { activeAnalyses } from './active.ts';
import { errorRate, setup, value } from './engine.test-support.ts';

function rollout(status: RolloutStatus, scaleDownWhen = true): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout', namespace: 'shop' },
    spec: {
      workloadRef: { name: 'checkout' },
      service: { port: 80 },
      trafficRouting: { gatewayAPI: { httpRoute: 'checkout' } },
      strategy: {
        canary: {
          steps: [{ setWeight: 10 }, { analysis: { templates: [{ templateName: 'error-rate' }] } }],
          ...(scaleDownWhen
            ? {
                scaleDownWhen: {
                  analysis: {
                    templates: [{ templateName: 'old-traffic' }],
                    args: [
                      { name: 'service', value: 'checkout' },
                      { name: 'drainingRevision', value: 'typed-by-hand' },
                    ],
                  },
                },
              }
            : {}),
        },
      },
    },
    status,
  };
}

const promoted = (scaleDown: RolloutStatus['scaleDown']): RolloutStatus => ({
  stableRevision: 'b',
  canaryRevision: 'b',
  currentStepIndex: 2,
  scaleDown,
});

describe('the scale-down analysis (scaleDownWhen)', () => {
  it('measures the previous revision once its drain has started (a deadline is set), with drainingRevision', () => {
    const active = activeAnalyses(rollout(promoted([{ revision: 'a', scaleDownAt: '2026-03-01T12:00:30Z' }])));
    expect(active).toHaveLength(1);
    expect(active[0]).toMatchObject({ name: scaleDownRunName, revision: 'a' });
    // Sluice's value wins over one written in the spec: no one can know the revision when writing it.
    expect(active[0]!.analysis.args).toEqual([
      { name: 'service', value: 'checkout' },
      { name: 'drainingRevision', value: 'a' },
    ]);
  });

  it('does not start while users may still reach the revision (no deadline yet)', () => {
    expect(activeAnalyses(rollout(promoted([{ revision: 'a' }])))).toEqual([]);
  });

  it('runs only when the spec asks for it', () => {
    expect(activeAnalyses(rollout(promoted([{ revision: 'a', scaleDownAt: 'x' }]), false))).toEqual([]);
  });

  it('measures the newest draining revision, beside the analyses of a canary in flight', () => {
    const status: RolloutStatus = {
      ...promoted([
        { revision: 'a', scaleDownAt: '2026-03-01T12:00:10Z' },
        { revision: 'b', scaleDownAt: '2026-03-01T12:00:30Z' },
      ]),
      stableRevision: 'c',
      canaryRevision: 'd',
      currentStepIndex: 1,
    };
    expect(activeAnalyses(rollout(status)).map((a) => `${a.name}@${a.revision}`)).toEqual([
      'step-1@d',
      `${scaleDownRunName}@b`,
    ]);
  });

  it('lets a template require drainingRevision without the Rollout passing it', () => {
    const spec = rollout(promoted([])).spec;
    spec.strategy.canary!.scaleDownWhen!.analysis.args = [];
    expect(resolveScaleDownAnalysis(spec)?.provided).toEqual(['drainingRevision']);
  });

  it('ends after one measurement by default, as a step analysis does (a background run would never say drained)', async () => {
    const metric = {
      ...errorRate,
      provider: { prometheus: { address: 'http://prom:9090', query: 'rps{revision="{{args.drainingRevision}}"}' } },
    };
    const s = setup([metric], () => value(0.01), { args: [{ name: 'drainingRevision' }] });
    const drain = { ...s.step(), name: scaleDownRunName, stepIndex: undefined, revision: 'a' };
    drain.analysis = { ...drain.analysis, args: [{ name: 'drainingRevision', value: 'a' }] };
    const out = await s.reconcile([drain]);
    expect(s.provider.queries).toEqual(['rps{revision="a"}']);
    expect(out.runs[0]).toMatchObject({ name: scaleDownRunName, revision: 'a', phase: 'Successful' });
    expect(out.verdicts.get(scaleDownRunName)?.kind).toBe('done');
  });
});

describe('consecutiveSuccessLimit', () => {
  const drainMetric = {
    name: 'old-requests',
    interval: '2s',
    consecutiveSuccessLimit: 2,
    failureLimit: 100,
    successCondition: 'result < 0.5',
    provider: { prometheus: { address: 'http://prom:9090', query: 'rps{revision="{{args.drainingRevision}}"}' } },
  };

  it('ends the metric as Successful at the streak, failures before it tolerated, and no sooner', async () => {
    const answers = [5, 3, 0, 4, 0, 0, 7];
    const s = setup([drainMetric], () => value(answers.shift()!), { args: [{ name: 'drainingRevision' }] });
    const drain = { ...s.step(), name: scaleDownRunName, stepIndex: undefined, revision: 'a' };
    drain.analysis = { ...drain.analysis, args: [{ name: 'drainingRevision', value: 'a' }] };
    const phases: string[] = [];
    for (let i = 0; i < 7; i++) {
      const out = await s.reconcile([drain]);
      phases.push(out.runs[0]!.phase);
      s.clock.advance(2);
    }
    // 5, 3: still serving; 0 then 4 breaks the streak; 0, 0 is the streak: drained, and nothing more is measured.
    expect(phases).toEqual(['Running', 'Running', 'Running', 'Running', 'Running', 'Successful', 'Successful']);
    expect(s.provider.queries).toHaveLength(6);
    expect(s.runs()[0]!.metrics[0]).toMatchObject({ successful: 3, failed: 3, consecutiveSuccesses: 2 });
  });

  it('keeps failureLimit: a revision that never drains fails the run once it is exceeded', async () => {
    const s = setup([{ ...drainMetric, failureLimit: 2 }], () => value(9), { args: [{ name: 'drainingRevision' }] });
    const drain = { ...s.step(), name: scaleDownRunName, stepIndex: undefined, revision: 'a' };
    drain.analysis = { ...drain.analysis, args: [{ name: 'drainingRevision', value: 'a' }] };
    let phase = '';
    for (let i = 0; i < 4; i++) {
      phase = (await s.reconcile([drain])).runs[0]!.phase;
      s.clock.advance(2);
    }
    expect(phase).toBe('Failed');
  });
});
