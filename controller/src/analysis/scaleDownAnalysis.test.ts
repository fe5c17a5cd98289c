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
