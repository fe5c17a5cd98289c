import { describe, expect, it } from 'vitest';
import type { CanaryStrategy, RolloutSpec } from '../api/types.ts';
import { SimCluster } from './fixtures.test-support.ts';
import { planDeletion } from './plan.ts';

const flagSpec = (steps: CanaryStrategy['steps']): RolloutSpec => ({
  strategy: { canary: { steps } },
});

/** A flag-only rollout at its setFlag step: `new-flow` is off with a user's 20% gradual rollout. */
function atFlagStep(steps: CanaryStrategy['steps'] = [{ setFlag: { name: 'new-flow', rollout: 50 } }, { pause: {} }]) {
  const sim = new SimCluster(flagSpec(steps));
  sim.unleash.add('default', 'production', 'new-flow', { enabled: false, percent: 20 });
  return sim;
}

describe('a setFlag step', () => {
  it('records the flag in status before it changes it, and counts only once Unleash confirms the set', () => {
    const sim = atFlagStep();
    let plan = sim.reconcile();
    // First the read, and nothing written to Unleash.
    expect(plan.flagOperations.map((o) => o.operation.kind)).toEqual(['read']);
    expect(sim.unleash.writes).toBe(0);
    plan = sim.reconcile();
    expect(plan.status.flags).toEqual([
      expect.objectContaining({ name: 'new-flow', previousEnabled: false, previousRollout: 20, strategyId: 'user-1' }),
    ]);
    // The set is asked for only by a plan whose Rollout already has the record in status.
    expect(plan.flagOperations).toEqual([]);
    plan = sim.reconcile();
    expect(plan.flagOperations.map((o) => o.operation.kind)).toEqual(['set']);
    expect(plan.status.currentStepIndex).toBe(0);
    plan = sim.reconcile();
    expect(plan.status.currentStepIndex).toBe(1);
    expect(sim.unleash.get('default', 'production', 'new-flow')).toMatchObject({ enabled: true, percent: 50 });
    expect(sim.unleash.calls).toEqual(['read default/production/new-flow', 'set default/production/new-flow']);
  });

  it("takes the project from the controller's --unleash-project when the step names none", () => {
    const sim = new SimCluster(flagSpec([{ setFlag: { name: 'new-flow', rollout: 50 } }, { pause: {} }]));
    sim.defaultProject = 'shop';
    sim.unleash.add('shop', 'production', 'new-flow', { enabled: false });
    sim.converge();
    expect(sim.unleash.calls).toEqual(['read shop/production/new-flow', 'set shop/production/new-flow']);
  });

  it('leaves Unleash untouched while the rollout is paused, frozen or has an abort pending', () => {
    for (const hold of ['paused', 'frozen', 'abort'] as const) {
      const sim = atFlagStep();
      if (hold === 'paused') sim.rollout.spec.paused = true;
      if (hold === 'frozen') sim.freeze = { message: 'deploy-freeze is on' };
      // A flag-only rollout's canary starts in the first reconcile: the abort is there before its first step.
      if (hold === 'abort') sim.request('abort');
      sim.converge();
      sim.advance(60_000);
      sim.converge();
      expect(sim.unleash.calls, hold).toEqual([]);
    }
  });

  it('holds with the reason while Unleash is down, and tries again after a wait', () => {
    const sim = atFlagStep();
    sim.unleash.failure = {
      ok: false,
      kind: 'unreachable',
      message: 'Unleash at http://unleash is unreachable (connection refused)',
    };
    const plan = sim.converge();
    expect(plan.status.message).toMatch(
      /step 1\/2 \(setFlag new-flow to 50%\): Unleash at http:\/\/unleash is unreachable/,
    );
    expect(plan.requeueAfterMs).toBe(10_000);
    expect(sim.unleash.calls).toHaveLength(1); // no retry storm: one try until the wait is over
    sim.advance(10_000);
    sim.unleash.failure = undefined;
    sim.converge();
    expect(sim.unleash.get('default', 'production', 'new-flow')?.percent).toBe(50);
  });

  it('is InvalidSpec when the flag does not exist, and moves nothing', () => {
    const sim = new SimCluster(flagSpec([{ setFlag: { name: 'no-such-flag', rollout: 50 } }]));
    const plan = sim.converge();
    expect(plan.status.phase).toBe('Degraded');
    expect(plan.status.conditions?.find((c) => c.type === 'InvalidSpec')).toMatchObject({
      status: 'True',
      message: expect.stringContaining('spec.strategy.canary.steps[0].setFlag: no flag') as string,
    });
    expect(sim.unleash.writes).toBe(0);
  });

  it('is InvalidSpec when Unleash is not configured', () => {
    const sim = atFlagStep();
    sim.unleashUnavailable = 'SLUICE_UNLEASH_URL is not set';
    const plan = sim.converge();
    expect(plan.status.message).toContain('SLUICE_UNLEASH_URL is not set');
    expect(sim.unleash.calls).toEqual([]);
  });
});

