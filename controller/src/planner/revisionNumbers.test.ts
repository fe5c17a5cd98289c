import { describe, expect, it } from 'vitest';
import { baseSpec, release, SimCluster } from './fixtures.test-support.ts';

const numbers = (sim: SimCluster) =>
  Object.fromEntries([...sim.replicaSets.values()].map((rs) => [rs.revision, rs.revisionNumber]));

describe('revision numbers', () => {
  it('count up as templates come, and a template that comes back takes the next number, as a Deployment does', () => {
    const sim = new SimCluster(baseSpec());
    sim.converge();
    expect(numbers(sim)).toEqual({ 'rev-a': 1 });
    release(sim, 'rev-b');
    release(sim, 'rev-c');
    expect(numbers(sim)).toEqual({ 'rev-a': 1, 'rev-b': 2, 'rev-c': 3 });
    release(sim, 'rev-a');
    expect(numbers(sim)).toEqual({ 'rev-a': 4, 'rev-b': 2, 'rev-c': 3 });
  });

  it('renumber the stable revision when a canary in flight is reverted to it: the previous template is the canary', () => {
    const sim = new SimCluster(baseSpec());
    sim.converge();
    sim.templateRevision = 'rev-b';
    sim.converge(40);
    expect(numbers(sim)).toEqual({ 'rev-a': 1, 'rev-b': 2 });
    sim.templateRevision = 'rev-a';
    const plan = sim.converge(40);
    expect(numbers(sim)).toEqual({ 'rev-a': 3, 'rev-b': 2 });
    expect(plan.revisionNumber).toBeUndefined(); // numbered once: no write on every reconcile
  });

  it('number a ReplicaSet made before Sluice numbered them once it is the current template', () => {
    const sim = new SimCluster(baseSpec());
    sim.converge();
    sim.replicaSets.get('rev-a')!.revisionNumber = 0;
    expect(sim.reconcile().revisionNumber).toEqual({ revision: 'rev-a', number: 1 });
  });
});
