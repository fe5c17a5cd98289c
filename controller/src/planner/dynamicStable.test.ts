/**
 * dynamicStableScale (issue 16): given a canary behind a traffic router whose stable shrinks as the canary grows,
 * the router never gives a backend more than the ready pods of the revision it selects can carry, whatever the
 * order in which pods become ready; an abort scales stable up first and hands the traffic back only as its pods
 * become ready; a promotion, a supersede and an abort with an unwritable router stay within the same bound.
 */
import { describe, expect, it } from 'vitest';
import type { RolloutSpec } from '../api/types.ts';
import { baseSpec, SimCluster } from './fixtures.test-support.ts';
import { stableCarries, stablePodsFor } from './dynamicStable.ts';
import type { Plan } from './world.ts';

const n = 10;
const steps = [{ setWeight: 20 }, { pause: { duration: '2s' } }, { setWeight: 60 }, { pause: {} }];
const dynamic = (canary: Partial<NonNullable<RolloutSpec['strategy']['canary']>> = {}): RolloutSpec =>
  baseSpec({ strategy: { canary: { steps, dynamicStableScale: true, ...canary } } });

/** rev-a stable at 10 pods, the template just changed to rev-b; pods become ready one per reconcile from here. */
function canaryOf(spec: RolloutSpec): SimCluster {
  const sim = new SimCluster(spec);
  sim.deploymentReplicas = n;
  sim.converge();
  sim.templateRevision = 'rev-b';
  sim.podsBecomeReady = false;
  return sim;
}

const readyOf = (sim: SimCluster, revision: string | undefined) =>
  revision === undefined ? 0 : (sim.replicaSets.get(revision)?.readyReplicas ?? 0);

/** The router's share for each backend is within what the ready pods of the revision it selects carry. */
function expectCarried(sim: SimCluster, when: string): void {
  const w = sim.routeWeight ?? 0;
  const stable = readyOf(sim, sim.services.stable);
  expect(stable * 100, `${when}: stable backend (${sim.services.stable}) at ${100 - w}%`).toBeGreaterThanOrEqual(
    (100 - w) * n,
  );
  if (w > 0 && sim.services.canary !== sim.services.stable) {
    const canary = readyOf(sim, sim.services.canary);
    expect(canary * 100, `${when}: canary backend (${sim.services.canary}) at ${w}%`).toBeGreaterThanOrEqual(w * n);
  }
}

/**
 * One reconcile, then one more pod of each ReplicaSet becomes ready (a scale-down takes its pods at once). The
 * bound holds after the writes and after the pods change; a plan also never sizes the stable backend below the
 * share the router may still give it (the weight before the write, as a lagging gateway keeps it).
 */
function slowStep(sim: SimCluster, ready = 1): Plan {
  const before = sim.routeWeight ?? 0;
  const plan = sim.reconcile();
  expectCarried(sim, 'after the writes');
  const stableRs = plan.replicaSets.find((rs) => rs.revision === sim.services.stable);
  const weight = plan.canaryWeight ?? before;
  expect((stableRs?.replicas ?? 0) * 100).toBeGreaterThanOrEqual((100 - Math.min(before, weight)) * n);
  for (const rs of sim.replicaSets.values()) {
    rs.readyReplicas = Math.min(rs.replicas, rs.readyReplicas + ready);
    rs.availableReplicas = rs.readyReplicas;
  }
  expectCarried(sim, 'after the pods changed');
  return plan;
}

function runSlowly(sim: SimCluster, reconciles = 40): void {
  for (let i = 0; i < reconciles; i++) {
    slowStep(sim);
    sim.advance(1_000);
  }
}

describe('dynamicStableScale: sizes', () => {
  it('gives stable the pods for its share, rounded up, and knows what ready pods carry', () => {
    expect(stablePodsFor(10, 20)).toBe(8);
    expect(stablePodsFor(10, 25)).toBe(8);
    expect(stablePodsFor(10, 100)).toBe(0);
    expect(stablePodsFor(3, 50)).toBe(2);
    expect(stableCarries(10, 4)).toBe(40);
    expect(stableCarries(3, 2)).toBe(66);
    expect(stableCarries(3, 3)).toBe(100);
  });
});

