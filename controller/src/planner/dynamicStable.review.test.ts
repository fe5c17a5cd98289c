/**
 * Hostile review of dynamicStableScale (issue 16): sequences where a backend gets more traffic than the ready pods
 * of the revision it selects carry, or where an abort waits for stable pods when it need not.
 */
import { describe, expect, it } from 'vitest';
import type { RolloutSpec } from '../api/types.ts';
import { baseSpec, SimCluster } from './fixtures.test-support.ts';

const n = 10;
const steps = [{ setWeight: 20 }, { pause: { duration: '2s' } }, { setWeight: 60 }, { pause: {} }];
const dynamic = (canary: Partial<NonNullable<RolloutSpec['strategy']['canary']>> = {}): RolloutSpec =>
  baseSpec({ strategy: { canary: { steps, dynamicStableScale: true, ...canary } } });

/** rev-a stable at 10 pods, rev-b the canary at 60% read back, stable shrunk to 4 pods, every pod ready. */
function atSixtyPercent(spec = dynamic()): SimCluster {
  const sim = toSixtyPercent(spec);
  expect(sim.replicasOf('rev-a')).toBe(4);
  return sim;
}

/** rev-a stable at 10 pods, rev-b the canary at 60% read back, every pod ready (stable sized as `spec` says). */
function toSixtyPercent(spec: RolloutSpec): SimCluster {
  const sim = new SimCluster(spec);
  sim.deploymentReplicas = n;
  sim.converge();
  sim.templateRevision = 'rev-b';
  for (let i = 0; i < 30 && sim.rollout.status?.currentStepIndex !== 3; i++) {
    sim.reconcile();
    sim.settlePods();
    sim.advance(1_000);
  }
  sim.converge();
  expect(sim.routeWeight).toBe(60);
  return sim;
}

const rs = (sim: SimCluster, revision: string) => sim.replicaSets.get(revision)!;

describe('review: dynamicStableScale abort', () => {
  it('moves the share off a canary whose pods all crashed, to the stable pods that are ready', () => {
    // Defect: handBackWeight only looks at stable's ready pods. The usual reason to abort is a canary that
    // crashes: with 0 ready canary pods the canary keeps 60% of requests (all failing) until stable has grown
    // back to 10 ready pods, minutes with slow-starting pods. Stable's 4 ready pods serve requests; the dead
    // canary serves none, so every request on it is an error the abort could have avoided.
    const sim = atSixtyPercent();
    sim.podsBecomeReady = false;
    rs(sim, 'rev-b').readyReplicas = 0;
    rs(sim, 'rev-b').availableReplicas = 0;
    sim.request('abort');
    const plan = sim.reconcile();
    expect(plan.status.abort).toBe(true);
    expect(plan.canaryWeight, 'a canary with no ready pod carries no share').toBe(0);
  });

  it('does not trust a ready count above the pods the shrunk stable ReplicaSet still asks for', () => {
    // Defect: readyOf() reads status.readyReplicas, which lags spec.replicas right after stable shrank from 10 to
    // 4 (the ReplicaSet controller has not recounted yet, the 6 pods are terminating). An abort in that window (an
    // analysis that fails right at the 60% step) hands back all 60% at once to a stable with 4 pods: 100% on 40%.
    const sim = atSixtyPercent();
    rs(sim, 'rev-a').readyReplicas = n; // stale: the 6 pods being removed are still counted
    rs(sim, 'rev-a').availableReplicas = n;
    sim.podsBecomeReady = false;
    sim.request('abort');
    const plan = sim.reconcile();
    expect(plan.canaryWeight, 'stable runs 4 pods: it carries 40%, the canary keeps 60%').toBe(60);
  });
});

describe('review: dynamicStableScale turned off while stable is short of pods', () => {
  it('does not hand 100% to a stable with 4 of 10 ready pods when the option is removed mid-abort', () => {
    // Defect: abort.ts asks scalesStableDynamically() (the spec's flag) whether stable may have shrunk, not the
    // cluster. The docs say "omitted or false: an abort moves all traffic at once", so an on-call who wants the
    // abort to be instant removes the field: the next reconcile writes weight 0 and stable's 4 ready pods get
    // every request. The bound follows a stable the option shrank (status.stableShrunk), whatever the flag says now.
    const sim = atSixtyPercent();
    sim.podsBecomeReady = false;
    sim.request('abort');
    expect(sim.reconcile().canaryWeight).toBe(60);
    delete sim.rollout.spec.strategy.canary!.dynamicStableScale;
    const plan = sim.reconcile();
    expect(rs(sim, 'rev-a').readyReplicas).toBe(4);
    expect(plan.canaryWeight, 'stable’s 4 ready pods carry 40%').toBe(60);
  });

  it('does not hand 100% to the shrunk stable when the option is removed mid-canary and an abort follows', () => {
    // Same defect: the option removed at 60% (stable still at 4 pods) and an abort before stable has grown back.
    const sim = atSixtyPercent();
    sim.podsBecomeReady = false;
    delete sim.rollout.spec.strategy.canary!.dynamicStableScale;
    sim.request('abort');
    const plan = sim.reconcile();
    expect(plan.canaryWeight, 'stable’s 4 ready pods carry 40%').toBe(60);
  });
});