describe('an abort with flags touched', () => {
  function setFlagThenAbort() {
    const sim = atFlagStep();
    sim.converge();
    expect(sim.rollout.status?.currentStepIndex).toBe(1);
    sim.request('abort');
    return sim;
  }

  it('puts every flag back and forgets it only once Unleash confirms', () => {
    const sim = setFlagThenAbort();
    let plan = sim.reconcile();
    expect(plan.status.abort).toBe(true);
    expect(plan.status.flags).toHaveLength(1); // recorded until the restore is confirmed
    plan = sim.reconcile();
    expect(plan.status.flags).toEqual([]);
    expect(sim.unleash.get('default', 'production', 'new-flow')).toMatchObject({ enabled: false, percent: 20 });
    expect(sim.eventReasons()).toContain('FlagRestored');
  });

  it('keeps a flag it could not put back, says so, and tries again with a growing delay', () => {
    const sim = setFlagThenAbort();
    sim.unleash.failure = { ok: false, kind: 'unreachable', message: 'Unleash is unreachable' };
    sim.reconcile();
    const plan = sim.reconcile();
    expect(plan.status.flags).toHaveLength(1);
    expect(plan.status.message).toMatch(/flags still to restore: new-flow \(production\): Unleash is unreachable/);
    expect(plan.requeueAfterMs).toBe(2_000);
    sim.reconcile();
    expect(sim.unleash.calls.filter((c) => c.startsWith('restore'))).toHaveLength(1);
    sim.unleash.failure = undefined;
    sim.advance(2_000);
    sim.converge();
    expect(sim.rollout.status?.flags).toEqual([]);
    expect(sim.unleash.get('default', 'production', 'new-flow')).toMatchObject({ enabled: false, percent: 20 });
  });

  it("after a retry, reads and sets the flag again instead of trusting the first attempt's outcomes", () => {
    const sim = setFlagThenAbort();
    sim.converge();
    expect(sim.unleash.get('default', 'production', 'new-flow')).toMatchObject({ enabled: false, percent: 20 });
    sim.unleash.add('default', 'production', 'new-flow', { enabled: true, percent: 30 }); // someone changed it meanwhile
    sim.advance(1_000);
    sim.request('retry');
    sim.converge();
    expect(sim.rollout.status?.currentStepIndex).toBe(1);
    expect(sim.unleash.get('default', 'production', 'new-flow')?.percent).toBe(50);
    expect(sim.rollout.status?.flags).toEqual([
      expect.objectContaining({ previousEnabled: true, previousRollout: 30 }),
    ]);
  });

  it('still puts the flags back when the spec has become invalid', () => {
    const sim = setFlagThenAbort();
    sim.specErrors = [{ field: 'spec.strategy.canary.steps[1]', message: 'broken', code: 'InvalidStep' }];
    sim.converge();
    expect(sim.rollout.status?.abort).toBe(true);
    expect(sim.rollout.status?.flags).toEqual([]);
    expect(sim.unleash.get('default', 'production', 'new-flow')).toMatchObject({ enabled: false, percent: 20 });
  });
});

describe('a Rollout deleted with flags changed', () => {
  it('puts every flag back, and says so, before its finalizer may go', () => {
    const sim = atFlagStep();
    sim.converge();
    expect(sim.unleash.get('default', 'production', 'new-flow')).toMatchObject({ enabled: true, percent: 50 });
    let plan = planDeletion(sim.world());
    expect(plan.flagOperations.map((o) => o.operation.kind)).toEqual(['restore']);
    expect(plan.status.message).toBe('deleting: putting back the flags it changed (new-flow)');
    expect(plan.canaryWeight).toBeUndefined();
    for (const op of plan.flagOperations)
      sim.flagOutcomes.set(op.id, { result: sim.unleash.apply(op.operation), at: sim.now.getTime() });
    sim.rollout.status = plan.status;
    plan = planDeletion(sim.world());
    expect(plan.status.flags).toEqual([]);
    expect(sim.unleash.get('default', 'production', 'new-flow')).toMatchObject({ enabled: false, percent: 20 });
  });
});
