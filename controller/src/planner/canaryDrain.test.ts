/**
 * Drain-safe scale-down after a canary promotion (issue 16): given a canary behind a traffic router, when it is
 * promoted, then the previous stable keeps its pods while Sluice's stable Service still reads back on it and for
 * scaleDownDelaySeconds after, so that gateways still applying the new weights reach running pods.
 */
import { describe, expect, it } from 'vitest';
import { baseSpec, withCanary, type SimCluster } from './fixtures.test-support.ts';

const steps = [{ setWeight: 50 }, { pause: {} }];

function promoted(sim: SimCluster): void {
  sim.converge();
  sim.request('promote');
  sim.converge();
  expect(sim.rollout.status?.stableRevision).toBe('rev-b');
}

describe('a canary behind a traffic router, promoted', () => {
  it('keeps the previous stable for scaleDownDelaySeconds, then scales it to 0', () => {
    const sim = withCanary(baseSpec({ strategy: { canary: { steps, scaleDownDelaySeconds: 10 } } }));
    promoted(sim);
    expect(sim.rollout.status?.phase).toBe('Healthy');
    expect(sim.replicasOf('rev-a')).toBe(4);
    expect(sim.lastPlan?.requeueAfterMs).toBeLessThanOrEqual(10_000);
    sim.advance(9_999);
    sim.converge();
    expect(sim.replicasOf('rev-a')).toBe(4);
    sim.advance(1);
    sim.converge();
    expect(sim.replicasOf('rev-a')).toBe(0);
    expect(sim.rollout.status?.scaleDown).toBeUndefined();
  });

  it('holds it while the stable Service does not read back on the new revision, and starts the delay after', () => {
    const sim = withCanary(baseSpec({ strategy: { canary: { steps, scaleDownDelaySeconds: 10 } } }));
    sim.converge();
    sim.servicesTakeWrites = false; // the stable Service's patch is refused (a webhook) or lags
    sim.request('promote');
    sim.converge();
    expect(sim.rollout.status?.stableRevision).toBe('rev-b');
    sim.advance(3_600_000);
    sim.converge();
    expect(sim.replicasOf('rev-a'), 'the pods the stable Service still selects').toBe(4);
    expect(sim.rollout.status?.scaleDown).toEqual([{ revision: 'rev-a' }]); // held: no deadline yet
    sim.servicesTakeWrites = true;
    sim.converge();
    const at = sim.rollout.status?.scaleDown?.[0]?.scaleDownAt;
    expect(Date.parse(at!) - sim.now.getTime()).toBe(10_000);
    sim.advance(10_000);
    sim.converge();
    expect(sim.replicasOf('rev-a')).toBe(0);
  });
});

describe('a canary split by replica ratio, promoted', () => {
  it('scales the previous stable to 0 at once: the users’ Service selects it, so it would go on serving', () => {
    const sim = withCanary(baseSpec({ trafficRouting: undefined, strategy: { canary: { steps } } }));
    promoted(sim);
    expect(sim.replicasOf('rev-a')).toBe(0);
    expect(sim.rollout.status?.scaleDown).toBeUndefined();
  });
});
