/**
 * spec.rollbackWindow stories on the simulated cluster: a rollback to a recent stable revision skips the steps but
 * not the background analysis; anything else runs every step.
 */
import { describe, expect, it } from 'vitest';
import type { AnalysisRunStatus, RolloutSpec } from '../api/types.ts';
import { baseSpec, release, SimCluster } from './fixtures.test-support.ts';

const steps = [{ setWeight: 20 }, { pause: { duration: '2s' } }, { setWeight: 60 }, { pause: {} }];
const analysis = { templates: [{ templateName: 'error-rate' }] };

function windowSpec(revisions: number, background = true): RolloutSpec {
  return baseSpec({
    rollbackWindow: { revisions },
    strategy: { canary: { steps, ...(background ? { analysis } : {}) } },
  });
}

/** rev-a, then rev-b, released through their steps (background analysis passing); rev-b is stable. */
function released(spec: RolloutSpec, ...revisions: string[]): SimCluster {
  const sim = new SimCluster(spec);
  sim.converge();
  for (const revision of revisions) {
    sim.backgroundVerdict = { kind: 'running', message: 'analysis running' };
    release(sim, revision);
  }
  sim.backgroundVerdict = undefined;
  sim.events = []; // what follows is the story
  return sim;
}

function backgroundRun(revision: string, successful: number): AnalysisRunStatus[] {
  const metric = { name: 'error-rate', phase: 'Running' as const, count: successful, successful, failed: 0 };
  return [
    {
      name: 'background',
      revision,
      phase: successful > 0 ? 'Running' : 'Pending',
      startedAt: '2026-11-29T03:00:00Z',
      metrics: [{ ...metric, inconclusive: 0, errors: 0, consecutiveErrors: 0, measurements: [] }],
    },
  ];
}

describe('a rollback within spec.rollbackWindow', () => {
  it('skips the steps, puts all traffic on the old revision, and is promoted once background analysis passed', () => {
    const sim = released(windowSpec(2), 'rev-b');
    expect(sim.rollout.status?.previousStableRevisions).toEqual(['rev-a']);
    sim.templateRevision = 'rev-a'; // an undo, or a revert in Git
    sim.backgroundVerdict = { kind: 'running', message: 'analysis running: error-rate 0/∞' };
    sim.analysisRuns = backgroundRun('rev-a', 0);
    sim.converge(40);
    const { status } = sim.rollout;
    expect(status).toMatchObject({ canaryRevision: 'rev-a', stableRevision: 'rev-b', rollbackWithinWindow: true });
    expect(status?.currentStepIndex).toBe(4);
    expect(sim.events.find((e) => e.reason === 'RollbackWithinWindow')?.message).toMatch(
      /revision rev-a was stable before .* rollback within window: steps skipped; background analysis runs now/,
    );
    expect(sim.eventReasons()).not.toContain('StepCompleted');
    expect(sim.replicasOf('rev-a')).toBe(4); // full size at once
    expect(sim.replicasOf('rev-b')).toBe(4); // stable keeps its pods: an abort only moves traffic
    expect(sim.routeWeight).toBe(100);
    expect(status?.message).toMatch(
      /^rollback within window: steps skipped; all traffic on rev-a, stable once background/,
    );

    sim.analysisRuns = backgroundRun('rev-a', 1); // the first successful measurement of every metric
    sim.converge(40);
    expect(sim.rollout.status).toMatchObject({ stableRevision: 'rev-a', canaryRevision: 'rev-a', phase: 'Healthy' });
    expect(sim.rollout.status?.rollbackWithinWindow).toBeUndefined();
    expect(sim.rollout.status?.previousStableRevisions).toEqual(['rev-b']);
  });

  it('is aborted when the background analysis fails: traffic back to the stable revision', () => {
    const sim = released(windowSpec(2), 'rev-b');
    sim.templateRevision = 'rev-a';
    sim.backgroundVerdict = { kind: 'running', message: 'analysis running' };
    sim.converge(40);
    expect(sim.routeWeight).toBe(100);
    sim.backgroundVerdict = { kind: 'failed', message: 'metric error-rate failed' };
    sim.reconcile();
    expect(sim.rollout.status).toMatchObject({ abort: true, stableRevision: 'rev-b', phase: 'Degraded' });
    expect(sim.routeWeight).toBe(0);
    expect(sim.rollout.status?.message).toMatch(/background analysis failed: metric error-rate failed/);
  });

  it('without background analysis, is promoted as soon as it is ready', () => {
    const sim = released(windowSpec(1, false), 'rev-b');
    sim.templateRevision = 'rev-a';
    sim.converge(40);
    expect(sim.rollout.status).toMatchObject({ stableRevision: 'rev-a', phase: 'Healthy' });
    expect(sim.eventReasons()).toContain('RollbackWithinWindow');
    expect(sim.eventReasons()).not.toContain('StepCompleted');
  });

  it('a retry after its abort runs every step: the rollback is no longer trusted to skip them', () => {
    const sim = released(windowSpec(2), 'rev-b');
    sim.templateRevision = 'rev-a';
    sim.backgroundVerdict = { kind: 'failed', message: 'metric error-rate failed' };
    sim.converge(40);
    sim.backgroundVerdict = undefined;
    sim.request('retry');
    sim.converge(40);
    expect(sim.rollout.status?.rollbackWithinWindow).toBeUndefined();
    expect(sim.rollout.status).toMatchObject({ currentStepIndex: 1, phase: 'Paused' }); // at the first pause
    expect(sim.eventReasons()).toContain('StepCompleted');
  });
});

describe('outside spec.rollbackWindow', () => {
  it('a revision further back than the window runs every step', () => {
    const sim = released(windowSpec(1), 'rev-b', 'rev-c');
    expect(sim.rollout.status?.previousStableRevisions).toEqual(['rev-a', 'rev-b']);
    sim.templateRevision = 'rev-a';
    sim.reconcile();
    expect(sim.rollout.status?.currentStepIndex).toBe(0);
    expect(sim.rollout.status?.rollbackWithinWindow).toBeUndefined();
    expect(sim.eventReasons()).toContain('CanaryStarted');
    expect(sim.eventReasons()).not.toContain('RollbackWithinWindow');
  });

  it('a canary that was aborted was never stable: shipping it again runs every step', () => {
    const sim = released(windowSpec(2), 'rev-b');
    sim.templateRevision = 'rev-c';
    sim.converge(40);
    sim.request('abort');
    sim.converge(40);
    sim.templateRevision = 'rev-b'; // the user reverts to stable
    sim.converge(40);
    sim.templateRevision = 'rev-c'; // and ships the aborted revision again
    sim.reconcile();
    expect(sim.rollout.status?.rollbackWithinWindow).toBeUndefined();
    expect(sim.rollout.status?.currentStepIndex).toBe(0);
  });

  it('without spec.rollbackWindow, a rollback runs every step as before', () => {
    const sim = released(baseSpec(), 'rev-b');
    sim.templateRevision = 'rev-a';
    sim.reconcile();
    expect(sim.rollout.status?.currentStepIndex).toBe(0);
  });
});