describe('dynamicStableScale: a canary', () => {
  it('shrinks stable as the canary grows, only once the router reads the share back', () => {
    const sim = canaryOf(dynamic());
    runSlowly(sim);
    expect(sim.rollout.status?.currentStepIndex).toBe(3); // the pause until promoted, at 60%
    expect(sim.routeWeight).toBe(60);
    expect(sim.replicasOf('rev-a')).toBe(4);
    expect(sim.replicasOf('rev-b')).toBe(6);
  });

  it('keeps stable at full size without the option', () => {
    const sim = canaryOf(baseSpec({ strategy: { canary: { steps } } }));
    runSlowly(sim);
    expect(sim.routeWeight).toBe(60);
    expect(sim.replicasOf('rev-a')).toBe(n);
  });

  it('grows stable before a step takes the canary share down', () => {
    const down = [{ setWeight: 60 }, { pause: { duration: '1s' } }, { setWeight: 20 }, { pause: {} }];
    const sim = canaryOf(dynamic({ steps: down }));
    runSlowly(sim, 12);
    expect(sim.rollout.status?.message).toMatch(
      /step 3\/4 \(setWeight 20%\): waiting for stable pods before taking traffic off the canary \(\d\/8 ready\)/,
    );
    runSlowly(sim);
    expect(sim.routeWeight).toBe(20);
    expect(sim.replicasOf('rev-a')).toBe(8);
    expect(sim.replicasOf('rev-b')).toBe(2);
  });

  it('promotes without sending the handed-back share to the old stable pods', () => {
    const sim = canaryOf(dynamic());
    runSlowly(sim);
    sim.request('promote');
    runSlowly(sim);
    expect(sim.rollout.status?.stableRevision).toBe('rev-b');
    expect(sim.routeWeight).toBe(0);
    expect(sim.services).toEqual({ stable: 'rev-b', canary: 'rev-b' });
    expect(sim.rollout.status?.phase).toBe('Healthy');
  });

  it('keeps the promotion’s weight while the stable Service does not select the new revision', () => {
    const sim = canaryOf(dynamic());
    runSlowly(sim);
    sim.servicesTakeWrites = false;
    sim.request('promote');
    runSlowly(sim, 10);
    expect(sim.rollout.status?.stableRevision).toBe('rev-b');
    expect(sim.routeWeight, 'the 40% of rev-a (4 pods) stays where it is').toBe(60);
    expect(sim.replicasOf('rev-a')).toBe(4);
    sim.servicesTakeWrites = true;
    runSlowly(sim, 5);
    expect(sim.routeWeight).toBe(0);
  });
});

describe('dynamicStableScale: an abort', () => {
  it('scales stable up first and moves the traffic back only as stable’s pods become ready, saying so', () => {
    const sim = canaryOf(dynamic({ abortScaleDownDelaySeconds: 0 }));
    runSlowly(sim);
    expect(sim.replicasOf('rev-a')).toBe(4);
    sim.request('abort');
    const first = slowStep(sim, 0);
    expect(first.status.abort).toBe(true);
    expect(first.replicaSets).toContainEqual({ revision: 'rev-a', replicas: n });
    expect(first.canaryWeight, 'stable’s 4 ready pods carry 40%, no more').toBe(60);
    expect(first.status.message).toContain('waiting for 6 more stable pods (4/10 ready)');
    expect(first.status.message).toContain('remaining 60% of traffic off the canary');

    const weights: number[] = [];
    for (let i = 0; i < 10; i++) {
      weights.push(slowStep(sim).canaryWeight!);
      expect(sim.replicasOf('rev-b'), 'the canary keeps its pods while it has a share').toBe(
        (sim.routeWeight ?? 0) > 0 ? 6 : sim.replicasOf('rev-b'),
      );
    }
    expect(weights.slice(0, 7)).toEqual([60, 50, 40, 30, 20, 10, 0]);
    expect(sim.routeWeight).toBe(0);
    expect(sim.replicasOf('rev-b')).toBe(0);
    expect(sim.rollout.status?.message).toBe('aborted: aborted by a user request');
  });

  it('holds the canary’s share while stable has no ready pod to take it', () => {
    const sim = canaryOf(dynamic());
    runSlowly(sim);
    sim.request('abort');
    for (let i = 0; i < 5; i++) {
      slowStep(sim, 0);
      sim.advance(60_000);
    }
    expect(sim.routeWeight).toBe(60);
    expect(sim.replicasOf('rev-a')).toBe(n);
    expect(sim.replicasOf('rev-b'), 'past abortScaleDownDelaySeconds: its share is not handed back yet').toBe(6);
  });

  it('moves everything at once when stable is already at full size (an abort before the share was read back)', () => {
    const sim = canaryOf(dynamic());
    for (let i = 0; i < 3; i++) slowStep(sim); // canary pods for 20% become ready; the router gets 20%
    expect(sim.routeWeight).toBe(20);
    expect(readyOf(sim, 'rev-a')).toBe(n);
    sim.request('abort');
    expect(slowStep(sim).canaryWeight).toBe(0);
  });

  it('with an unwritable router: scales stable back up, and the canary to 0 as without the option', () => {
    const sim = canaryOf(dynamic());
    runSlowly(sim);
    sim.routeInvalid = 'HTTPRoute shop/checkout has no backendRef named checkout-canary';
    sim.request('abort');
    const plan = sim.reconcile();
    expect(plan.canaryWeight).toBeUndefined();
    expect(plan.replicaSets).toEqual([{ revision: 'rev-a', replicas: n }]);
    expect(plan.status.message).toContain('the traffic router cannot be written');
  });

  it('with a router that still takes the weight (abortable): hands back as stable becomes ready', () => {
    const sim = canaryOf(dynamic());
    runSlowly(sim);
    sim.routeInvalid = 'HTTPRoute shop/checkout: the canary backend lost its port';
    sim.routeAbortable = true;
    sim.request('abort');
    const plan = slowStep(sim, 0);
    expect(plan.canaryWeight).toBe(60);
    expect(plan.replicaSets).toContainEqual({ revision: 'rev-a', replicas: n });
    expect(plan.replicaSets).toContainEqual({ revision: 'rev-b', replicas: 6 });
    expect(plan.status.message).toContain('waiting for 6 more stable pods');
    for (let i = 0; i < 8; i++) slowStep(sim);
    expect(sim.routeWeight).toBe(0);
  });
});

