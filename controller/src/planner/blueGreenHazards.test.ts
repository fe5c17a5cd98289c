/**
 * Blue-green under pressure, as a reviewer found it: an adopted Service in use, an on-call rollback, a Service write
 * that does not land, a promote pressed at the wrong moment. Each story states what users must (not) see; each
 * fails against the planner of the `bg` branch as reviewed (see the review report for the file:line of each cause).
 */
import { describe, expect, it } from 'vitest';
import type { BlueGreenStrategy, RolloutSpec } from '../api/types.ts';
import { analysis, blueGreen, released } from './blueGreen.test-support.ts';
import { SimCluster } from './fixtures.test-support.ts';

const routed = { trafficRouting: { gatewayAPI: { httpRoute: 'checkout' } } };
const ready = (sim: SimCluster, revision: string) => sim.replicaSets.get(revision)?.readyReplicas ?? 0;

/** rev-b switched in and its post-promotion analysis running; rev-a still at full size. */
function switched(spec: RolloutSpec = blueGreen({ postPromotionAnalysis: analysis })): SimCluster {
  const sim = released(spec);
  sim.converge();
  expect(sim.rollout.status?.blueGreen).toMatchObject({ phase: 'Switched', activeRevision: 'rev-b' });
  expect(sim.replicasOf('rev-a')).toBe(4);
  return sim;
}

describe('adopting an active Service that users already reach', () => {
  it('leaves its selector alone until the revision it would select has a ready pod', () => {
    // The user's Service selects the Deployment's pods (world.services: no Sluice revision). Pointing it at
    // Sluice's revision before any of Sluice's pods is ready empties it: every request fails until they start.
    const sim = new SimCluster(blueGreen());
    sim.reconcile();
    const selected = sim.services.stable;
    expect(selected === undefined || ready(sim, selected) > 0, `active selects ${selected} with no ready pod`).toBe(
      true,
    );
  });
});

describe('an on-call rollback after the switch', () => {
  it('keeps the revision users were on for scaleDownDelaySeconds when the template is set back', () => {
    const sim = switched();
    sim.templateRevision = 'rev-a'; // kubectl rollout undo
    sim.reconcile();
    expect(sim.services.stable).toBe('rev-a');
    // rev-b served every request a moment ago: its pods must drain as after a promotion, not vanish with the switch.
    expect(sim.replicasOf('rev-b')).toBe(4);
  });

  it('keeps the revision users were on for scaleDownDelaySeconds when a newer template supersedes it', () => {
    const sim = switched();
    sim.templateRevision = 'rev-c';
    sim.reconcile();
    expect(sim.services.stable).toBe('rev-a');
    expect(sim.replicasOf('rev-b')).toBe(4);
  });

  it('says that active went back when a newer template supersedes the switched revision', () => {
    const sim = switched();
    sim.templateRevision = 'rev-c';
    sim.reconcile();
    expect(sim.services.stable).toBe('rev-a');
    sim.reconcile(); // Events say what the cluster reads back
    expect(sim.eventReasons()).toContain('SwitchedBack');
  });

  it('does not shrink the warm previous revision when the template goes back to it during scaleDownDelaySeconds', () => {
    const sim = released(blueGreen({ autoPromotionEnabled: false, previewReplicaCount: 1 }));
    sim.converge();
    sim.request('promote');
    sim.converge();
    expect(sim.rollout.status).toMatchObject({
      stableRevision: 'rev-b',
      scaleDown: [expect.objectContaining({ revision: 'rev-a' })],
    });
    expect(sim.replicasOf('rev-a')).toBe(4);
    sim.templateRevision = 'rev-a'; // rollback while rev-a's 4 pods are still warm
    let fewest = 4;
    for (let i = 0; i < 5; i++) {
      sim.reconcile();
      sim.settlePods();
      fewest = Math.min(fewest, sim.replicasOf('rev-a') ?? 0);
    }
    // Killing 3 warm pods to preview 1 and starting 3 new ones for the switch back is the slow rollback the warm
    // pods exist to avoid.
    expect(fewest).toBe(4);
  });
});

