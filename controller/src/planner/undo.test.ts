/** Undo stories on the simulated cluster: which revision an undo goes to, what it refuses, and that it acts once. */
import { describe, expect, it } from 'vitest';
import { baseSpec, release, SimCluster } from './fixtures.test-support.ts';

/** rev-a (1) released, then rev-b (2) released and stable; rev-a's ReplicaSet kept at 0. */
function twoReleases(): SimCluster {
  const sim = new SimCluster(baseSpec());
  sim.converge();
  release(sim, 'rev-b');
  sim.advance(60_000); // past scaleDownDelaySeconds: rev-a's pods are gone
  sim.converge(40);
  return sim;
}

const refusal = (sim: SimCluster) => sim.rollout.status?.conditions?.find((c) => c.type === 'ActionRefused');

describe('kubectl sluice undo', () => {
  it('puts the previous revision back in the Deployment, records it first, and then runs it as a canary', () => {
    const sim = twoReleases();
    expect(sim.replicasOf('rev-a')).toBe(0);
    sim.request('undo');
    const plan = sim.reconcile();
    expect(plan.undoTemplate).toEqual({ replicaSet: 'checkout-rev-a', revision: 'rev-a' });
    expect(plan.status.undo).toMatchObject({ revision: 'rev-a', revisionNumber: 1, from: 'rev-b' });
    expect(plan.clearAction).toBe(true);
    expect(sim.events.find((e) => e.reason === 'UndoRequested')?.message).toMatch(/undo to revision 1 \(rev-a\)/);
    expect(sim.templateRevision).toBe('rev-a');

    const next = sim.reconcile();
    expect(next.status.undo).toBeUndefined(); // carried out: the Deployment has the template
    expect(next.undoTemplate).toBeUndefined();
    expect(next.status.canaryRevision).toBe('rev-a');
    expect(next.status.currentStepIndex).toBe(0); // no rollbackWindow: every step runs
    expect(sim.replicaSets.get('rev-a')?.revisionNumber).toBe(3); // the revision that came back is the newest
  });

  it('goes to revision N with undo:N', () => {
    const sim = twoReleases();
    release(sim, 'rev-c');
    sim.request('undo:1');
    expect(sim.reconcile().undoTemplate?.revision).toBe('rev-a');
  });

  it('during a canary, undo goes back to stable: the canary is reverted', () => {
    const sim = new SimCluster(baseSpec());
    sim.converge();
    sim.templateRevision = 'rev-b';
    sim.converge(40);
    sim.request('undo');
    sim.converge(40);
    expect(sim.templateRevision).toBe('rev-a');
    expect(sim.rollout.status).toMatchObject({ stableRevision: 'rev-a', canaryRevision: 'rev-a', phase: 'Healthy' });
    expect(sim.eventReasons()).toContain('CanaryReverted');
  });

  it.each([
    ['undo:2', /revision 2 is the current one \(the Deployment's pod template is rev-b\)/],
    ['undo:7', /there is no revision 7 \(kept: 2, 1\)/],
  ] as const)('refuses %s: a Warning and a condition naming the annotation, and nothing changes', (action, said) => {
    const sim = twoReleases();
    const before = structuredClone({ sets: [...sim.replicaSets.values()], weight: sim.routeWeight });
    sim.request(action);
    const plan = sim.reconcile();
    expect(plan.undoTemplate).toBeUndefined();
    expect(plan.status.undo).toBeUndefined();
    expect(plan.clearAction).toBe(true); // refused, so the request is done with
    const warning = sim.events.find((e) => e.reason === 'UndoRefused');
    expect(warning?.type).toBe('Warning');
    expect(warning?.message).toMatch(said);
    expect(warning?.message).toMatch(
      /^metadata\.annotations\[sluice\.dev\/action\]: undo:\d+: .*kubectl sluice history checkout/,
    );
    expect(refusal(sim)).toMatchObject({ status: 'True', reason: 'UndoRefused', message: warning?.message });
    expect(sim.templateRevision).toBe('rev-b');
    expect({ sets: [...sim.replicaSets.values()], weight: sim.routeWeight }).toEqual(before);
  });

  it('refuses an undo with no earlier revision, and a later request carried out ends the condition', () => {
    const sim = new SimCluster(baseSpec());
    sim.converge();
    sim.request('undo');
    sim.reconcile();
    expect(sim.events.find((e) => e.reason === 'UndoRefused')?.message).toMatch(/no earlier revision to go back to/);
    sim.templateRevision = 'rev-b';
    sim.converge(40);
    sim.request('promote-full');
    sim.reconcile();
    expect(refusal(sim)).toMatchObject({ status: 'False', reason: 'ActionAccepted' });
  });

  it('a garbage target is refused the same way, naming the annotation', () => {
    const sim = twoReleases();
    sim.action = { invalid: 'metadata.annotations[sluice.dev/action]: undo to "x": ...' };
    sim.reconcile();
    expect(refusal(sim)).toMatchObject({ status: 'True', reason: 'InvalidAction' });
    expect(sim.templateRevision).toBe('rev-b');
  });

  it('is never acted on twice when the annotation could not be removed', () => {
    const sim = twoReleases();
    sim.clearActionFails = true;
    sim.request('undo');
    sim.converge(40);
    // A second action on the same "undo" would go back to rev-b, the template before rev-a.
    expect(sim.templateRevision).toBe('rev-a');
    expect(sim.eventReasons().filter((r) => r === 'UndoRequested')).toHaveLength(1);
  });

  it('writes the template again while the Deployment does not have it, and drops it if another change came first', () => {
    const sim = twoReleases();
    sim.request('undo');
    sim.reconcile();
    sim.templateRevision = 'rev-b'; // the write was refused (the Deployment changed meanwhile): not there
    expect(sim.reconcile().undoTemplate).toEqual({ replicaSet: 'checkout-rev-a', revision: 'rev-a' });
    sim.templateRevision = 'rev-c'; // and now someone ships rev-c before the undo lands
    const plan = sim.reconcile();
    expect(plan.undoTemplate).toBeUndefined();
    expect(plan.status.undo).toBeUndefined();
    expect(sim.events.find((e) => e.reason === 'UndoSuperseded')?.message).toMatch(
      /changed to rev-c .* newer change wins/,
    );
    expect(sim.templateRevision).toBe('rev-c');
  });

  it('a flag-only Rollout has nothing to undo', () => {
    const sim = new SimCluster({ strategy: { canary: { steps: [{ pause: {} }] } } });
    sim.converge();
    sim.request('undo');
    sim.reconcile();
    expect(sim.events.find((e) => e.reason === 'UndoRefused')?.message).toMatch(/undo needs spec\.workloadRef/);
  });
});
