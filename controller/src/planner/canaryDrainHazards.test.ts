/**
 * The drain after a canary promotion (issue 16), as a reviewer found it: what users reach is not always Sluice's
 * stable Service. Each story fails against the branch as reviewed.
 */
import { describe, expect, it } from 'vitest';
import { dest, istioWith } from '../routers/istio/istio.test-support.ts';
import { baseSpec, withCanary } from './fixtures.test-support.ts';
import { planRollout } from './plan.ts';

const steps = [{ setWeight: 50 }, { pause: {} }];

describe('a canary promoted while the stable Service does not read back on the new revision', () => {
  it('is not Healthy: users are still on the previous revision', () => {
    const sim = withCanary(baseSpec({ strategy: { canary: { steps, scaleDownDelaySeconds: 10 } } }));
    sim.converge();
    sim.servicesTakeWrites = false; // the Service patch is refused (a webhook, a GitOps tool reverting it)
    sim.request('promote');
    sim.converge();
    expect(sim.replicasOf('rev-a'), 'held, as canaryDrain.test.ts shows').toBe(4);
    // phase.ts checks the active Service for blue-green only: this says "rev-b ... 100% of traffic" and
    // `kubectl wait --for=condition=Healthy` (and Argo CD) return while every request still goes to rev-a.
    expect(sim.rollout.status?.phase).toBe('Progressing');
    expect(sim.rollout.status?.message).toMatch(/checkout-stable/);
  });
});

describe('a canary behind Istio subsets, promoted', () => {
  const istio = { virtualService: 'checkout', destinationRule: { name: 'checkout' } };

  it('keeps the previous stable while the stable subset still selects it', () => {
    const sim = withCanary(
      baseSpec({ trafficRouting: { istio }, strategy: { canary: { steps, scaleDownDelaySeconds: 10 } } }),
    );
    sim.converge();
    sim.request('promote');
    sim.converge();
    expect(sim.rollout.status?.stableRevision).toBe('rev-b');
    // The router put the weights back to 100% on the stable subset, and its DestinationRule patch (test ops on the
    // subset's labels) was refused: the stable subset, which every request goes to, still selects rev-a's pods.
    // Sluice's own checkout-stable Service reads back on rev-b, but with subsets no request goes through it.
    const { router } = istioWith(
      istio,
      { http: [{ name: 'primary', route: [dest('checkout', 100, 'stable'), dest('checkout', 0, 'canary')] }] },
      {
        host: 'checkout',
        subsets: [
          { name: 'stable', labels: { 'sluice.dev/revision': 'rev-a' } },
          { name: 'canary', labels: { 'sluice.dev/revision': 'rev-b' } },
        ],
      },
    );
    sim.advance(10_000);
    const plan = planRollout({ ...sim.world(), traffic: router.observe() });
    // scaleDown.ts usersOn() reads world.services only: rev-a's deadline passes and its pods go while the stable
    // subset still sends 100% of the requests to them (no healthy upstream).
    expect(plan.replicaSets.find((d) => d.revision === 'rev-a')?.replicas ?? 0).toBe(4);
  });
});
