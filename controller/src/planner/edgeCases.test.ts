import { describe, expect, it } from 'vitest';
import { baseSpec, SimCluster } from './fixtures.test-support.ts';
import { planDeletion } from './plan.ts';

/** Second review repros. */
function canaryPastFlagStep() {
  const sim = new SimCluster(
    baseSpec({
      strategy: {
        canary: { steps: [{ setWeight: 20 }, { setFlag: { name: 'new-flow', rollout: 50 } }, { pause: {} }] },
      },
    }),
  );
  sim.unleash.add('default', 'production', 'new-flow', { enabled: false, percent: 20 });
  sim.converge();
  sim.templateRevision = 'rev-b';
  sim.converge(40);
  expect(sim.unleash.get('default', 'production', 'new-flow')).toMatchObject({ enabled: true, percent: 50 });
  return sim;
}

describe('stale request applied to a new revision', () => {
  it('a promote-full whose annotation survived a crash does not promote the next release unseen', () => {
    const sim = new SimCluster();
    sim.converge();
    sim.templateRevision = 'rev-b';
    sim.converge();
    sim.request('promote-full');
    sim.clearActionFails = true; // status written (handledAction recorded), process dies before the annotation goes
    sim.reconcile();
    expect(sim.rollout.status?.handledAction).toBe('promote-full at rev-b step 4');
    // While the controller restarts, CI ships rev-c.
    sim.clearActionFails = false;
    sim.templateRevision = 'rev-c';
    sim.reconcile();
    expect(sim.eventReasons().filter((r) => r === 'PromotedFull')).toHaveLength(1);
    expect(sim.rollout.status?.currentStepIndex).toBe(0); // rev-c starts at its first step
  });
});

describe('flag writes while held', () => {
  for (const hold of ['paused', 'frozen'] as const) {
    it(`a template reverted to stable leaves Unleash alone while ${hold}`, () => {
      const sim = canaryPastFlagStep();
      if (hold === 'paused') sim.rollout.spec.paused = true;
      else sim.freeze = { message: 'deploy-freeze is on' };
      const writes = sim.unleash.writes;
      sim.templateRevision = 'rev-a';
      sim.converge(40);
      expect(sim.unleash.writes).toBe(writes);
    });
  }
});

describe('a deleted Rollout whose flags cannot be put back', () => {
  it('Unleash settings removed: the finalizer can never go', () => {
    const sim = canaryPastFlagStep();
    sim.unleashUnavailable = 'no Unleash settings: set UNLEASH_URL and the token';
    sim.rollout.metadata.deletionTimestamp = new Date(sim.now);
    for (let i = 0; i < 100; i++) {
      const plan = planDeletion(sim.world());
      sim.rollout.status = plan.status;
      sim.advance(10_000);
    }
    expect(sim.rollout.status?.flags ?? []).toEqual([]);
  });

  it('token refused (auth): retried forever, the finalizer can never go', () => {
    const sim = canaryPastFlagStep();
    sim.unleash.failure = { ok: false, kind: 'auth', message: 'Unleash refused the token (403)' };
    sim.rollout.metadata.deletionTimestamp = new Date(sim.now);
    for (let i = 0; i < 100; i++) {
      const plan = planDeletion(sim.world());
      for (const op of plan.flagOperations)
        sim.flagOutcomes.set(op.id, { result: sim.unleash.apply(op.operation), at: sim.now.getTime() });
      sim.rollout.status = plan.status;
      sim.advance(60_000);
    }
    expect(sim.rollout.status?.flags ?? []).toEqual([]);
  });
});

