/**
 * The revision users were on keeps its pods while they drain (second review of the blue-green fixes): the hold of
 * scaleDown.ts must not turn into a status write on every reconcile, must follow the router as well as the active
 * Service, must cover the abort of an invalid spec, and must not forget a warm revision when a second one comes.
 * Each story fails against the `bg` branch after the first review's fixes.
 */
import { describe, expect, it } from 'vitest';
import type { BlueGreenStrategy, RolloutSpec } from '../api/types.ts';
import { analysis, blueGreen, released } from './blueGreen.test-support.ts';
import type { SimCluster } from './fixtures.test-support.ts';

const routed = { trafficRouting: { gatewayAPI: { httpRoute: 'checkout' } } };

/** rev-b switched in (active or route on it), its post-promotion analysis running; rev-a still at full size. */
function switched(bg: Partial<BlueGreenStrategy> = {}, overrides: Partial<RolloutSpec> = {}): SimCluster {
  const sim = released(blueGreen({ postPromotionAnalysis: analysis, ...bg }, overrides));
  sim.converge();
  expect(sim.rollout.status?.blueGreen).toMatchObject({ phase: 'Switched', activeRevision: 'rev-b' });
  expect(sim.replicasOf('rev-a')).toBe(4);
  return sim;
}

describe('the hold on a revision the active Service still selects', () => {
  it('is not a status write on every reconcile while the active Service keeps selecting it', () => {
    const sim = switched({ abortScaleDownDelaySeconds: 0 });
    sim.servicesTakeWrites = false; // the switch back is refused (a webhook), or a GitOps tool keeps reverting it
    sim.request('abort');
    sim.reconcile();
    sim.reconcile();
    const held = structuredClone(sim.rollout.status);
    expect(held?.scaleDown?.map((w) => w.revision)).toEqual(['rev-b']);
    sim.advance(2_000);
    sim.reconcile();
    // scaleDown.ts refreshes scaleDownAt to now + delay on each reconcile: every plan differs from the status it
    // read, the executor writes it, the write's watch event wakes the key again: one status write per round trip
    // to the API server, for as long as the Service does not move ("the end time, not a countdown").
    expect(sim.rollout.status).toEqual(held);
  });
});

describe('blue-green through a traffic router, after the switch', () => {
  // The route sends every request to the preview backend, rev-b: it is the revision users are on, whatever the
  // active Service (still on rev-a) selects.
  it.each([
    ['a newer template supersedes it', {}, (sim: SimCluster) => (sim.templateRevision = 'rev-c')],
    ['the template is set back to stable', {}, (sim: SimCluster) => (sim.templateRevision = 'rev-a')],
    // With the default abortScaleDownDelaySeconds (30) an abort keeps rev-b that long anyway; with 0 it does not.
    ['an abort', { abortScaleDownDelaySeconds: 0 }, (sim: SimCluster) => sim.request('abort')],
  ])('keeps rev-b for scaleDownDelaySeconds when %s', (_, bg, trigger) => {
    const sim = switched(bg, routed);
    expect(sim.routeWeight).toBe(100);
    trigger(sim);
    sim.reconcile();
    expect(sim.routeWeight).toBe(0);
    // The executor sets the weight to 0 and scales rev-b to 0 in the same pass: the gateway, which applies a
    // route change asynchronously, still sends requests to pods that are stopping (no drain at all). Without a
    // router the same move keeps rev-b for scaleDownDelaySeconds (scaleDown.ts watches world.services.stable).
    expect(sim.replicasOf('rev-b'), 'the pods every user was on a moment ago').toBe(4);
  });
});

describe('an abort while the spec is invalid, after the switch', () => {
  it('keeps the revision users were on for scaleDownDelaySeconds, as a valid abort does', () => {
    const valid = switched({ abortScaleDownDelaySeconds: 0 });
    valid.request('abort');
    valid.reconcile();
    expect(valid.services.stable).toBe('rev-a');
    expect(valid.replicasOf('rev-b'), 'the control: a valid abort drains rev-b').toBe(4);

    const sim = switched({ abortScaleDownDelaySeconds: 0 });
    sim.specErrors = [
      { field: 'spec.strategy.blueGreen.postPromotionAnalysis', code: 'TemplateNotFound', message: 'x' },
    ];
    sim.request('abort');
    sim.reconcile();
    expect(sim.services.stable).toBe('rev-a');
    // plan.ts invalid() returns before planScaleDown: the active Service moves and rev-b goes to 0 in one pass.
    expect(sim.replicasOf('rev-b'), 'the pods every user was on a moment ago').toBe(4);
  });
});

describe('two revisions to keep warm at once', () => {
  it('keeps the first for its own scaleDownDelaySeconds when a second promotion comes before it ends', () => {
    const sim = released(blueGreen({ scaleDownDelaySeconds: 600 }));
    sim.converge();
    expect(sim.rollout.status).toMatchObject({
      stableRevision: 'rev-b',
      scaleDown: [expect.objectContaining({ revision: 'rev-a' })],
    });
    const deadline = sim.rollout.status!.scaleDown![0]!.scaleDownAt!;
    sim.advance(60_000);
    sim.templateRevision = 'rev-c'; // a hotfix a minute later
    sim.converge();
    expect(sim.rollout.status?.stableRevision).toBe('rev-c');
    expect(sim.rollout.status?.scaleDown?.map((w) => w.revision)).toEqual(['rev-a', 'rev-b']);
    expect(sim.now.getTime()).toBeLessThan(Date.parse(deadline));
    // status.scaleDown has one slot: keepWarm(rev-b) overwrote rev-a's, and rev-a lost its pods 9 minutes early
    // (the fast rollback to it, and the drain its scaleDownDelaySeconds promised, with them).
    expect(sim.replicasOf('rev-a')).toBe(4);
  });
});

describe('an abort while the spec is invalid and the router cannot be written, after a routed switch', () => {
  it('keeps the new revision, which every request reaches, rather than scaling it away', () => {
    const sim = switched({}, routed);
    sim.routeInvalid = 'the HTTPRoute lost its preview backend';
    sim.request('abort');
    sim.reconcile();
    expect(sim.replicasOf('rev-b'), 'the pods every request goes to').toBe(4);
    expect(sim.rollout.status?.message).toMatch(/sends every request to rev-b, so its pods stay/);
    sim.advance(3_600_000);
    sim.reconcile();
    expect(sim.replicasOf('rev-b')).toBe(4);
  });
});
