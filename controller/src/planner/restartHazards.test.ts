/**
 * Hostile review of spec.restartAt (issue 16): what an on-call engineer meets when a restart does not go to plan.
 * Each test fails on the current planner and names the defect it shows.
 */
import { describe, expect, it } from 'vitest';
import { SimCluster, baseSpec } from './fixtures.test-support.ts';
import { planRollout } from './plan.ts';
import { RestartSim, steadyRestartSim } from './restart.test-support.ts';

const condition = (sim: SimCluster) => sim.rollout.status?.conditions?.find((c) => c.type === 'Restarting');
const evicted = (sim: RestartSim) => sim.evictions.filter((e) => e.code === 201).map((e) => e.pod);

describe('a restart the planner cannot carry out', () => {
  // Defect (planner/restart.ts:23): a Rollout without workloadRef (flag-only) has no pods to restart, and
  // `kubectl sluice restart` on it prints "restart of the stable pods requested"; the planner then drops the request
  // without a word (finish(): no condition, no Event, no error naming spec.restartAt), so the user believes the
  // restart ran. The API server takes the field too (no CEL rule as for rollbackWindow). Bad input must get a clear
  // error naming the field.
  it('a flag-only Rollout with restartAt says, naming spec.restartAt, that it has no pods to restart', () => {
    const sim = new SimCluster({ strategy: { canary: { steps: [{ pause: { duration: '1s' } }] } } });
    sim.converge();
    sim.advance(5_000);
    sim.rollout.spec.restartAt = sim.now.toISOString();
    const plan = sim.reconcile();
    expect(plan.status.restartedAt).toBeUndefined();
    const said = plan.status.conditions?.filter(
      (c) =>
        (c.type === 'Restarting' || (c.type === 'InvalidSpec' && c.status === 'True')) && /restartAt/.test(c.message),
    );
    expect(said ?? []).not.toEqual([]);
  });
});

describe('stable pods that are not ready', () => {
  /** Four stable pods, the oldest of which is not ready (crash-looping, wedged: what a restart is for). */
  function withOneBrokenPod(): { sim: RestartSim; broken: string } {
    const sim = steadyRestartSim();
    sim.podsBecomeReady = false;
    const broken = sim.stablePods()[0]!;
    sim.pods.find((p) => p.name === broken)!.ready = false;
    sim.settlePods(); // the ReplicaSet now says 3/4 ready
    sim.advance(5_000);
    sim.rollout.spec.restartAt = sim.now.toISOString();
    return { sim, broken };
  }

  // Defect (planner/restart.ts:83-88): a stable pod that was not ready before the restart makes `ready < want`, and
  // the condition says "waiting for its replacement to be ready" although nothing was evicted and no replacement
  // exists. The on-call engineer looks for a replacement pod that is not there; the pod that blocks is not named.
  it('says which stable pod is not ready, not that a replacement is awaited, when nothing was evicted', () => {
    const { sim, broken } = withOneBrokenPod();
    const plan = sim.reconcile();
    // Either fix passes: the broken pod evicted first (the next test), or the wait said as it is.
    const message = condition(sim)?.message ?? '';
    if (plan.evictions.length > 0) expect(plan.evictions[0]!.name).toBe(broken);
    else
      expect({ replacement: /replacement/.test(message), named: message.includes(broken) }).toEqual({
        replacement: false,
        named: true,
      });
  });

  // Defect (planner/restart.ts:83): the same Rollout never restarts at all: the one pod a restart would fix holds it
  // forever (no deadline, no Warning). Evicting a stable pod that is not ready costs no ready pod, so it can go first
  // without stable ever running more than one ready pod short.
  it('replaces the broken pod first instead of waiting forever for it to become ready', () => {
    const { sim, broken } = withOneBrokenPod();
    for (let i = 0; i < 5; i++) {
      sim.reconcile();
      sim.advance(5_000);
    }
    expect(evicted(sim)).toEqual([broken]);
  });
});

