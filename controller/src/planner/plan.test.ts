import { describe, expect, it } from 'vitest';
import { planRollout } from './plan.ts';
import { baseSpec, SimCluster, withCanary } from './fixtures.test-support.ts';

describe('first sight of a Rollout', () => {
  it('makes the running template stable, waits for its pods, then takes the Deployment over', () => {
    const sim = new SimCluster();
    const first = sim.reconcile();
    expect(first.status.stableRevision).toBe('rev-a');
    expect(first.status.phase).toBe('Progressing');
    expect(first.replicaSets).toEqual([{ revision: 'rev-a', replicas: 4 }]);
    expect(first.takeOverDeployment).toBeUndefined(); // the Deployment's pods serve until ours are ready
    sim.settlePods();
    const second = sim.reconcile();
    expect(second.takeOverDeployment).toEqual({ recordReplicas: 4 });
    expect(second.status.phase).toBe('Healthy');
    expect(second.status.conditions?.find((c) => c.type === 'Healthy')?.status).toBe('True');
    expect(sim.eventReasons()).toEqual(['Initialized', 'Healthy']);
  });

  it('plans the same status twice for the same world, so a steady rollout causes no write', () => {
    const sim = new SimCluster();
    sim.converge();
    sim.advance(60_000);
    const a = planRollout(sim.world());
    sim.advance(60_000);
    const b = planRollout(sim.world());
    expect(b.status).toEqual(a.status);
    expect(b.status).toEqual(sim.rollout.status);
    expect(b.events).toEqual([]);
  });
});

describe('a canary through every step (Gateway API router)', () => {
  it('sets 20%, pauses 2s, sets 60%, pauses until promoted, then promotes keeping the canary pods', () => {
    const sim = withCanary();
    let plan = sim.reconcile();
    expect(plan.status.canaryRevision).toBe('rev-b');
    expect(plan.replicaSets).toEqual([
      { revision: 'rev-a', replicas: 4 },
      { revision: 'rev-b', replicas: 1 },
    ]);
    expect(plan.canaryWeight).toBe(0); // no traffic to pods that are not ready
    expect(plan.status.message).toMatch(/step 1\/4 \(setWeight 20%\): waiting for canary pods \(0\/1 ready\)/);

    sim.settlePods();
    plan = sim.reconcile();
    expect(plan.canaryWeight).toBe(20);
    expect(plan.status.currentStepIndex).toBe(0); // done only once the router confirms
    plan = sim.reconcile();
    expect(plan.status.currentStepIndex).toBe(1);
    expect(plan.status.phase).toBe('Paused');
    expect(plan.requeueAfterMs).toBe(2_000);
    expect(plan.status.message).toBe('step 2/4 (pause 2s): paused until 2026-11-29T03:00:02.000Z');
    sim.advance(500);
    expect(sim.reconcile().status.message).toBe(plan.status.message); // no countdown: nothing to write while it waits
    expect(plan.status.weights).toEqual({ canary: 20, stable: 80 });

    sim.advance(2_000);
    plan = sim.converge();
    expect(plan.status.currentStepIndex).toBe(3);
    expect(sim.routeWeight).toBe(60);
    expect(sim.replicasOf('rev-b')).toBe(3);
    expect(sim.replicasOf('rev-a')).toBe(4); // stable keeps its size: an abort needs no new pod
    expect(plan.status.phase).toBe('Paused');
    expect(plan.status.pauseConditions?.map((p) => p.reason)).toEqual(['PauseStep']);
    expect(plan.requeueAfterMs).toBeUndefined(); // an indefinite pause needs no timer

    sim.request('promote');
    plan = sim.converge();
    expect(plan.status.phase).toBe('Healthy');
    expect(plan.status.stableRevision).toBe('rev-b');
    expect(sim.routeWeight).toBe(0);
    expect(sim.replicasOf('rev-b')).toBe(4);
    // The old stable drains for scaleDownDelaySeconds (30 s by default), then goes.
    expect(sim.replicasOf('rev-a')).toBe(4);
    expect(sim.rollout.status?.scaleDown).toEqual([{ revision: 'rev-a', scaleDownAt: '2026-11-29T03:00:32.500Z' }]);
    sim.advance(30_000);
    sim.converge();
    expect(sim.replicasOf('rev-a')).toBe(0);
    expect(sim.rollout.status?.scaleDown).toBeUndefined();
    expect(sim.createdRevisions).toEqual(['rev-a', 'rev-b']); // promotion reused the canary's ReplicaSet
    expect(sim.eventReasons()).toEqual(
      expect.arrayContaining(['CanaryStarted', 'StepCompleted', 'Paused', 'Promoted', 'Healthy']),
    );
  });

  it('is Healthy after promotion only once the router reads back 100% on stable', () => {
    const sim = withCanary(baseSpec({ strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } } }));
    sim.converge();
    sim.request('promote');
    let plan = sim.reconcile();
    for (let i = 0; i < 5 && plan.canaryWeight !== 0; i++) {
      sim.settlePods();
      plan = sim.reconcile();
    }
    expect(plan.canaryWeight).toBe(0);
    expect(plan.status.phase).toBe('Progressing');
    expect(plan.status.message).toMatch(
      /waiting for the traffic router to confirm 100% on stable \(reads 20% on the canary\)/,
    );
    expect(sim.reconcile().status.phase).toBe('Healthy');
  });

  it('skips the remaining steps on promote-full', () => {
    const sim = withCanary();
    sim.converge();
    sim.request('promote-full');
    const plan = sim.converge();
    expect(plan.status.stableRevision).toBe('rev-b');
    expect(sim.eventReasons()).toContain('PromotedFull');
  });
});

