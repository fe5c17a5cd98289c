/**
 * spec.restartAt (issue 16): given a healthy Rollout, when restartAt is set, then every stable pod created before it
 * is evicted, one at a time, the next only once the last replacement is ready; a PodDisruptionBudget's refusal is
 * "not now"; a release in flight (or an abort) holds the restart; a future time waits; a past one that no pod
 * predates is done at once.
 */
import { describe, expect, it } from 'vitest';
import { baseSpec } from './fixtures.test-support.ts';
import { planRollout } from './plan.ts';
import { evictionRetryMs } from './restart.ts';
import { RestartSim, runRestart, steadyRestartSim } from './restart.test-support.ts';

const condition = (sim: RestartSim) => sim.rollout.status?.conditions?.find((c) => c.type === 'Restarting');
const evicted = (sim: RestartSim) => sim.evictions.filter((e) => e.code === 201).map((e) => e.pod);

describe('spec.restartAt on a healthy Rollout', () => {
  it('evicts every stable pod older than restartAt, one at a time, and records it once all are new and ready', () => {
    const sim = steadyRestartSim();
    const before = sim.stablePods();
    expect(before).toHaveLength(4);
    sim.advance(10_000);
    sim.rollout.spec.restartAt = sim.now.toISOString();

    const plan = sim.reconcile();
    expect(plan.evictions).toEqual([{ name: before[0], uid: `uid-${before[0]}` }]);
    expect(plan.status.restart).toMatchObject({ restartAt: sim.rollout.spec.restartAt, pod: before[0], evictions: 1 });
    expect(sim.rollout.status?.phase).toBe('Progressing');
    expect(condition(sim)).toMatchObject({ status: 'True', reason: 'Restarting' });
    expect(plan.requeueAfterMs).toBe(evictionRetryMs);
    // Next reconcile, before the replacement is ready: no second eviction.
    expect(sim.reconcile().evictions).toEqual([]);
    expect(condition(sim)?.message).toMatch(/waiting for pod .* to go before the next eviction/);

    runRestart(sim);
    expect(sim.rollout.status?.restartedAt).toBe(sim.rollout.spec.restartAt);
    expect(evicted(sim).sort()).toEqual([...before].sort());
    expect(sim.stablePods().filter((p) => before.includes(p))).toEqual([]);
    expect(sim.fewestReady).toBe(3); // never more than one pod short
    expect(sim.rollout.status?.restart).toBeUndefined();
    expect(condition(sim)).toBeUndefined();

    sim.converge();
    expect(sim.rollout.status?.phase).toBe('Healthy');
    const reasons = sim.eventReasons();
    expect(reasons.filter((r) => r === 'RestartStarted')).toHaveLength(1);
    expect(reasons.filter((r) => r === 'PodEvicted')).toHaveLength(1); // four pods within a minute: one Event
    expect(reasons.filter((r) => r === 'Restarted')).toHaveLength(1);
    expect(reasons.filter((r) => r === 'Healthy')).toHaveLength(2); // before the restart and once after it
    expect(sim.converge().evictions).toEqual([]); // done is done
  });

  it('sends at most one PodEvicted Event a minute, however many pods', () => {
    const sim = steadyRestartSim(baseSpec({ replicas: 20 }));
    sim.advance(5_000);
    sim.rollout.spec.restartAt = sim.now.toISOString();
    for (let i = 0; i < 200 && sim.rollout.status?.restartedAt === undefined; i++) {
      sim.reconcile();
      sim.advance(5_000); // a pod replaced every 10 s or so
      sim.settlePods();
    }
    expect(sim.rollout.status?.restartedAt).toBe(sim.rollout.spec.restartAt);
    expect(evicted(sim)).toHaveLength(20);
    const podEvicted = sim.eventReasons().filter((r) => r === 'PodEvicted').length;
    expect(podEvicted).toBeGreaterThan(1);
    expect(podEvicted).toBeLessThanOrEqual(4); // about 200 s of evictions
  });

  it('asks again, without a new Event or an error, while a PodDisruptionBudget refuses; goes on once it allows', () => {
    const sim = steadyRestartSim();
    sim.minAvailable = 4; // of 4: no disruption allowed
    sim.advance(1_000);
    sim.rollout.spec.restartAt = sim.now.toISOString();
    for (let i = 0; i < 5; i++) {
      sim.reconcile();
      sim.advance(evictionRetryMs);
      sim.settlePods();
    }
    expect(sim.evictions.map((e) => e.code)).toEqual([429, 429, 429, 429, 429]);
    expect(new Set(sim.evictions.map((e) => e.pod)).size).toBe(1); // the same pod, asked again
    expect(condition(sim)?.message).toMatch(/is not evicted yet: a PodDisruptionBudget allows no disruption now/);
    expect(sim.eventReasons().filter((r) => r === 'PodEvicted')).toHaveLength(1);
    expect(sim.rollout.status?.restart?.evictions).toBe(1);
    expect(sim.rollout.status?.conditions?.filter((c) => c.status === 'True').map((c) => c.type)).toEqual([
      'Progressing',
      'Restarting',
    ]);

    sim.minAvailable = 3;
    runRestart(sim);
    expect(sim.rollout.status?.restartedAt).toBe(sim.rollout.spec.restartAt);
    expect(sim.fewestReady).toBe(3);
  });
});

