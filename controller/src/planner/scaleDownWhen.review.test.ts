/**
 * Hostile review of scaleDownWhen (issue 16): the scale-down run in status ends whenever the drain ends, not only
 * when scaleDownDelaySeconds ends it, so that status never shows a run measuring a revision that is gone.
 */
import { describe, expect, it } from 'vitest';
import { scaleDownRunName } from '../api/steps.ts';
import type { AnalysisRunStatus, RolloutSpec } from '../api/types.ts';
import { baseSpec, withCanary, type SimCluster } from './fixtures.test-support.ts';

const scaleDownWhen = { analysis: { templates: [{ templateName: 'old-traffic' }] } };
const spec = (): RolloutSpec =>
  baseSpec({
    strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }], scaleDownDelaySeconds: 600, scaleDownWhen } },
  });

function drainingWithRunningRun(): SimCluster {
  const sim = withCanary(spec());
  sim.converge();
  sim.request('promote');
  sim.converge();
  const run: AnalysisRunStatus = {
    name: scaleDownRunName,
    revision: 'rev-a',
    phase: 'Running',
    message: 'old-traffic Running',
    startedAt: sim.now.toISOString(),
    metrics: [],
  };
  sim.analysisRuns = [...(sim.rollout.status!.analysis?.runs ?? []), run];
  sim.converge();
  expect(sim.rollout.status?.scaleDown?.[0]).toMatchObject({ revision: 'rev-a' });
  return sim;
}

const drainRunOf = (sim: SimCluster) => sim.rollout.status?.analysis?.runs.find((r) => r.name === scaleDownRunName);

describe('review: a drain that ends another way', () => {
  it('ends the run when the draining ReplicaSet was scaled to 0 by hand', () => {
    // Defect (scaleDown.ts planScaleDown): `observed(b, w.revision) === 0` drops the revision from status.scaleDown
    // without endDrainRun, so the run stays "Running" in status for ever (the engine no longer carries it on):
    // kubectl sluice status and the dashboard show a scale-down analysis measuring a revision that has no pod.
    const sim = drainingWithRunningRun();
    const old = sim.replicaSets.get('rev-a')!;
    old.replicas = old.readyReplicas = old.availableReplicas = 0;
    sim.reconcile(); // the engine carried the run on in this one
    sim.analysisRuns = undefined; // and measures nothing once the revision no longer drains
    sim.converge();
    expect(sim.rollout.status?.scaleDown).toBeUndefined();
    expect(drainRunOf(sim)?.phase).not.toBe('Running');
  });

  it('ends the run when scaleDownWhen is removed from the spec mid-drain', () => {
    // Same defect through drainRun(): with scaleDownWhen gone it finds no run, so endDrainRun at the deadline
    // leaves it "Running" for ever, beside a revision already scaled to 0.
    const sim = drainingWithRunningRun();
    delete sim.rollout.spec.strategy.canary!.scaleDownWhen;
    sim.advance(600_000);
    sim.reconcile();
    sim.analysisRuns = undefined;
    sim.converge();
    expect(sim.replicasOf('rev-a')).toBe(0);
    expect(drainRunOf(sim)?.phase).not.toBe('Running');
  });
});
