/**
 * Review tests of the outcome metrics (reconcile/outcomes.ts): each fails on the current code and passes once the
 * defect named in its `// review:` comment is fixed. Same harness as outcomes.test.ts: the real planner on the
 * simulated cluster, each status write counted as the executor's hook counts it.
 */
import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../api/types.ts';
import { baseSpec } from '../planner/fixtures.test-support.ts';
import { transitionOf } from './outcomes.ts';
import { canary } from './outcomes.test-support.ts';

describe('review: release outcomes', () => {
  // review: a stalled release without progressDeadlineAbort is counted as `deadline` every time the Progressing
  // condition leaves ProgressDeadlineExceeded and comes back, though no new deadline passed: a pause (spec.paused,
  // or the freeze flag) and a resume of the same stalled step re-records the reason, and outcomes.ts counts it
  // again. An on-call engineer who pauses a stuck rollout to look at it and resumes it inflates the namespace's
  // change-failure rate by one failed release each time.
  it('counts one deadline for one stall, also when the stalled rollout is paused and resumed', () => {
    const sim = canary(baseSpec({ progressDeadlineSeconds: 60 }));
    sim.podsBecomeReady = false;
    sim.converge();
    sim.advance(61_000);
    sim.converge();
    expect(sim.rollout.status?.phase).toBe('Degraded');
    expect(sim.outcomes()).toEqual(['deadline']);
    sim.rollout.spec.paused = true;
    sim.converge();
    sim.advance(5_000);
    sim.rollout.spec.paused = false;
    sim.converge();
    expect(sim.rollout.status?.phase).toBe('Degraded');
    expect(sim.outcomes()).toEqual(['deadline']);
  });

  // review: without progressDeadlineAbort one release is counted twice in sluice_rollout_outcomes_total, whose
  // help says "Releases that ended": `deadline` when it turns Degraded, and `promoted` when its pods come up. The
  // recording rules divide failures by the sum of all outcomes, so a namespace whose only release was slow and then
  // promoted reads a change-failure rate of 50% (1 of 2 "releases") - neither 0% nor 100%. A release must end once.
  it('counts one outcome for a release that passed its deadline (no abort) and was promoted later', () => {
    const sim = canary(baseSpec({ progressDeadlineSeconds: 60 }));
    sim.podsBecomeReady = false;
    sim.converge();
    sim.advance(61_000);
    sim.converge();
    sim.podsBecomeReady = true;
    sim.settlePods();
    sim.converge();
    sim.request('promote-full');
    sim.converge();
    sim.advance(1_000);
    sim.converge();
    expect(sim.rollout.status?.stableRevision).toBe('rev-b');
    expect(sim.outcomes()).toHaveLength(1);
  });

  // review: a release rolled back by putting the pod template back to stable (git revert, kubectl rollout undo of
  // the Deployment: the most common rollback) while the canary is in flight and not aborted ends with no outcome
  // at all: outcomes.ts treats canaryRevision going back to stableRevision as "superseded". The change failed and
  // was rolled back by a user, yet the change-failure rate never sees it - it under-reports exactly the failures
  // teams handle by reverting.
  it('counts a canary reverted to the stable template while in flight as a user abort', () => {
    const sim = canary();
    sim.converge();
    expect(sim.rollout.status?.canaryRevision).toBe('rev-b');
    sim.templateRevision = 'rev-a';
    sim.converge();
    expect(sim.rollout.status?.canaryRevision).toBe('rev-a');
    expect(sim.outcomes()).toEqual(['aborted_user']);
  });
});

describe('review: status after the release', () => {
  // review: planSteady (canary.ts) clears status.abort and status.abortedAt when an aborted canary's template is
  // reverted to stable, but not the new status.abortCause: the Rollout is Healthy with no canary in flight and
  // status still says abortCause: Analysis until the next release. Anything that reads the documented field ("says
  // why the canary was aborted") - a GitOps health check, a script, the next reader of the CRD - reports an abort
  // that is over.
  it('clears abortCause with abort when an aborted canary is reverted to stable', () => {
    const sim = canary();
    sim.converge();
    sim.request('abort');
    sim.converge();
    expect(sim.rollout.status?.abortCause).toBe('User');
    sim.action = undefined;
    sim.templateRevision = 'rev-a';
    sim.converge();
    expect(sim.rollout.status?.abort).toBeUndefined();
    expect(sim.rollout.status?.abortCause).toBeUndefined();
  });
});

describe('review: release duration', () => {
  const inFlight: RolloutStatus = { stableRevision: 'a', canaryRevision: 'b' };
  const promoted: RolloutStatus = { stableRevision: 'b', canaryRevision: 'b' };
  const at = new Date('2026-11-30T10:00:00Z');

  // review: a releaseStartedAt in the future (written by a leader whose clock ran an hour ahead, or edited through
  // the status subresource) is observed as a release of 0 seconds (Math.max(0, ...)): a made-up instant release
  // lands in the lowest bucket and drags the lead-time quantiles down. A start after the outcome is as unknown as
  // a missing one, and the code's own contract (durationSeconds "absent when status does not say when the release
  // started") says to leave it out.
  it('leaves the duration out when releaseStartedAt is after the outcome', () => {
    const future = '2026-11-30T11:00:00Z';
    const t = transitionOf({ ...inFlight, releaseStartedAt: future }, { ...promoted, releaseStartedAt: future }, at);
    expect(t.outcome).toBe('promoted');
    expect(t.durationSeconds).toBeUndefined();
  });
});