describe('a stable pod stuck terminating', () => {
  // Defect (planner/restart.ts:82-83): any stable pod with a deletionTimestamp holds the restart ("waiting for pod
  // ... to go"), also one Sluice never evicted: a pod on a node that died stays Terminating until the node object is
  // removed, often for hours, while its ReplicaSet has already made a ready replacement. The restart then never
  // starts, with no deadline, though every pod the ReplicaSet asks for is ready. Only the pod the restart evicted
  // (status.restart.pod) needs to be waited for; the rest is counted by readiness.
  it('starts although a pod it did not evict is stuck Terminating, when every wanted stable pod is ready', () => {
    const sim = steadyRestartSim();
    const lost = sim.pods[0]!;
    lost.deleting = true; // on a node that went away; never evicted by Sluice
    lost.ready = false;
    sim.pods.push({
      ...lost,
      name: 'checkout-rev-a-new',
      uid: 'uid-new',
      createdAt: sim.now.toISOString(),
      ready: true,
      deleting: false,
    });
    sim.advance(5_000);
    sim.rollout.spec.restartAt = sim.now.toISOString();
    const plan = sim.reconcile();
    expect(plan.evictions).toHaveLength(1);
    expect(plan.evictions[0]!.name).not.toBe(lost.name);
  });
});

describe('a replacement pod that never becomes ready', () => {
  // Defect (planner/restart.ts:83-89, no deadline): after the first eviction the replacement never turns ready (an
  // image that cannot be pulled, a node without room). The restart waits forever with phase Progressing and no
  // Warning Event: progressDeadlineSeconds counts only canary steps (step.ts stalled()), so nothing tells on-call
  // that the restart is stuck with stable one pod short. Past the deadline a Warning must say so.
  it('past progressDeadlineSeconds, a Warning Event says the restart is stuck and on which pod', () => {
    const sim = steadyRestartSim(baseSpec({ progressDeadlineSeconds: 60 }));
    sim.advance(5_000);
    sim.rollout.spec.restartAt = sim.now.toISOString();
    expect(sim.reconcile().evictions).toHaveLength(1);
    sim.podsBecomeReady = false;
    for (let i = 0; i < 30; i++) {
      sim.settlePods();
      sim.reconcile();
      sim.advance(10_000); // five minutes in all, five times the deadline
    }
    const replacement = sim.pods.find((p) => !p.ready && !p.deleting)!.name;
    expect(sim.rollout.status?.restartedAt).toBeUndefined();
    const warnings = sim.events.filter((e) => e.type === 'Warning');
    expect(warnings.map((e) => e.message).join('\n')).toMatch(/restart/i);
    expect(condition(sim)?.message).toContain(replacement);
  });
});

describe('a PodDisruptionBudget that never allows', () => {
  // Defect (planner/restart.ts:102-104, no deadline): a budget that allows no disruption (minAvailable equal to the
  // replicas, a common misconfiguration) holds the restart forever, asking every 5 s, with only a True Restarting
  // condition and phase Progressing to show for it: no Warning Event ever, however long. `kubectl sluice restart`
  // was asked for a reason (a rotated secret, a leak); on-call must hear that it is not happening.
  it('past progressDeadlineSeconds, a Warning Event names the budget refusing the restart', () => {
    const sim = steadyRestartSim(baseSpec({ progressDeadlineSeconds: 60 }));
    sim.minAvailable = 4; // of 4
    sim.advance(5_000);
    sim.rollout.spec.restartAt = sim.now.toISOString();
    for (let i = 0; i < 60; i++) {
      sim.reconcile();
      sim.advance(5_000); // five minutes in all
      sim.settlePods();
    }
    expect(evicted(sim)).toEqual([]);
    const warnings = sim.events.filter((e) => e.type === 'Warning').map((e) => e.message);
    expect(warnings.join('\n')).toMatch(/PodDisruptionBudget/);
  });
});

