/**
 * A newer template mid-canary: the weight the superseded canary had was for its pods. The new canary's Service (or
 * subset) selects the new revision at once, so the weight must not stay above what the new pods can take.
 */
import { describe, expect, it } from 'vitest';
import { withCanary } from './fixtures.test-support.ts';

describe('a canary superseded while it has traffic', () => {
  it('sends nothing to the new revision until its pods are ready, then resumes from the first step', () => {
    const sim = withCanary();
    sim.converge(); // rev-b runs its steps up to the pause at 60%
    expect(sim.routeWeight).toBeGreaterThan(0);
    sim.templateRevision = 'rev-c';
    const plan = sim.reconcile();
    expect(plan.status.canaryRevision).toBe('rev-c');
    expect(plan.services).toEqual({ stable: 'rev-a', canary: 'rev-c' });
    // rev-c has no ready pod: any weight now would go to a Service (or subset) with no endpoint.
    expect(sim.replicaSets.get('rev-c')?.readyReplicas ?? 0).toBe(0);
    expect(plan.canaryWeight).toBe(0);
    expect(plan.status.weights).toEqual({ canary: 0, stable: 100 });
    sim.settlePods();
    const next = sim.reconcile();
    expect(next.canaryWeight).toBe(20);
  });
});
