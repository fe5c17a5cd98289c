import { describe, expect, it } from 'vitest';
import { baseSpec, SimCluster, withCanary } from './fixtures.test-support.ts';

describe('analysis and flag steps', () => {
  const spec = () =>
    baseSpec({
      strategy: {
        canary: {
          steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'error-rate' }] } }, { setWeight: 50 }],
        },
      },
    });

  it('waits without a verdict, advances on success', () => {
    const sim = withCanary(spec());
    expect(sim.converge().status.message).toMatch(/step 2\/3 \(analysis error-rate\): waiting for a verdict/);
    sim.stepVerdicts.set(1, { kind: 'done', message: 'all metrics passed' });
    expect(sim.converge().status.currentStepIndex).toBe(3);
  });

  it('aborts on failure with the reason in status and the Event, in the same reconcile', () => {
    const sim = withCanary(spec());
    sim.converge();
    sim.stepVerdicts.set(1, {
      kind: 'failed',
      message: 'metric error-rate measured 0.31 (failureCondition result >= 0.10)',
    });
    const plan = sim.reconcile();
    expect(plan.canaryWeight).toBe(0);
    expect(plan.status.message).toContain('error-rate measured 0.31');
    expect(sim.events.find((e) => e.reason === 'Aborted')?.message).toContain('error-rate measured 0.31');
  });

  it('pauses on an inconclusive verdict', () => {
    const sim = withCanary(spec());
    sim.stepVerdicts.set(1, { kind: 'inconclusive', message: 'no data' });
    const plan = sim.converge();
    expect(plan.status.phase).toBe('Paused');
    expect(plan.status.pauseConditions?.map((p) => p.reason)).toEqual(['AnalysisInconclusive']);
  });

  it('aborts when background analysis fails', () => {
    const sim = withCanary(spec());
    sim.converge();
    sim.backgroundVerdict = { kind: 'failed', message: 'latency High' };
    expect(sim.reconcile().status.message).toBe('aborted: background analysis failed: latency High');
  });
});

describe('flag-only rollouts', () => {
  it('are the release themselves: a new one runs its steps from the first', () => {
    const sim = new SimCluster({ strategy: { canary: { steps: [{ setFlag: { name: 'new-flow', rollout: 10 } }] } } });
    sim.unleash.failure = { ok: false, kind: 'unreachable', message: 'Unleash is unreachable' };
    const plan = sim.converge();
    expect(plan.status.phase).toBe('Progressing');
    expect(plan.status.currentStepIndex).toBe(0);
    expect(plan.status.message).toMatch(/step 1\/1 \(setFlag new-flow to 10%\): Unleash is unreachable/);
    sim.unleash.failure = undefined;
    sim.unleash.add('default', 'production', 'new-flow', { enabled: false });
    sim.advance(10_000);
    expect(sim.converge().status.phase).toBe('Healthy');
    expect(sim.unleash.get('default', 'production', 'new-flow')).toMatchObject({ enabled: true, percent: 10 });
  });

  it('run their steps without pods or traffic and end released', () => {
    const sim = new SimCluster({
      strategy: { canary: { steps: [{ setFlag: { name: 'new-flow', rollout: 10 } }, { pause: { duration: '1s' } }] } },
    });
    sim.unleash.add('default', 'production', 'new-flow', { enabled: false });
    sim.converge();
    sim.advance(1_000);
    sim.converge();
    sim.rollout.spec.strategy.canary!.steps[0] = { setFlag: { name: 'new-flow', rollout: 50 } };
    let plan = sim.reconcile();
    expect(plan.replicaSets).toEqual([]);
    expect(plan.canaryWeight).toBeUndefined();
    expect(sim.converge().status.phase).toBe('Paused'); // the 1s pause starts once the flag step is done
    expect(sim.unleash.get('default', 'production', 'new-flow')?.percent).toBe(50);
    sim.advance(1_000);
    plan = sim.converge();
    expect(plan.status.phase).toBe('Healthy');
    expect(plan.status.stableRevision).toBe(plan.status.canaryRevision);
  });
});
