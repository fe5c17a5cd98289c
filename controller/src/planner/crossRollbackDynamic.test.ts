/**
 * Cross-feature stories (issue 16): a rollback within spec.rollbackWindow on a Rollout with dynamicStableScale.
 */
import { describe, expect, it } from 'vitest';
import type { AnalysisRunStatus, RolloutSpec } from '../api/types.ts';
import { baseSpec, release, SimCluster } from './fixtures.test-support.ts';

const n = 10;
const steps = [{ setWeight: 20 }, { pause: { duration: '2s' } }, { setWeight: 60 }, { pause: {} }];
const analysis = { templates: [{ templateName: 'error-rate' }] };
const spec = (): RolloutSpec =>
  baseSpec({ rollbackWindow: { revisions: 2 }, strategy: { canary: { steps, analysis, dynamicStableScale: true } } });

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

/** rev-a then rev-b released at 10 pods; the template goes back to rev-a (an undo): a rollback within the window. */
function rollingBack(): SimCluster {
  const sim = new SimCluster(spec());
  sim.deploymentReplicas = n;
  sim.converge();
  sim.backgroundVerdict = { kind: 'running', message: 'analysis running' };
  release(sim, 'rev-b');
  sim.advance(60_000);
  sim.converge(40);
  sim.templateRevision = 'rev-a';
  sim.backgroundVerdict = { kind: 'running', message: 'analysis running: error-rate 0/∞' };
  sim.analysisRuns = backgroundRun('rev-a', 0);
  sim.converge(40);
  return sim;
}

describe('a rollback within the window on a Rollout with dynamicStableScale', () => {
  it('holds with all traffic on the rollback and stable at full size', () => {
    const sim = rollingBack();
    expect(sim.rollout.status).toMatchObject({ rollbackWithinWindow: true, canaryRevision: 'rev-a' });
    expect(sim.routeWeight).toBe(100);
    expect(sim.replicasOf('rev-b')).toBe(n);
  });

  // Defect (canary.ts planTraffic, the `!ready` branch past the last step, with dynamicStable.ts sizeForStep): while
  // the rollback holds for its background analysis, stable (the revision an analysis failure aborts back to) runs
  // at full size only as long as every rollback pod is ready. One rollback pod unready (a liveness restart, a node
  // drain) sends the plan through the "promoting: waiting for canary pods" branch with the weight holdsRollback
  // wrote, 100%, and sizeForStep sizes stable for 0% share: stable's ReplicaSet goes to 0 pods. When the pod is
  // ready again, stable goes back to 10. Each flap of one pod deletes and recreates the whole stable ReplicaSet, and
  // an abort that follows (the analysis failing, which is when pods flap) must wait for 10 cold pods before any
  // traffic can leave the rollback. The hold should keep stable's size as it does while all pods are ready.
  it('keeps stable at full size when one rollback pod stops being ready during the hold', () => {
    const sim = rollingBack();
    const rollbackRs = sim.replicaSets.get('rev-a')!;
    rollbackRs.readyReplicas = rollbackRs.availableReplicas = n - 1;
    sim.podsBecomeReady = false;
    sim.reconcile();
    expect(sim.rollout.status?.rollbackWithinWindow).toBe(true);
    expect(sim.replicasOf('rev-b')).toBe(n);
  });

  // Defect (same branch, canary.ts planTraffic past the last step with dynamicStable.ts sizeForStep): an autoscaler
  // that scales the Rollout up during the hold (spec.replicas 10 to 14, the load that often comes with an incident
  // being rolled back) leaves the rollback short of its new size, so the plan takes the "waiting for canary pods"
  // branch at the 100% weight the hold wrote, and stable is sized for a 0% share: every stable pod is deleted at
  // the moment the load rose, and an abort then has nothing warm to go back to.
  it('keeps stable at full size when an autoscaler scales the Rollout up during the hold', () => {
    const sim = rollingBack();
    sim.rollout.spec.replicas = 14;
    sim.podsBecomeReady = false;
    sim.reconcile();
    expect(sim.rollout.status?.rollbackWithinWindow).toBe(true);
    expect(sim.replicasOf('rev-b')).toBeGreaterThanOrEqual(n);
  });
});