describe('a switch whose Service write does not land', () => {
  it('does not say Switched, nor that active serves the new revision, before the Service reads back', () => {
    const sim = released(blueGreen({ autoPromotionEnabled: false, postPromotionAnalysis: analysis }));
    sim.converge();
    sim.servicesTakeWrites = false;
    sim.request('promote');
    sim.converge();
    expect(sim.services.stable).toBe('rev-a');
    expect(sim.rollout.status?.blueGreen).toMatchObject({ phase: 'Switching', activeRevision: 'rev-a' });
    expect(sim.eventReasons()).not.toContain('Switched');
  });

  it('through a router: keeps the old revision while the active Service still selects it after promotion', () => {
    const sim = switched(blueGreen({ postPromotionAnalysis: analysis }, routed));
    expect(sim.routeWeight).toBe(100);
    sim.servicesTakeWrites = false; // the active Service patch is refused (a webhook, a quota, a conflict)
    sim.stepVerdicts.set(2, { kind: 'done', message: 'ok' });
    sim.converge();
    expect(sim.routeWeight).toBe(0); // every request goes to the active Service...
    expect(sim.services.stable).toBe('rev-a'); // ...which still selects rev-a
    sim.advance(31_000);
    sim.converge();
    expect(sim.replicasOf('rev-a'), 'the pods behind the active Service').toBe(4);
    expect(sim.rollout.status?.phase).not.toBe('Healthy');
  });
  it('without a router: keeps the old revision while the active Service still selects it after a promote-full', () => {
    const sim = released(blueGreen({ autoPromotionEnabled: false }));
    sim.converge();
    sim.servicesTakeWrites = false;
    sim.request('promote-full');
    sim.converge();
    expect(sim.rollout.status?.stableRevision).toBe('rev-b');
    expect(sim.services.stable).toBe('rev-a');
    sim.advance(31_000);
    sim.converge();
    // status.scaleDown counts from the decision, not from the moment active stopped selecting rev-a.
    expect(sim.replicasOf('rev-a'), 'the pods behind the active Service').toBe(4);
  });
});

describe('flags around a switch that cannot happen yet', () => {
  const flagged = (bg: Partial<BlueGreenStrategy>) => {
    const sim = released(blueGreen({ previewReplicaCount: 1, ...bg }));
    sim.unleash.add('default', 'production', 'new-flow', { enabled: false, percent: 0 });
    // The preview pod starts; the rest of the new revision never does (a quota, an image that will not pull).
    sim.reconcile();
    sim.settlePods();
    sim.podsBecomeReady = false;
    return sim;
  };
  const enabled = (sim: SimCluster) => sim.unleash.get('default', 'production', 'new-flow')?.enabled;

  it('sets no pre-promotion flag while the new revision cannot reach the full size the switch needs', () => {
    const sim = flagged({ prePromotionFlags: [{ setFlag: { name: 'new-flow', rollout: 100 } }] });
    sim.converge();
    expect(sim.services.stable).toBe('rev-a');
    expect(ready(sim, 'rev-b')).toBe(1);
    // "set just before the switch, so that a flag and a version switch together": here they are set, and then the
    // old version serves with them for as long as the scale-up takes (progressDeadlineSeconds, or for ever).
    expect(enabled(sim)).toBe(false);
  });

  it('sets no post-promotion flag when a promote ends the switch step before active moved', () => {
    const sim = flagged({ postPromotionFlags: [{ setFlag: { name: 'new-flow', rollout: 100 } }] });
    sim.converge();
    expect(sim.rollout.status?.message).toMatch(/switch Service checkout-active.*waiting for canary pods/);
    sim.request('promote'); // the on-call engineer tries to push a stuck switch through
    sim.converge();
    expect(sim.services.stable).toBe('rev-a');
    // postPromotionFlags are "for what only the new version knows": the old one now serves them.
    expect(enabled(sim)).toBe(false);
  });
});

describe('an abort while the spec is invalid', () => {
  it('says in status.blueGreen that active is back on the old revision', () => {
    const sim = switched();
    sim.specErrors = [
      { field: 'spec.strategy.blueGreen.postPromotionAnalysis', code: 'TemplateNotFound', message: 'x' },
    ];
    sim.request('abort');
    sim.reconcile();
    expect(sim.services.stable).toBe('rev-a');
    sim.reconcile(); // status says what the cluster reads back
    expect(sim.rollout.status?.blueGreen).toMatchObject({ phase: 'Aborted', activeRevision: 'rev-a' });
    expect(sim.eventReasons()).toContain('SwitchedBack');
  });
});
