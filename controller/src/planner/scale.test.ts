/**
 * Sizing a Rollout itself (issue 16): given spec.replicas, set by a user, kubectl scale or an autoscaler through the
 * scale subresource, the stable and canary pods follow it, mid-canary too, and status says what the scale
 * subresource reads.
 */
import { describe, expect, it } from 'vitest';
import { baseSpec, withCanary } from './fixtures.test-support.ts';

describe('spec.replicas', () => {
  it('sizes stable and canary (weight x replicas) from the Rollout, and follows a change mid-canary', () => {
    const sim = withCanary(baseSpec({ strategy: { canary: { steps: [{ setWeight: 25 }, { pause: {} }] } } }));
    sim.converge();
    expect([sim.replicasOf('rev-a'), sim.replicasOf('rev-b')]).toEqual([4, 1]); // the Deployment's 4
    sim.rollout.spec.replicas = 12; // kubectl scale ro checkout --replicas=12, or an autoscaler
    sim.converge();
    expect([sim.replicasOf('rev-a'), sim.replicasOf('rev-b')]).toEqual([12, 3]);
    expect(sim.rollout.status).toMatchObject({ replicas: 12, selector: 'sluice.dev/rollout=checkout' });
    expect(sim.rollout.status?.weights).toEqual({ canary: 25, stable: 75 });
    sim.rollout.spec.replicas = 6;
    sim.request('promote');
    sim.converge();
    expect([sim.replicasOf('rev-b'), sim.rollout.status?.stableRevision]).toEqual([6, 'rev-b']);
  });

  it("records the Rollout's size on the Deployment it takes over, so that deleting the Rollout hands that many back", () => {
    const sim = withCanary(baseSpec({ replicas: 7 }));
    expect(sim.recordedReplicas).toBe(7);
    expect(sim.deploymentReplicas).toBe(0);
  });
});

describe('a HorizontalPodAutoscaler left on the Deployment', () => {
  it('is reported in the condition AutoscalerOnDeployment, with what to do, until it is gone', () => {
    const sim = withCanary();
    sim.autoscalerOnDeployment = 'checkout';
    sim.converge();
    const condition = sim.rollout.status?.conditions?.find((c) => c.type === 'AutoscalerOnDeployment');
    expect(condition).toMatchObject({ status: 'True', reason: 'AutoscalerOnDeployment' });
    expect(condition?.message).toMatch(/HorizontalPodAutoscaler checkout targets Deployment checkout.*scaleTargetRef/);
    expect(sim.eventReasons().filter((r) => r === 'AutoscalerOnDeployment')).toHaveLength(1); // once, not per reconcile
    sim.autoscalerOnDeployment = undefined;
    sim.converge();
    expect(sim.rollout.status?.conditions?.map((c) => c.type)).not.toContain('AutoscalerOnDeployment');
  });
});
