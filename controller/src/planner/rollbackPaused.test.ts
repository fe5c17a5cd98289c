/**
 * Hostile-review test for spec.rollbackWindow and spec.paused (issue 16): pause is a state that holds the rollout
 * where it is; a rollback within the window must not move traffic past it.
 */
import { describe, expect, it } from 'vitest';
import { baseSpec, release, SimCluster } from './fixtures.test-support.ts';

describe('a rollback within the window of a paused Rollout', () => {
  // Defect (planner/canary.ts: spec.paused and the freeze flag are only looked at inside the step loop, which a
  // rollback within the window never enters, since startCanary puts it at step steps.length). An engineer pauses
  // the Rollout (kubectl sluice pause: "hold the rollout at its step") to stop everything while they look; a Git
  // revert to a recent stable revision lands meanwhile. Every other new template waits at its first step while
  // paused; this one is scaled to full size, given 100% of traffic and promoted under the pause, and the status
  // never says Paused. The pause must hold it too (as the freeze flag should), until kubectl sluice resume.
  it.each([
    ['within spec.rollbackWindow', { rollbackWindow: { revisions: 2 } }],
    ['(control) without a rollback window', {}],
  ] as const)('takes not all traffic and promotes nothing while spec.paused is true: %s', (_, window) => {
    const sim = new SimCluster(baseSpec(window));
    sim.converge();
    release(sim, 'rev-b');
    sim.rollout.spec.paused = true;
    sim.converge(40);

    sim.templateRevision = 'rev-a'; // a revert in Git while the Rollout is paused
    sim.converge(40);

    expect(sim.rollout.status?.stableRevision).toBe('rev-b');
    expect(sim.routeWeight).toBeLessThan(100); // a paused canary has at most its first step's weight
    expect(sim.rollout.status?.phase).toBe('Paused');
  });

  it('holds a rollback within the window while the freeze flag is on, and carries it out once it is off', () => {
    const sim = new SimCluster(baseSpec({ rollbackWindow: { revisions: 2 } }));
    sim.converge();
    release(sim, 'rev-b');
    sim.freeze = { message: 'freeze flag deploy-freeze is enabled' };
    sim.templateRevision = 'rev-a';
    sim.converge(40);
    expect(sim.rollout.status?.stableRevision).toBe('rev-b');
    expect(sim.routeWeight).toBe(0);
    expect(sim.rollout.status?.message).toContain('deploy-freeze');

    sim.freeze = undefined;
    sim.converge(40);
    expect(sim.rollout.status?.stableRevision).toBe('rev-a');
  });
});
