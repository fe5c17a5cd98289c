/**
 * spec.replicas under pressure, as a reviewer of issue 16 found it: an autoscaler growing a Rollout at peak, the
 * Rollout then deleted (or its spec.replicas dropped by a GitOps apply), a Rollout parked at 0 and scaled up again,
 * a new revision released while parked. sluice.dev/replicas (SimCluster.recordedReplicas) is what handover.ts
 * scales the Deployment back to when the Rollout is deleted, and the size once spec.replicas is gone
 * (replicas.ts desiredReplicas). Each story fails against the branch as reviewed.
 */
import { describe, expect, it } from 'vitest';
import { baseSpec, SimCluster } from './fixtures.test-support.ts';

describe('the size handed back to the Deployment', () => {
  it('is the size an autoscaler set, not the size at takeover', () => {
    const sim = new SimCluster(baseSpec({ replicas: 2 }));
    sim.converge();
    expect(sim.recordedReplicas).toBe(2);
    sim.rollout.spec.replicas = 20; // the HorizontalPodAutoscaler at peak, through the scale subresource
    sim.converge();
    expect(sim.replicasOf('rev-a')).toBe(20);
    // canary.ts takeOverWhenStableReady records the size once, when the Deployment still has pods: deleting the
    // Rollout now scales the Deployment to 2 and, once 2 are available, lets the garbage collector take the 20.
    expect(sim.recordedReplicas, 'what deleting the Rollout hands back').toBe(20);
  });

  it('is kept when a GitOps apply drops spec.replicas after an autoscaler grew it', () => {
    const sim = new SimCluster(baseSpec({ replicas: 2 }));
    sim.converge();
    sim.rollout.spec.replicas = 20;
    sim.converge();
    delete sim.rollout.spec.replicas; // kubectl apply of a manifest without it: the field was in last-applied
    sim.converge();
    // desiredReplicas falls back to the recorded 2: 18 of the 20 pods serving the peak go at once.
    expect(sim.replicasOf('rev-a')).toBe(20);
  });

  it('is not 0 for a Rollout taken over at replicas 0 and scaled up since', () => {
    const sim = new SimCluster(baseSpec({ replicas: 0 }));
    sim.converge();
    sim.rollout.spec.replicas = 5; // kubectl scale rollout.sluice.dev checkout --replicas=5
    sim.converge();
    expect(sim.replicasOf('rev-a')).toBe(5);
    // Recorded "0" reads as "nothing recorded" (observe.ts, handover.ts): deleting the Rollout leaves the Deployment
    // at 0 and the garbage collector takes the 5 pods: the application is down.
    expect(sim.recordedReplicas).toBe(5);
  });
});

describe('a Rollout parked at spec.replicas 0', () => {
  it('does not promote a new revision none of whose pods ever ran', () => {
    const sim = new SimCluster(
      baseSpec({ replicas: 0, strategy: { canary: { steps: [{ setWeight: 20 }, { pause: { duration: '2s' } }] } } }),
    );
    sim.converge();
    sim.templateRevision = 'rev-b'; // CI releases overnight while the service is parked
    sim.converge();
    sim.advance(3_000);
    sim.converge();
    expect(sim.replicasOf('rev-b')).toBe(0); // not one canary pod, ever
    // The steps pass on zero pods (canaryReplicas(0, w) = 0, and "0 of 0 ready" is ready): scaled up in the
    // morning, every pod runs rev-b, which no step ever saw serve.
    expect(sim.rollout.status?.stableRevision).toBe('rev-a');
  });
});