describe('an abort while stable has no ready pod', () => {
  it('an abort with the stable ReplicaSet gone does not send all traffic to a revision with no pods', () => {
    const sim = new SimCluster();
    sim.converge();
    sim.templateRevision = 'rev-b';
    sim.converge(); // held at the pause {} after 60%
    expect(sim.routeWeight).toBeGreaterThan(0);
    sim.replicaSets.delete('rev-a'); // deleted by hand; the executor now refuses to rebuild it from rev-b and says "or abort"
    sim.request('abort');
    sim.reconcile();
    expect(sim.replicaSets.has('rev-a')).toBe(false);
    expect(sim.routeWeight).not.toBe(0); // 100% to the stable Service, which selects no pod: an outage
  });
});

describe('an abort whose restore had not landed, then a new revision naming the same flag', () => {
  it("the aborted canary's flag goes back; it does not wait at 50% for the new canary to reach its step", () => {
    const sim = canaryPastFlagStep();
    sim.unleash.failure = { ok: false, kind: 'unreachable', message: 'Unleash at http://unleash is unreachable' };
    sim.request('abort');
    sim.converge(40);
    expect(sim.rollout.status?.flags).toHaveLength(1); // restore still to do
    // The fix ships; its steps still name new-flow, after a manual gate. Unleash comes back.
    sim.rollout.spec.strategy.canary!.steps = [
      { setWeight: 20 },
      { pause: {} },
      { setFlag: { name: 'new-flow', rollout: 50 } },
      { pause: {} },
    ];
    sim.templateRevision = 'rev-c';
    sim.unleash.failure = undefined;
    sim.advance(120_000);
    sim.converge(40);
    expect(sim.rollout.status?.currentStepIndex).toBe(1); // rev-c held at its manual gate, before the flag step
    expect(sim.unleash.get('default', 'production', 'new-flow')).toMatchObject({ enabled: false, percent: 20 });
  });
});

describe('a request applied twice when its annotation removal fails twice while the rollout moves', () => {
  it('one promote skips exactly one step, not the manual gate after it too', () => {
    const sim = new SimCluster();
    sim.converge();
    sim.templateRevision = 'rev-b';
    sim.converge(); // held at step 2/4 (pause 2s)
    expect(sim.rollout.status?.currentStepIndex).toBe(1);
    sim.clearActionFails = true; // the annotation removal fails (API blip, a webhook): the key is retried
    sim.request('promote');
    sim.reconcile(); // promote: step 3/4 (setWeight 60), waiting for pods
    expect(sim.rollout.status?.currentStepIndex).toBe(2);
    for (let i = 0; i < 5 && sim.rollout.status?.currentStepIndex === 2; i++) {
      sim.settlePods();
      sim.reconcile(); // the same request, recognised; once setWeight 60 is done: at the manual gate (pause {})
    }
    expect(sim.rollout.status?.currentStepIndex).toBe(3);
    sim.settlePods();
    sim.reconcile(); // the same annotation, still there
    expect(sim.eventReasons().filter((r) => r === 'Promoted')).toHaveLength(1);
    expect(sim.rollout.status?.currentStepIndex).toBe(3); // still at the manual gate
  });
});

describe('promote-full of a canary that superseded one which set the flag', () => {
  it('leaves the flag at a value no release asked for', () => {
    const sim = canaryPastFlagStep(); // rev-b set new-flow to 50%
    sim.rollout.spec.strategy.canary!.steps = [
      { setWeight: 20 },
      { pause: {} },
      { setFlag: { name: 'new-flow', rollout: 80 } },
      { pause: {} },
    ];
    sim.templateRevision = 'rev-c';
    sim.converge(40); // rev-c at its manual gate, before its flag step
    sim.request('promote-full');
    sim.converge(40);
    expect(sim.rollout.status?.stableRevision).toBe('rev-c');
    const f = sim.unleash.get('default', 'production', 'new-flow');
    // Either rev-c's 80% or the state before any canary (off, 20%); never rev-b's 50% with nothing left to undo it.
    expect(f?.percent === 80 || (f?.enabled === false && f?.percent === 20)).toBe(true);
    expect(sim.rollout.status?.flags ?? []).toEqual([]);
  });
});