describe('dynamicStableScale: a canary replaced mid-flight', () => {
  it('hands the share back to stable before the new canary takes the canary Service', () => {
    const sim = canaryOf(dynamic());
    runSlowly(sim);
    sim.templateRevision = 'rev-c';
    const plan = slowStep(sim, 0);
    expect(plan.services).toEqual({ stable: 'rev-a', canary: 'rev-b' });
    expect(plan.status.message).toContain('canary rev-b is being replaced (revision rev-c replaces it)');
    expect(plan.status.message).toContain('waiting for 6 more stable pods');
    while ((sim.routeWeight ?? 0) > 0) slowStep(sim);
    runSlowly(sim);
    expect(sim.rollout.status?.canaryRevision).toBe('rev-c');
    expect(sim.eventReasons()).toContain('Superseded');
    expect(sim.routeWeight).toBe(60);
  });

  it('keeps the canary Service on the replaced canary until 0% reads back, even once stable is fully ready', () => {
    // Stable's last pods became ready between two reconciles while the route still gives the old canary 30%: the
    // new canary may not take the canary Service in the plan that writes 0%, since the route and the Service are
    // two writes (the real story saw the canary backend at 25% on a revision with no ready pod).
    const sim = canaryOf(dynamic());
    runSlowly(sim);
    sim.templateRevision = 'rev-c';
    const stable = sim.replicaSets.get('rev-a')!;
    stable.replicas = n;
    stable.readyReplicas = stable.availableReplicas = 7;
    expect(sim.reconcile().canaryWeight).toBe(30);
    stable.readyReplicas = stable.availableReplicas = n;
    const plan = sim.reconcile();
    expect(plan.canaryWeight).toBe(0);
    expect(plan.services).toEqual({ stable: 'rev-a', canary: 'rev-b' });
    expect(sim.rollout.status?.canaryRevision).toBe('rev-b');
    expect(sim.reconcile().services).toEqual({ stable: 'rev-a', canary: 'rev-c' }); // 0% read back
  });

  it('hands it back before a revert to stable removes the canary', () => {
    const sim = canaryOf(dynamic());
    runSlowly(sim);
    sim.templateRevision = 'rev-a';
    expect(slowStep(sim, 0).status.message).toContain('the pod template is back at stable rev-a');
    runSlowly(sim);
    expect(sim.rollout.status?.phase).toBe('Healthy');
    expect(sim.replicasOf('rev-a')).toBe(n);
    expect(sim.replicasOf('rev-b')).toBe(0);
  });
});
