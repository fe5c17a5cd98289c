import { describe, expect, it } from 'vitest';
import { baseSpec, SimCluster } from './fixtures.test-support.ts';

/** Review repro: a canary that set a flag is superseded (or its template reverted); the flag's record is lost. */
function canaryPastFlagStep() {
  const sim = new SimCluster(
    baseSpec({
      strategy: {
        canary: { steps: [{ setWeight: 20 }, { setFlag: { name: 'new-flow', rollout: 50 } }, { pause: {} }] },
      },
    }),
  );
  sim.unleash.add('default', 'production', 'new-flow', { enabled: false, percent: 20 });
  sim.converge(); // rev-a becomes stable
  sim.templateRevision = 'rev-b';
  sim.converge(40); // canary rev-b: 20%, flag set to 50%, held at the pause
  expect(sim.unleash.get('default', 'production', 'new-flow')).toMatchObject({ enabled: true, percent: 50 });
  expect(sim.rollout.status?.currentStepIndex).toBe(2);
  return sim;
}

describe('flags of a superseded or reverted canary', () => {
  it('a superseding canary that is aborted puts the flag back as it was before any canary touched it', () => {
    const sim = canaryPastFlagStep();
    sim.templateRevision = 'rev-c';
    sim.reconcile(); // Superseded: steps start again
    sim.request('abort');
    sim.converge(40);
    sim.advance(120_000);
    sim.converge(40);
    expect(sim.rollout.status?.abort).toBe(true);
    // All traffic is on stable rev-a; the flag must be back at off/20%.
    expect(sim.unleash.get('default', 'production', 'new-flow')).toMatchObject({ enabled: false, percent: 20 });
  });

  it('a canary reverted to stable puts its flag back', () => {
    const sim = canaryPastFlagStep();
    sim.templateRevision = 'rev-a';
    sim.converge(40);
    sim.advance(120_000);
    sim.converge(40);
    expect(sim.rollout.status?.canaryRevision).toBe('rev-a');
    expect(sim.unleash.get('default', 'production', 'new-flow')).toMatchObject({ enabled: false, percent: 20 });
  });

  it('an aborted canary whose restore has not landed yet still gets its flag restored when a new canary supersedes it', () => {
    const sim = canaryPastFlagStep();
    sim.unleash.failure = { ok: false, kind: 'unreachable', message: 'Unleash at http://unleash is unreachable' };
    sim.request('abort');
    sim.converge(40);
    expect(sim.rollout.status?.flags).toHaveLength(1); // restore still to do
    // The fix ships without the flag step; Unleash comes back.
    sim.rollout.spec.strategy.canary!.steps = [{ setWeight: 20 }, { pause: {} }];
    sim.templateRevision = 'rev-c';
    sim.unleash.failure = undefined;
    sim.converge(40);
    sim.advance(120_000);
    sim.converge(40);
    sim.request('promote-full');
    sim.converge(40);
    expect(sim.rollout.status?.stableRevision).toBe('rev-c');
    expect(sim.unleash.get('default', 'production', 'new-flow')).toMatchObject({ enabled: false, percent: 20 });
  });
});