describe('when a restart may not go on', () => {
  it('a restartAt in the future waits until then (requeue), then restarts', () => {
    const sim = steadyRestartSim();
    sim.rollout.spec.restartAt = new Date(sim.now.getTime() + 90_000).toISOString();
    const plan = sim.reconcile();
    expect(plan.evictions).toEqual([]);
    expect(plan.requeueAfterMs).toBe(90_000);
    expect(condition(sim)).toMatchObject({ status: 'False', reason: 'RestartScheduled' });
    expect(sim.rollout.status?.phase).toBe('Healthy');
    sim.advance(90_000);
    expect(sim.reconcile().evictions).toHaveLength(1);
  });

  it('a restartAt in the past that no stable pod predates is done at once, with no eviction and no Event', () => {
    const sim = steadyRestartSim();
    sim.rollout.spec.restartAt = '2020-01-01T00:00:00Z';
    const plan = sim.reconcile();
    expect(plan.evictions).toEqual([]);
    expect(sim.rollout.status?.restartedAt).toBe('2020-01-01T00:00:00Z');
    expect(condition(sim)).toBeUndefined();
    expect(sim.eventReasons()).not.toContain('RestartStarted');
  });

  it('counts a pod created in the second of restartAt as older, and no replacement as older (whole-second timestamps)', () => {
    const sim = steadyRestartSim();
    const created = sim.stablePods();
    // The pods were created at the sim's start (…:00Z); restartAt 400 ms later in that same second.
    sim.rollout.spec.restartAt = new Date(sim.now.getTime() + 400).toISOString();
    expect(sim.reconcile().evictions).toEqual([]); // that second is not over yet
    sim.advance(1_000);
    runRestart(sim);
    expect(evicted(sim).sort()).toEqual([...created].sort());
    expect(sim.evictions).toHaveLength(4); // and no replacement evicted again
  });

  it('waits while a canary is in flight, says so, and restarts the new stable pods that predate restartAt once it is released', () => {
    const sim = steadyRestartSim(baseSpec({ strategy: { canary: { steps: [{ setWeight: 25 }, { pause: {} }] } } }));
    sim.templateRevision = 'rev-b';
    sim.converge();
    sim.settleAll();
    sim.converge();
    expect(sim.rollout.status?.message).toMatch(/paused/);
    sim.advance(5_000);
    sim.rollout.spec.restartAt = sim.now.toISOString();
    for (let i = 0; i < 3; i++) {
      sim.reconcile();
      sim.settlePods();
    }
    expect(sim.evictions).toEqual([]);
    expect(condition(sim)).toMatchObject({ status: 'False', reason: 'WaitingForRelease' });
    expect(condition(sim)?.message).toMatch(/waits until the release of revision rev-b is done/);

    const canaryPod = sim.pods.find((p) => p.revision === 'rev-b')!.name; // made before restartAt
    sim.advance(1_000);
    sim.request('promote-full');
    sim.converge(); // promoted: rev-b grows to 4 pods (after restartAt), then its older pod is replaced
    runRestart(sim);
    expect(sim.rollout.status).toMatchObject({ stableRevision: 'rev-b', restartedAt: sim.rollout.spec.restartAt });
    expect(evicted(sim)).toEqual([canaryPod]); // rev-a's pods are no longer stable; rev-b's newer ones stay
    expect(sim.stablePods()).toHaveLength(4);
  });

  it('an abort wins: a restart under way stops evicting while a new revision is released and aborted', () => {
    const sim = steadyRestartSim();
    sim.advance(2_000);
    sim.rollout.spec.restartAt = sim.now.toISOString();
    expect(sim.reconcile().evictions).toHaveLength(1);
    sim.settlePods();
    sim.templateRevision = 'rev-b';
    sim.reconcile();
    sim.request('abort');
    const plan = sim.reconcile();
    expect(plan.status.abort).toBe(true);
    expect(plan.canaryWeight).toBe(0);
    expect(plan.evictions).toEqual([]);
    expect(condition(sim)?.message).toMatch(/was aborted/);
    sim.settleAll();
    expect(sim.converge().evictions).toEqual([]);
    expect(evicted(sim)).toHaveLength(1);
  });

  it('never counts as done when the controller may not list pods: it waits, saying why', () => {
    const sim = steadyRestartSim();
    sim.advance(2_000);
    sim.rollout.spec.restartAt = sim.now.toISOString();
    const world = sim.world();
    const plan = planRollout({ ...world, pods: [], podsUnavailable: 'the controller may not list pods' });
    expect(plan.evictions).toEqual([]);
    expect(plan.status.restartedAt).toBeUndefined();
    expect(plan.status.conditions?.find((c) => c.type === 'Restarting')).toMatchObject({
      status: 'False',
      reason: 'PodsNotVisible',
      message: 'the controller may not list pods',
    });
  });

  it('a user pause holds it too', () => {
    const sim = steadyRestartSim(baseSpec({ paused: true }));
    sim.advance(2_000);
    sim.rollout.spec.restartAt = sim.now.toISOString();
    expect(sim.reconcile().evictions).toEqual([]);
    expect(condition(sim)).toMatchObject({ status: 'False', reason: 'RolloutPaused' });
    sim.rollout.spec.paused = false; // resume: it goes on
    expect(sim.reconcile().evictions).toHaveLength(1);
  });

  it('restartAt removed halfway: no further eviction, and an Event says the restart stopped', () => {
    const sim = steadyRestartSim();
    sim.advance(2_000);
    sim.rollout.spec.restartAt = sim.now.toISOString();
    expect(sim.reconcile().evictions).toHaveLength(1);
    sim.settleAll();
    delete sim.rollout.spec.restartAt;
    const plan = sim.reconcile();
    expect(plan.evictions).toEqual([]);
    expect(plan.status.restart).toBeUndefined();
    expect(condition(sim)).toBeUndefined();
    expect(sim.events.filter((e) => e.reason === 'RestartStopped').map((e) => e.message)).toEqual([
      expect.stringMatching(/spec\.restartAt was removed: .* stopped after 1 eviction/),
    ]);
    sim.reconcile();
    expect(sim.eventReasons().filter((r) => r === 'RestartStopped')).toHaveLength(1);
  });

  it('a pod the Eviction API refused with another status: the message gives that status and its words, no budget', () => {
    const sim = steadyRestartSim();
    sim.advance(2_000);
    sim.rollout.spec.restartAt = sim.now.toISOString();
    const [first] = sim.reconcile().evictions;
    Object.assign(
      sim.pods.find((p) => p.name === first!.name)!,
      { deleting: false, ready: true },
    ); // never evicted
    sim.lastEviction = { pod: first!.name, uid: first!.uid, code: 500, message: 'two budgets select this pod' };
    expect(sim.reconcile().evictions).toEqual([first]);
    expect(condition(sim)?.message).toMatch(/answered HTTP 500: two budgets select this pod; asking again/);
    expect(condition(sim)?.message).not.toMatch(/PodDisruptionBudget allows/);
  });
});
