/**
 * Blue-green after the first review's fixes, as an on-call engineer meets it (second review): a rollback while a
 * pod of the old revision is not ready, an active Service deleted by hand, a rollback onto the warm revision, a
 * promote-full whose Service write does not land, names changed mid-release, a promote pressed at a stuck switch.
 * Each story fails against the `bg` branch after the first review's fixes.
 */
import { describe, expect, it } from 'vitest';
import type { BlueGreenStrategy } from '../api/types.ts';
import { analysis, blueGreen, released } from './blueGreen.test-support.ts';
import { SimCluster } from './fixtures.test-support.ts';

/** rev-b switched in, its post-promotion analysis running; rev-a still at full size. */
function switched(bg: Partial<BlueGreenStrategy> = {}): SimCluster {
  const sim = released(blueGreen({ postPromotionAnalysis: analysis, ...bg }));
  sim.converge();
  expect(sim.rollout.status?.blueGreen).toMatchObject({ phase: 'Switched', activeRevision: 'rev-b' });
  return sim;
}

/** One pod of `revision` stops being ready (a node drained, a liveness probe) and stays so. */
function onePodDown(sim: SimCluster, revision: string): void {
  sim.podsBecomeReady = false;
  sim.replicaSets.get(revision)!.readyReplicas = 3;
  sim.replicaSets.get(revision)!.availableReplicas = 3;
}

describe('an on-call rollback after the switch while one old pod is not ready', () => {
  it('moves users back to the old revision, as an abort would', () => {
    const sim = switched();
    onePodDown(sim, 'rev-a');
    sim.templateRevision = 'rev-a'; // kubectl rollout undo: the new revision is failing users
    sim.converge();
    // canary.ts planSteady holds the active Service back until every stable pod is ready (meant for the takeover
    // of a user's Service that serves the Deployment's pods): here it leaves every user on the revision the
    // engineer rolled back from, for as long as one of four old pods is down. An abort moves them at once.
    expect(sim.services.stable).toBe('rev-a');
  });
});

describe('an active Service deleted after the takeover', () => {
  it('is recreated even while one stable pod is not ready', () => {
    const sim = released(blueGreen());
    sim.templateRevision = 'rev-a';
    sim.converge();
    expect(sim.deploymentReplicas).toBe(0); // taken over: Sluice's pods are the only ones
    onePodDown(sim, 'rev-a');
    sim.services = { stable: undefined, canary: undefined }; // pruned by a GitOps sync, or deleted by hand
    sim.converge();
    // Nothing serves users; three ready pods wait. The takeover rule (wait for all of them) keeps the Service
    // from being recreated until the fourth is back, which may be never.
    expect(sim.services.stable).toBe('rev-a');
  });
});

describe('a rollback release onto the revision still warm from the last promotion', () => {
  it('reports the switch as a Switched, with its time', () => {
    const sim = released(blueGreen({ autoPromotionEnabled: false }));
    sim.converge();
    sim.request('promote');
    sim.converge();
    expect(sim.rollout.status).toMatchObject({
      stableRevision: 'rev-b',
      scaleDown: [expect.objectContaining({ revision: 'rev-a' })],
    });
    const firstSwitch = sim.rollout.status?.blueGreen?.switchedAt;
    sim.advance(10_000);
    sim.templateRevision = 'rev-a'; // roll back while rev-a's pods are warm
    sim.converge();
    sim.events = [];
    sim.request('promote');
    sim.converge();
    expect(sim.services.stable).toBe('rev-a');
    expect(sim.rollout.status?.stableRevision).toBe('rev-a');
    // blueGreen.ts tells forward from back by ReplicaSet sequence: rev-a is older, so the switch of this release
    // is a Warning SwitchedBack and switchedAt stays at the switch to rev-b.
    expect(sim.eventReasons()).toContain('Switched');
    expect(sim.eventReasons()).not.toContain('SwitchedBack');
    expect(sim.rollout.status?.blueGreen?.switchedAt).not.toBe(firstSwitch);
  });
});

describe('a promote-full whose active Service write does not land', () => {
  it('does not say Promoted while the active Service reads back the old revision', () => {
    const sim = released(blueGreen({ autoPromotionEnabled: false }));
    sim.converge();
    sim.servicesTakeWrites = false;
    sim.request('promote-full');
    sim.converge();
    expect(sim.services.stable).toBe('rev-a');
    // Phase from the decision (canary === stable), not from the read-back: "Promoted" beside activeRevision rev-a.
    expect(sim.rollout.status?.blueGreen).toMatchObject({ activeRevision: 'rev-a' });
    expect(sim.rollout.status?.blueGreen?.phase).not.toBe('Promoted');
  });
});

describe('Service names changed mid-release', () => {
  it('names the Service the release still uses when it waits for it', () => {
    const sim = released(blueGreen({ autoPromotionEnabled: false }));
    sim.converge();
    sim.rollout.spec.strategy.blueGreen!.activeService = 'checkout-live';
    sim.servicesTakeWrites = false; // the switch is refused by a webhook
    sim.request('promote');
    sim.converge();
    expect(sim.rollout.status?.blueGreen?.activeService).toBe('checkout-active');
    // The message comes from resolveSteps(spec): "waiting for Service checkout-live to select revision rev-b
    // (selects rev-a)", where rev-a is what checkout-active selects and checkout-live does not exist.
    expect(sim.rollout.status?.message).toMatch(/waiting for Service checkout-active to select revision rev-b/);
  });
});

describe('promote pressed at a switch that cannot complete', () => {
  it('says what the switch waits for', () => {
    const sim = released(blueGreen({ autoPromotionEnabled: false }));
    sim.converge();
    sim.servicesTakeWrites = false;
    sim.request('promote');
    sim.converge();
    expect(sim.rollout.status?.message).toMatch(/switch Service checkout-active.*waiting for Service checkout-active/);
    sim.request('promote');
    sim.reconcile();
    const ignored = sim.events.find((e) => e.reason === 'ActionIgnored');
    // "it ends by itself once the pods are ready and it reads back; abort to give up, or promote-full to skip
    // every step": the pods are ready, the Service is what is stuck, and promote-full does not move it either.
    expect(ignored?.message).toMatch(/checkout-active.*selects rev-a/);
  });
});

describe('Services the user made before the Rollout, not adopted yet', () => {
  it('is not Healthy while the active Service is not yet the Rollout’s (it still selects the user’s pods)', () => {
    // Seen in CI: the first plans ran before the adopted Service reached the cache (it sees only Sluice's labelled
    // Services), so nothing said what users reach and the Rollout was Healthy with the active Service still on
    // the user's own selector. Healthy waits for the Service to be this Rollout's and to select stable.
    const sim = new SimCluster(blueGreen());
    sim.servicesTakeWrites = false; // the adoption has not come back through the cache
    sim.services = { stable: undefined, canary: undefined, stableUnseen: true };
    for (let i = 0; i < 5; i++) {
      sim.reconcile();
      sim.settlePods();
    }
    expect(sim.rollout.status?.phase).not.toBe('Healthy');
    expect(sim.rollout.status?.message).toContain('not created or adopted yet');
    sim.servicesTakeWrites = true;
    sim.converge();
    expect(sim.rollout.status?.phase).toBe('Healthy');
  });
});