describe('review: dynamicStableScale, a canary replaced mid-flight', () => {
  it('does not keep the share on a crashed canary while a fixed revision waits for the hand-back', () => {
    // Same defect as the crashed-canary abort, through handBackFirst: the usual answer to a canary that crashes
    // is to push a fix (rev-c). The crashed rev-b keeps 60% of requests, every one failing, until stable has grown
    // back to 10 ready pods, although stable's 4 ready pods could take them now.
    const sim = atSixtyPercent();
    sim.podsBecomeReady = false;
    rs(sim, 'rev-b').readyReplicas = 0;
    rs(sim, 'rev-b').availableReplicas = 0;
    sim.templateRevision = 'rev-c';
    const plan = sim.reconcile();
    expect(plan.status.message).toContain('canary rev-b is being replaced');
    expect(plan.canaryWeight, 'a canary with no ready pod carries no share').toBe(0);
  });

  it('does not carry a promote-full typed during the hand-back over to the revision that replaces the canary', () => {
    // Defect: handBackFirst (dynamicStable.ts) returns before applyAction, so the sluice.dev/action annotation is
    // neither applied nor refused while the superseded canary hands its share back, which takes as long as
    // stable's pods take to start (minutes). When the hand-back ends, startCanary(rev-c) runs and the pending
    // promote-full is applied to rev-c: a revision nobody looked at becomes stable with no step, no analysis.
    // Without dynamicStableScale the same race lasts one reconcile; here it lasts the whole hand-back.
    const sim = atSixtyPercent();
    sim.podsBecomeReady = false;
    sim.templateRevision = 'rev-c';
    expect(sim.reconcile().status.message).toContain('canary rev-b is being replaced');
    sim.request('promote-full'); // meant for rev-b, which status still shows at 60%
    for (let i = 0; i < 30; i++) {
      sim.reconcile();
      for (const r of sim.replicaSets.values())
        r.readyReplicas = r.availableReplicas = Math.min(r.replicas, r.readyReplicas + 1);
      sim.advance(1_000);
    }
    expect(sim.rollout.status?.stableRevision, 'rev-c went through none of its steps').toBe('rev-a');
  });
});

describe('review: dynamicStableScale at setWeight 100', () => {
  it('says the abort waits for the stable pods Sluice is starting, not that someone must restore them', () => {
    // Defect (abort.ts planAborted): at 100% dynamicStableScale shrank stable to 0 pods itself; the abort scales
    // it back to 10, but the "stable has no ready pod" branch runs first and tells the on-call "(restore its
    // pods)", as if the ReplicaSet had been deleted by hand, and says nothing of the hand-back it waits for.
    const spec = baseSpec({
      strategy: { canary: { steps: [{ setWeight: 100 }, { pause: {} }], dynamicStableScale: true } },
    });
    const sim = new SimCluster(spec);
    sim.deploymentReplicas = n;
    sim.converge();
    sim.templateRevision = 'rev-b';
    sim.converge();
    expect(sim.routeWeight).toBe(100);
    expect(sim.replicasOf('rev-a')).toBe(0);
    sim.podsBecomeReady = false;
    sim.request('abort');
    const plan = sim.reconcile();
    expect(plan.replicaSets).toContainEqual({ revision: 'rev-a', replicas: n });
    expect(plan.status.message).not.toContain('restore its pods');
    expect(plan.status.message).toContain('waiting for 10 more stable pods (0/10 ready)');
  });
});

describe('without dynamicStableScale, an abort stays instant', () => {
  // The bounded hand-back is the price of a stable that Sluice shrank. A stable Sluice never shrank, at full size
  // with one pod not ready (crash-looping, or a node gone), still takes all traffic at once: the canary is what the
  // abort is about, and keeping a share on it until the last stable pod recovers (maybe never) hurts more users
  // than one pod less on stable does.
  it('moves 100% to a full-size stable with 9 of 10 ready pods at once', () => {
    const sim = toSixtyPercent(baseSpec({ strategy: { canary: { steps } } }));
    expect(sim.replicasOf('rev-a')).toBe(n);
    sim.podsBecomeReady = false;
    rs(sim, 'rev-a').readyReplicas = n - 1;
    rs(sim, 'rev-a').availableReplicas = n - 1;
    sim.request('abort');
    expect(sim.reconcile().canaryWeight).toBe(0);
  });
});
