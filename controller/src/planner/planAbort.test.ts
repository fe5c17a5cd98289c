import { describe, expect, it } from 'vitest';
import { baseSpec, withCanary } from './fixtures.test-support.ts';

describe('abort', () => {
  it('puts 100% on stable in the same reconcile, starts no pod, and scales the canary down after the delay', () => {
    const sim = withCanary(
      baseSpec({ strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }], abortScaleDownDelaySeconds: 30 } } }),
    );
    sim.converge();
    expect(sim.routeWeight).toBe(20);
    const podsBefore = sim.createdRevisions.length;

    sim.request('abort');
    const plan = sim.reconcile();
    expect(plan.canaryWeight).toBe(0);
    expect(plan.status.abort).toBe(true);
    expect(plan.status.phase).toBe('Degraded');
    expect(plan.status.message).toBe('aborted: aborted by a user request');
    expect(plan.replicaSets).toEqual([
      { revision: 'rev-a', replicas: 4 },
      { revision: 'rev-b', replicas: 1 },
    ]);
    expect(plan.requeueAfterMs).toBe(30_000);
    expect(sim.createdRevisions.length).toBe(podsBefore);

    sim.advance(29_000);
    expect(sim.reconcile().replicaSets).toHaveLength(2);
    sim.advance(1_000);
    sim.reconcile();
    expect(sim.replicasOf('rev-b')).toBe(0);
    expect(sim.replicasOf('rev-a')).toBe(4);
  });

  it('acts on a promote once, even when removing the request failed after status recorded it', () => {
    const sim = withCanary(
      baseSpec({
        strategy: {
          canary: {
            steps: [
              { setWeight: 20 },
              { pause: {} },
              { setWeight: 40 },
              { pause: {} },
              { setWeight: 60 },
              { pause: {} },
            ],
          },
        },
      }),
    );
    sim.converge();
    expect(sim.rollout.status?.currentStepIndex).toBe(1);
    sim.clearActionFails = true;
    sim.request('promote');
    let plan = sim.reconcile();
    expect(plan.status.handledAction).toBe('promote at rev-b step 2');
    // The annotation is still there (the removal failed): the next reconciles must not promote again.
    sim.settlePods();
    sim.reconcile();
    sim.settlePods();
    plan = sim.reconcile();
    expect(plan.status.currentStepIndex).toBe(3);
    expect(plan.clearAction).toBe(true);
    sim.clearActionFails = false;
    sim.reconcile();
    plan = sim.reconcile();
    expect(plan.status.handledAction).toBeUndefined();
    // A new request after the old one was removed is acted on.
    sim.request('promote');
    plan = sim.converge();
    expect(plan.status.currentStepIndex).toBe(5);
  });

  it('retries from the first step', () => {
    const sim = withCanary();
    sim.converge();
    sim.request('abort');
    sim.converge();
    sim.request('retry');
    const plan = sim.reconcile();
    expect(plan.status.abort).toBe(false);
    expect(plan.status.currentStepIndex).toBe(0);
    expect(sim.eventReasons()).toContain('Retried');
  });

  it('ignores promote while aborted and says why', () => {
    const sim = withCanary();
    sim.converge();
    sim.request('abort');
    sim.converge();
    sim.request('promote');
    const plan = sim.reconcile();
    expect(plan.status.stableRevision).toBe('rev-a');
    expect(plan.clearAction).toBe(true);
    expect(sim.events.at(-1)?.message).toMatch(/promote ignored: the rollout is aborted; use retry/);
  });
});