describe('a newer template mid-canary', () => {
  it('supersedes the canary and starts the steps again for the newest revision', () => {
    const sim = withCanary();
    sim.converge();
    expect(sim.rollout.status?.currentStepIndex).toBe(1);
    sim.templateRevision = 'rev-c';
    const plan = sim.reconcile();
    expect(plan.status.canaryRevision).toBe('rev-c');
    expect(plan.status.currentStepIndex).toBe(0);
    expect(plan.replicaSets.map((r) => r.revision)).toEqual(['rev-a', 'rev-c']); // rev-b scales to 0
    expect(sim.eventReasons()).toContain('Superseded');
  });

  it('goes back to stable at once when the template returns to the stable one', () => {
    const sim = withCanary();
    sim.converge();
    sim.templateRevision = 'rev-a';
    const plan = sim.converge();
    expect(plan.status.phase).toBe('Healthy');
    expect(sim.routeWeight).toBe(0);
    expect(sim.replicasOf('rev-b')).toBe(0);
    expect(sim.eventReasons()).toContain('CanaryReverted');
  });
});

describe('replica-ratio router', () => {
  it('runs ceil(N × weight) canary pods beside a full stable and reports their share of pods', () => {
    const sim = withCanary(
      baseSpec({
        trafficRouting: undefined,
        strategy: { canary: { steps: [{ setWeight: 20 }, { setWeight: 60 }, { pause: {} }] } },
      }),
    );
    sim.routeWeight = undefined;
    const plan = sim.converge();
    expect(sim.replicasOf('rev-b')).toBe(3);
    expect(sim.replicasOf('rev-a')).toBe(4);
    expect(plan.status.weights).toEqual({ canary: 43, stable: 57 });
    expect(plan.status.currentStepIndex).toBe(2);
  });
});

describe('holding', () => {
  it('holds at the step while spec.paused is true and goes on when it is false', () => {
    const sim = withCanary();
    sim.rollout.spec.paused = true;
    let plan = sim.converge();
    expect(plan.status.phase).toBe('Paused');
    expect(plan.status.pauseConditions?.map((p) => p.reason)).toEqual(['UserPaused']);
    expect(plan.status.currentStepIndex).toBe(0);
    sim.rollout.spec.paused = false;
    plan = sim.converge();
    expect(plan.status.currentStepIndex).toBe(1);
  });

  it('holds while the freeze flag is on and names it', () => {
    const sim = withCanary();
    sim.freeze = { message: 'freeze flag deploy-freeze is enabled' };
    const plan = sim.converge();
    expect(plan.status.message).toMatch(/held at step 1\/4 .*deploy-freeze/);
    expect(plan.status.pauseConditions?.map((p) => p.reason)).toEqual(['FreezeFlag']);
  });
});

describe('progress deadline', () => {
  const spec = (abort: boolean) => baseSpec({ progressDeadlineSeconds: 60, progressDeadlineAbort: abort });

  it('marks the rollout Degraded when canary pods never become ready', () => {
    const sim = withCanary(spec(false));
    sim.podsBecomeReady = false;
    expect(sim.converge().status.phase).toBe('Progressing');
    sim.advance(61_000);
    const plan = sim.converge();
    expect(plan.status.phase).toBe('Degraded');
    expect(plan.status.message).toMatch(
      /progress deadline exceeded: step 1\/4 \(setWeight 20%\) made no progress for 1m/,
    );
    expect(plan.status.abort).toBe(false);
    expect(sim.eventReasons().filter((r) => r === 'ProgressDeadlineExceeded')).toHaveLength(1);
  });

  it('aborts when asked to', () => {
    const sim = withCanary(spec(true));
    sim.podsBecomeReady = false;
    sim.converge();
    sim.advance(61_000);
    const plan = sim.converge();
    expect(plan.status.abort).toBe(true);
    expect(plan.status.message).toMatch(/^aborted: progress deadline exceeded/);
  });
});
