/**
 * promote-full during a rollback within spec.rollbackWindow (issue 16): the rollback holds at all traffic until its
 * background analysis has passed; promote-full, which ends any canary's remaining steps and analysis, ends that hold.
 */
import { describe, expect, it } from 'vitest';
import { baseSpec, release, SimCluster } from './fixtures.test-support.ts';

const spec = baseSpec({
  rollbackWindow: { revisions: 2 },
  strategy: {
    canary: {
      steps: [{ setWeight: 20 }, { pause: {} }],
      analysis: { templates: [{ templateName: 'error-rate' }] },
    },
  },
});

/** rev-a then rev-b released; the template goes back to rev-a, whose analysis has measured nothing yet. */
function holding(): SimCluster {
  const sim = new SimCluster(spec);
  sim.converge();
  sim.backgroundVerdict = { kind: 'running', message: 'analysis running' };
  release(sim, 'rev-b');
  sim.templateRevision = 'rev-a';
  sim.backgroundVerdict = { kind: 'running', message: 'analysis running: error-rate waits initialDelay' };
  sim.converge(40);
  expect(sim.rollout.status).toMatchObject({ stableRevision: 'rev-b', rollbackWithinWindow: true });
  expect(sim.routeWeight).toBe(100);
  return sim;
}

describe('a rollback within the window held for its background analysis', () => {
  it('is made stable by promote-full', () => {
    const sim = holding();
    sim.request('promote-full');
    sim.converge(40);
    expect(sim.rollout.status?.stableRevision).toBe('rev-a');
    expect(sim.eventReasons()).toContain('PromotedFull');
  });

  it('is not made stable by promote, which says what would', () => {
    const sim = holding();
    sim.request('promote');
    sim.converge(40);
    expect(sim.rollout.status?.stableRevision).toBe('rev-b');
    expect(sim.events.map((e) => e.message).join('\n')).toContain('promote-full makes it stable');
  });
});
