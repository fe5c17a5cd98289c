/**
 * An abort that waits for stable's pods (dynamicStableScale shrank stable) is bounded like a step that waits on the
 * cluster: past progressDeadlineSeconds it says so, and still never moves traffic to pods that are not ready.
 */
import { describe, expect, it } from 'vitest';
import { baseSpec, SimCluster } from './fixtures.test-support.ts';

const steps = [{ setWeight: 60 }, { pause: {} }];

function abortedAtSixty(): SimCluster {
  const sim = new SimCluster(
    baseSpec({ progressDeadlineSeconds: 120, strategy: { canary: { steps, dynamicStableScale: true } } }),
  );
  sim.deploymentReplicas = 10;
  sim.converge();
  sim.templateRevision = 'rev-b';
  sim.converge();
  expect(sim.routeWeight).toBe(60);
  expect(sim.replicasOf('rev-a')).toBe(4);
  sim.podsBecomeReady = false; // stable's new pods never start
  sim.request('abort');
  return sim;
}

describe('an abort whose stable pods never become ready', () => {
  it('waits within progressDeadlineSeconds without a word of a stall', () => {
    const sim = abortedAtSixty();
    const plan = sim.reconcile();
    expect(plan.canaryWeight).toBe(60);
    expect(sim.events.find((e) => e.reason === 'Aborted')?.message).toBe(
      'aborted by a user request; traffic goes back to stable rev-a as its pods become ready (60% stays on the canary for now)',
    );
    sim.advance(119_000);
    const later = sim.reconcile();
    expect(later.canaryWeight).toBe(60);
    expect(sim.eventReasons()).not.toContain('AbortStalled');
    expect(later.requeueAfterMs).toBeLessThanOrEqual(1_000);
  });

  it('says so once past the deadline, keeps the traffic where ready pods carry it, and never promotes', () => {
    const sim = abortedAtSixty();
    sim.reconcile();
    sim.advance(121_000);
    const plan = sim.reconcile();
    expect(plan.canaryWeight, 'stable still has only 4 ready pods').toBe(60);
    expect(plan.status.phase).toBe('Degraded');
    expect(plan.status.message).toContain('aborted: aborted by a user request');
    expect(plan.status.message).toContain('stalled');
    expect(plan.status.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('AbortStalled');
    sim.advance(60_000);
    sim.reconcile();
    expect(sim.eventReasons().filter((r) => r === 'AbortStalled')).toHaveLength(1);
    expect(sim.rollout.status?.stableRevision).toBe('rev-a');

    // Stable's pods become ready at last: the hand-back ends, and with it the stall.
    sim.podsBecomeReady = true;
    sim.settlePods();
    const done = sim.converge();
    expect(done.canaryWeight).toBe(0);
    expect(done.status.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('RolloutAborted');
    expect(done.status.message).not.toContain('stalled');
  });
});