describe('clocks that disagree', () => {
  // Defect (planner/restart.ts:29-31): "no replacement ever counts as older" holds only when the controller's clock
  // agrees with the API server's, which stamps creationTimestamp. With the controller 3 s ahead (a node whose NTP
  // drifted), the restart starts at restartAt by its own clock, the first replacements are stamped before
  // restartAt by the API server, and each is evicted again once ready: more evictions than pods, each one a pod
  // short. The planner can keep a margin, or compare with a time the API server stamped.
  it('evicts each pod that predates restartAt once, never a replacement, with the controller 3 s ahead', () => {
    const sim = steadyRestartSim();
    const before = sim.stablePods();
    sim.advance(60_000);
    sim.rollout.spec.restartAt = sim.now.toISOString();
    const serverStamps = () => {
      // The API server's clock is 3 s behind the controller's: what the sim made at sim.now is stamped 3 s earlier.
      for (const p of sim.pods)
        if (p.createdAt === sim.now.toISOString()) p.createdAt = new Date(sim.now.getTime() - 3_000).toISOString();
    };
    for (let round = 0; round < 40 && sim.rollout.status?.restartedAt === undefined; round++) {
      sim.reconcile();
      sim.advance(500);
      sim.settlePods();
      serverStamps();
    }
    expect(sim.rollout.status?.restartedAt).toBe(sim.rollout.spec.restartAt);
    expect(evicted(sim).filter((p) => !before.includes(p))).toEqual([]);
  });
});

describe('a Deployment with minReadySeconds', () => {
  // Defect (planner/restart.ts:64-65 and 83): the restart paces on the pods' Ready condition, not on availability.
  // With minReadySeconds (copied into Sluice's ReplicaSets, workload/objects.ts), a replacement counts as available
  // only after it has stayed ready that long; the ReplicaSet's availableReplicas says so. The restart evicts the
  // next pod as soon as the replacement is Ready, so a replacement that crashes in its first seconds (what
  // minReadySeconds guards against) is not waited for, and stable runs more than one available pod short.
  it('evicts the next pod only once the replacement is available, not merely ready', () => {
    const sim = steadyRestartSim();
    sim.advance(5_000);
    sim.rollout.spec.restartAt = sim.now.toISOString();
    expect(sim.reconcile().evictions).toHaveLength(1);
    sim.settleAll(); // the replacement exists and is Ready
    const stable = sim.replicaSets.get('rev-a')!;
    expect(stable.readyReplicas).toBe(4);
    stable.availableReplicas = 3; // ...but not yet for minReadySeconds
    expect(sim.reconcile().evictions).toEqual([]);
  });
});

describe('an eviction asked again after a crash', () => {
  // Defect (planner/restart.ts:102-104): status.restart.pod still being there is read as "a PodDisruptionBudget
  // refused", but the planner never learns what the Eviction API said. The same message shows when the controller
  // was killed (or lost its Lease) between writing status.restart and evicting, when the eviction failed with 403
  // (RBAC with pods list but not pods/eviction create) or 500 (two budgets), or when the cache has not seen the pod
  // go yet. operations.md sends on-call to `kubectl get pdb` for a budget that never refused anything.
  it('does not blame a PodDisruptionBudget for a pod it was never told about', () => {
    const sim = steadyRestartSim();
    sim.advance(5_000);
    sim.rollout.spec.restartAt = sim.now.toISOString();
    const planned = planRollout(sim.world()); // status.restart recorded, then the process dies: no eviction sent
    sim.rollout.status = planned.status;
    sim.advance(1_000);
    const replay = sim.reconcile(); // the next leader, with every pod still there
    expect(replay.evictions).toEqual(planned.evictions); // the same pod again: no second pod, good
    expect(condition(sim)?.message).not.toMatch(/PodDisruptionBudget allows no disruption/);
  });
});
