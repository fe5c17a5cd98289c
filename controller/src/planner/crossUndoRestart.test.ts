/**
 * Cross-feature story (issue 16): spec.restartAt, then an undo to the previous stable revision while its pods are
 * still warm (scaleDownDelaySeconds), a rollback within spec.rollbackWindow.
 */
import { describe, expect, it } from 'vitest';
import { baseSpec } from './fixtures.test-support.ts';
import { runRestart, steadyRestartSim, type RestartSim } from './restart.test-support.ts';

const steps = [{ setWeight: 50 }, { pause: {} }];

function settle(sim: RestartSim, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    sim.reconcile();
    sim.advance(1_000);
    sim.settlePods();
  }
}

describe('an undo to a warm revision after a restart', () => {
  // Defect (restart.ts planRestart: `requested === b.status.restartedAt` finishes at once, whatever revision is
  // stable now): a restart asked for to pick up a rotated Secret or ConfigMap is recorded done on rev-b; an undo
  // then brings back rev-a, whose warm pods (kept for scaleDownDelaySeconds, exactly so that the undo is fast)
  // were created BEFORE spec.restartAt. They become stable and take all traffic, spec.restartAt still says every
  // stable pod must be newer than that time, status says the restart is done, and nothing evicts them: the old
  // credentials serve production, with a Healthy rollout and no condition saying otherwise.
  it('does not leave stable pods older than spec.restartAt once the undo is stable', () => {
    const { sim, restartAt } = restartedOnRevB();
    expect(sim.rollout.status?.stableRevision).toBe('rev-b');
    expect(sim.rollout.status?.restartedAt).toBe(restartAt);
    expect(sim.replicasOf('rev-a'), 'rev-a still warm').toBe(4);

    sim.request('undo');
    settle(sim, 40);
    expect(sim.rollout.status?.stableRevision).toBe('rev-a');
    const olderStable = sim.pods.filter(
      (p) => p.revision === 'rev-a' && !p.deleting && Date.parse(p.createdAt) < Date.parse(restartAt),
    );
    expect(olderStable.map((p) => p.name)).toEqual([]);
  });
});

/** rev-b stable and restarted at `restartAt`, rev-a's pods (from before it) still warm. */
function restartedOnRevB(): { sim: RestartSim; restartAt: string } {
  const sim = steadyRestartSim(
    baseSpec({ rollbackWindow: { revisions: 2 }, strategy: { canary: { steps, scaleDownDelaySeconds: 600 } } }),
  );
  sim.advance(5_000);
  sim.templateRevision = 'rev-b';
  settle(sim, 5);
  sim.request('promote');
  settle(sim, 10);
  const restartAt = sim.now.toISOString();
  sim.rollout.spec.restartAt = restartAt;
  sim.advance(1_000);
  runRestart(sim);
  return { sim, restartAt };
}

describe('a restart done on one revision, once another is stable', () => {
  it('given an undo to warm pods older than restartAt, then it says it reopens the restart, and records it done on the new stable', () => {
    const { sim, restartAt } = restartedOnRevB();
    expect(sim.rollout.status?.restartedRevision).toBe('rev-b');
    sim.request('undo');
    settle(sim, 40);
    expect(sim.rollout.status?.stableRevision).toBe('rev-a');
    const reopened = sim.events.filter((e) => e.reason === 'RestartReopened');
    expect(reopened).toHaveLength(1);
    expect(reopened[0]!.message).toContain('revision rev-a is stable now with 4 pod(s) created before it');
    expect(sim.rollout.status?.restartedAt).toBe(restartAt);
    expect(sim.rollout.status?.restartedRevision).toBe('rev-a');
    expect(sim.rollout.status?.conditions?.some((c) => c.type === 'Restarting')).not.toBe(true);
  });

  it('given a release of a new revision, whose pods are all newer, then nothing is evicted and it is recorded done on it', () => {
    const { sim, restartAt } = restartedOnRevB();
    const evicted = sim.evictions.length;
    sim.templateRevision = 'rev-c';
    settle(sim, 5);
    sim.request('promote');
    settle(sim, 20);
    expect(sim.rollout.status?.stableRevision).toBe('rev-c');
    expect(sim.evictions.length).toBe(evicted);
    expect(sim.eventReasons()).not.toContain('RestartReopened');
    expect(sim.rollout.status?.restartedAt).toBe(restartAt);
    expect(sim.rollout.status?.restartedRevision).toBe('rev-c');
  });
});
