import { describe, expect, it } from 'vitest';
import { baseSpec, SimCluster, withCanary } from './fixtures.test-support.ts';

describe('specs the controller cannot carry out', () => {
  it('reports InvalidSpec and shifts nothing', () => {
    const sim = withCanary();
    sim.converge();
    const replicasBefore = [...sim.replicaSets.values()].map((r) => [r.revision, r.replicas]);
    sim.specErrors = [
      {
        field: 'spec.strategy.canary.steps[1].analysis.templates[0].templateName',
        message: 'AnalysisTemplate shop/x not found: create it or fix the name',
        code: 'TemplateNotFound',
      },
    ];
    const plan = sim.reconcile();
    expect(plan.canaryWeight).toBeUndefined();
    expect(plan.services).toBeUndefined();
    expect(plan.replicaSets.map((r) => [r.revision, r.replicas])).toEqual(replicasBefore);
    expect(plan.status.phase).toBe('Degraded');
    const invalidSpec = plan.status.conditions?.find((c) => c.type === 'InvalidSpec');
    expect(invalidSpec?.status).toBe('True');
    expect(invalidSpec?.message).toContain('templates[0].templateName');
    sim.reconcile();
    expect(sim.eventReasons().filter((r) => r === 'InvalidSpec')).toHaveLength(1); // one Event, not one per reconcile
  });

  describe('never block an abort', () => {
    const atTwentyPercent = () => {
      const sim = withCanary(
        baseSpec({
          strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }], abortScaleDownDelaySeconds: 30 } },
        }),
      );
      sim.converge();
      expect(sim.routeWeight).toBe(20);
      return sim;
    };

    it('a later template deleted: traffic back on stable in the reconcile that reads the request', () => {
      const sim = atTwentyPercent();
      sim.specErrors = [
        {
          field: 'spec.strategy.canary.steps[1].analysis.templates[0].templateName',
          message: 'AnalysisTemplate shop/x not found',
          code: 'TemplateNotFound',
        },
      ];
      sim.request('abort');
      const plan = sim.reconcile();
      expect(plan.canaryWeight).toBe(0);
      expect(plan.status.abort).toBe(true);
      expect(plan.clearAction).toBe(true);
      expect(plan.status.message).toMatch(/^aborted: .*; invalid spec: spec.strategy.canary.steps\[1\]/);
      expect(plan.replicaSets).toEqual([
        { revision: 'rev-a', replicas: 4 },
        { revision: 'rev-b', replicas: 1 },
      ]);
      sim.advance(30_000);
      sim.reconcile();
      expect(sim.replicasOf('rev-b')).toBe(0);
      expect(sim.replicasOf('rev-a')).toBe(4);
    });

    it('the Deployment deleted: stable keeps the pods it has, traffic goes back to it', () => {
      const sim = atTwentyPercent();
      sim.deploymentExists = false;
      sim.request('abort');
      const plan = sim.reconcile();
      expect(plan.canaryWeight).toBe(0);
      expect(plan.status.abort).toBe(true);
      expect(plan.replicaSets).toContainEqual({ revision: 'rev-a', replicas: 4 });
    });

    it('the route lost its canary backend: the router cannot be written, so the canary is scaled to 0 at once', () => {
      const sim = atTwentyPercent();
      sim.routeInvalid = 'HTTPRoute shop/checkout has no backendRef named checkout-canary';
      sim.request('abort');
      const plan = sim.reconcile();
      expect(plan.canaryWeight).toBeUndefined();
      expect(plan.replicaSets).toEqual([{ revision: 'rev-a', replicas: 4 }]);
      expect(plan.status.message).toContain('the canary was scaled to 0 at once');
    });

    it('the route refuses the managed routes but its split can be written: traffic goes to 0 through it, the canary keeps its pods for the delay', () => {
      const sim = atTwentyPercent();
      sim.routeInvalid = 'HTTPRoute shop/checkout: the weighted rule already matches on x-user';
      sim.routeAbortable = true;
      sim.request('abort');
      const plan = sim.reconcile();
      expect(plan.canaryWeight).toBe(0);
      expect(plan.routes).toEqual([]);
      expect(plan.replicaSets).toContainEqual({ revision: 'rev-b', replicas: sim.replicasOf('rev-b') });
      expect(plan.status.message).not.toContain('scaled to 0 at once');
    });

    it('an abort already recorded keeps its course while the spec is invalid', () => {
      const sim = atTwentyPercent();
      sim.request('abort');
      sim.reconcile();
      sim.specErrors = [{ field: 'spec.strategy.canary.steps[0]', message: 'broken', code: 'InvalidStep' }];
      sim.advance(30_000);
      sim.reconcile();
      expect(sim.replicasOf('rev-b')).toBe(0);
      expect(sim.rollout.status?.abort).toBe(true);
    });
  });

  it('keeps a promote request waiting while the spec is invalid, and says so', () => {
    const sim = withCanary();
    sim.converge();
    sim.specErrors = [{ field: 'spec.strategy.canary.steps[0]', message: 'broken', code: 'InvalidStep' }];
    sim.request('promote');
    const plan = sim.reconcile();
    expect(plan.clearAction).toBe(false);
    expect(plan.status.message).toContain('the promote request waits until the spec is fixed');
  });

  it('names spec.workloadRef.name when the Deployment is missing', () => {
    const sim = new SimCluster();
    sim.deploymentExists = false;
    expect(sim.reconcile().status.message).toBe(
      'invalid spec: spec.workloadRef.name: Deployment shop/checkout not found: create it or fix the name',
    );
  });
});
