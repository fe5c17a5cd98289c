/**
 * Hostile-review stories for undo (issue 16): a request that waits must not land on a newer release, and an
 * aborted rollback within spec.rollbackWindow must not be trusted again to skip the steps.
 */
import { describe, expect, it } from 'vitest';
import type { RolloutSpec } from '../api/types.ts';
import { baseSpec, release, SimCluster } from './fixtures.test-support.ts';

/** rev-a (1) released, then rev-b (2) released and stable; rev-a's ReplicaSet kept at 0. */
function twoReleases(spec: RolloutSpec = baseSpec()): SimCluster {
  const sim = new SimCluster(spec);
  sim.converge();
  release(sim, 'rev-b');
  sim.advance(60_000);
  sim.converge(40);
  return sim;
}

describe('an undo request that waited behind an invalid spec', () => {
  // Defect (planner/plan.ts invalid(): "the undo request waits until the spec is fixed"; planner/undo.ts
  // chooseRevision resolves "previous" against the template seen *then*). The on-call engineer asks for undo while
  // the template is rev-b and the spec is invalid (an AnalysisTemplate deleted, a route edited): nothing happens.
  // The team then ships a fix, rev-c, together with the spec fix. The parked request fires against rev-c, and
  // "previous" is now rev-b: the fix is silently replaced by the very revision the engineer wanted gone. A request
  // about rev-b must never be carried out against a newer template (carry it out at once, as an abort is, or drop
  // it as stale, as UndoSuperseded drops a pending undo).
  it('is never carried out against a template that changed while it waited', () => {
    const sim = twoReleases();
    sim.specErrors = [
      {
        field: 'spec.strategy.canary.analysis.templates[0].templateName',
        message: 'AnalysisTemplate shop/error-rate does not exist',
        code: 'TemplateNotFound',
      },
    ];
    sim.request('undo');
    sim.reconcile();
    sim.reconcile();

    sim.templateRevision = 'rev-c'; // the fix ships (GitOps), and the spec is repaired in the same commit
    sim.specErrors = [];
    sim.converge(40);

    expect(sim.templateRevision).toBe('rev-c'); // today: rev-b, the undo fired against rev-c
  });

  it('is recorded at once and carried out once the spec is fixed, when the template did not change', () => {
    const sim = twoReleases();
    sim.specErrors = [
      { field: 'spec.strategy.canary.analysis', message: 'template missing', code: 'TemplateNotFound' },
    ];
    sim.request('undo');
    sim.reconcile();
    expect(sim.rollout.status?.undo).toMatchObject({ revision: 'rev-a', from: 'rev-b' });
    expect(sim.templateRevision).toBe('rev-b'); // nothing is written while the spec is invalid

    sim.specErrors = [];
    sim.reconcile();
    expect(sim.templateRevision).toBe('rev-a');
  });
});

describe('a rollback within spec.rollbackWindow that was aborted', () => {
  const steps = [{ setWeight: 20 }, { pause: { duration: '2s' } }, { setWeight: 60 }, { pause: {} }];
  const spec = baseSpec({
    rollbackWindow: { revisions: 2 },
    strategy: { canary: { steps, analysis: { templates: [{ templateName: 'error-rate' }] } } },
  });

  // Defect (planner/rollbackWindow.ts recordPreviousStable/withinRollbackWindow; planner/abort.ts only clears the
  // flag on retry). The abort of a rollback proves the revision is not good *now* (its background analysis failed),
  // and abort.ts itself says such a rollback "is no longer trusted to skip them". Yet the revision stays in
  // status.previousStableRevisions: the next time the template goes to it (a second undo, a Git revert after
  // going back to stable) it again skips every step and takes 100% of traffic as soon as its pods are ready,
  // with only background analysis between it and all users -- the analysis that just failed it.
  it('skips no step the next time the template goes back to it', () => {
    const sim = new SimCluster(spec);
    sim.converge();
    sim.backgroundVerdict = { kind: 'running', message: 'analysis running' };
    release(sim, 'rev-b');
    sim.backgroundVerdict = undefined;
    expect(sim.rollout.status?.previousStableRevisions).toEqual(['rev-a']);

    sim.templateRevision = 'rev-a'; // rollback within the window
    sim.backgroundVerdict = { kind: 'failed', message: 'metric error-rate failed' };
    sim.converge(40);
    expect(sim.rollout.status).toMatchObject({ abort: true, canaryRevision: 'rev-a', stableRevision: 'rev-b' });

    sim.backgroundVerdict = undefined;
    sim.templateRevision = 'rev-b'; // back to stable: the aborted rollback is removed
    sim.converge(40);
    sim.templateRevision = 'rev-a'; // and someone reverts to rev-a again
    sim.backgroundVerdict = { kind: 'running', message: 'analysis running' };
    sim.reconcile();

    expect(sim.rollout.status?.rollbackWithinWindow).toBeUndefined();
    expect(sim.rollout.status?.currentStepIndex).toBe(0);
  });
});
