/**
 * Each release outcome is counted once, whatever the number of reconciles: stories through the real planner on the
 * planner's simulated cluster, counting each status write as the executor's hook does (every write lands here; a
 * write that does not land is the executor test's part, in outcomes.execute.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../api/types.ts';
import { baseSpec, SimCluster } from '../planner/fixtures.test-support.ts';
import { blueGreen, released } from '../planner/blueGreen.test-support.ts';
import { transitionOf } from './outcomes.ts';
import { canary, counting } from './outcomes.test-support.ts';

describe('release outcomes, counted once per release', () => {
  it('counts a promotion once, timed from the first sight of the new revision', () => {
    const sim = canary();
    sim.converge();
    const started = sim.now.getTime();
    sim.advance(90_000);
    sim.request('promote-full');
    sim.converge();
    sim.advance(60_000);
    sim.converge(); // later reconciles see the promotion already in status
    expect(sim.rollout.status?.stableRevision).toBe('rev-b');
    expect(sim.outcomes()).toEqual(['promoted']);
    const promoted = sim.transitions.find((t) => t.outcome === 'promoted')!;
    expect(promoted.durationSeconds).toBeGreaterThanOrEqual(90);
    expect(promoted.durationSeconds).toBeLessThan((sim.now.getTime() - started) / 1000);
  });

  it("counts a user's abort once, also when the request is seen again and after a retry that promotes", () => {
    const sim = canary();
    sim.converge();
    sim.request('abort');
    sim.clearActionFails = true; // the request stays: the next reconciles see it again
    sim.converge();
    sim.converge();
    expect(sim.rollout.status?.abortCause).toBe('User');
    expect(sim.outcomes()).toEqual(['aborted_user']);
    sim.clearActionFails = false;
    sim.action = undefined;
    sim.request('retry');
    sim.converge();
    sim.request('promote-full');
    sim.converge();
    expect(sim.outcomes()).toEqual(['aborted_user', 'promoted']);
  });

  it('counts an abort by failed analysis as aborted_analysis', () => {
    const spec = baseSpec({
      strategy: { canary: { steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'errors' }] } }] } },
    });
    const sim = canary(spec);
    sim.converge();
    sim.stepVerdicts.set(1, { kind: 'failed', message: 'error-rate 0.2 > 0.05' });
    sim.converge();
    sim.advance(120_000);
    sim.converge();
    expect(sim.outcomes()).toEqual(['aborted_analysis']);
    expect(sim.rollout.status?.abortCause).toBe('Analysis');
  });

  it('counts a progress deadline once, with or without progressDeadlineAbort', () => {
    for (const progressDeadlineAbort of [true, false]) {
      const sim = canary(baseSpec({ progressDeadlineSeconds: 60, progressDeadlineAbort }));
      sim.podsBecomeReady = false;
      sim.converge();
      sim.advance(61_000);
      sim.converge();
      sim.advance(61_000);
      sim.converge();
      expect(sim.rollout.status?.phase, String(progressDeadlineAbort)).toBe('Degraded');
      expect(sim.rollout.status?.abort === true, String(progressDeadlineAbort)).toBe(progressDeadlineAbort);
      expect(sim.outcomes(), String(progressDeadlineAbort)).toEqual(['deadline']);
    }
  });

  it('counts nothing for a canary superseded by a newer revision; the newer one is timed from its own start', () => {
    const sim = canary();
    sim.converge();
    sim.advance(600_000);
    sim.templateRevision = 'rev-c';
    sim.converge();
    expect(sim.outcomes()).toEqual([]);
    sim.advance(30_000);
    sim.request('promote-full');
    sim.converge();
    expect(sim.outcomes()).toEqual(['promoted']);
    expect(sim.transitions.find((t) => t.outcome)!.durationSeconds).toBeLessThan(600);
  });

  it('counts a blue-green promotion once', () => {
    const sim = counting(released(blueGreen({ autoPromotionSeconds: 60 })));
    sim.converge();
    sim.advance(60_000);
    sim.converge();
    sim.converge();
    expect(sim.rollout.status?.stableRevision).toBe('rev-b');
    expect(sim.outcomes()).toEqual(['promoted']);
  });

  it('counts no outcome for the first sight of a workload', () => {
    const sim = counting(new SimCluster());
    sim.converge();
    expect(sim.rollout.status?.stableRevision).toBe('rev-a');
    expect(sim.outcomes()).toEqual([]);
  });
});

describe('transitionOf', () => {
  const run = (phase: string, startedAt = '2026-11-30T10:00:00Z') =>
    ({ name: 'background', revision: 'b', phase, startedAt, metrics: [] }) as unknown as NonNullable<
      RolloutStatus['analysis']
    >['runs'][number];
  const inFlight: RolloutStatus = { stableRevision: 'a', canaryRevision: 'b' };
  const at = new Date('2026-11-30T10:05:00Z');

  it('counts an analysis run once, when it first shows a verdict', () => {
    const running = { ...inFlight, analysis: { runs: [run('Running')] } };
    const failed = { ...inFlight, analysis: { runs: [run('Failed')] } };
    expect(transitionOf(running, failed, at).analysisRuns).toEqual(['Failed']);
    expect(transitionOf(failed, { ...failed, message: 'later' }, at).analysisRuns).toEqual([]);
    // A run decided in its first write, and a new run of the same name (a retry starts it again).
    expect(transitionOf(inFlight, failed, at).analysisRuns).toEqual(['Failed']);
    const again = { ...inFlight, analysis: { runs: [run('Successful', '2026-11-30T10:04:00Z')] } };
    expect(transitionOf(failed, again, at).analysisRuns).toEqual(['Successful']);
  });

  it('counts an abort without a recorded cause (a status edited by hand) as a user abort', () => {
    expect(transitionOf(inFlight, { ...inFlight, abort: true }, at).outcome).toBe('aborted_user');
  });

  it('leaves the duration out when status does not say when the release started', () => {
    const promoted = transitionOf(inFlight, { stableRevision: 'b', canaryRevision: 'b' }, at);
    expect(promoted).toEqual({ outcome: 'promoted', analysisRuns: [] });
    const timed = transitionOf(
      { ...inFlight, releaseStartedAt: '2026-11-30T10:00:00Z' },
      { stableRevision: 'b', canaryRevision: 'b', releaseStartedAt: '2026-11-30T10:00:00Z' },
      at,
    );
    expect(timed.durationSeconds).toBe(300);
  });
});
