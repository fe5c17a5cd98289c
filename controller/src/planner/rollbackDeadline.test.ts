/**
 * Hostile-review test for spec.rollbackWindow and progressDeadlineSeconds (issue 16): a rollback whose pods never
 * become ready must say so, as any canary that makes no progress does.
 */
import { describe, expect, it } from 'vitest';
import { baseSpec, release, SimCluster } from './fixtures.test-support.ts';

describe('a rollback whose pods never become ready', () => {
  // Defect (planner/canary.ts planTraffic: past the last step, "waiting for canary pods" returns without
  // stalled(); a rollback within the window starts there, so progressDeadlineSeconds never applies to it). The
  // old image has been pruned from the registry (ImagePullBackOff) or no longer fits the cluster; the rollback
  // sits at "rollback within window: steps skipped; promoting: waiting for canary pods (0/4 ready)" forever,
  // never Degraded, no ProgressDeadlineExceeded Event, progressDeadlineAbort never fires. The same template outside the window (steps run) is reported after
  // the deadline. An on-call engineer who undid a bad release is told nothing while the bad release keeps serving.
  it.each([
    ['within spec.rollbackWindow', { rollbackWindow: { revisions: 2 } }],
    ['(control) without a rollback window', {}],
  ] as const)('is reported once progressDeadlineSeconds has passed: %s', (_, window) => {
    const sim = new SimCluster(baseSpec({ ...window, progressDeadlineSeconds: 60 }));
    sim.converge();
    release(sim, 'rev-b');
    sim.advance(60_000); // past scaleDownDelaySeconds: rev-a's pods are gone
    sim.converge(40);
    sim.podsBecomeReady = false;
    sim.templateRevision = 'rev-a';
    sim.converge(40);
    sim.advance(10 * 60_000);
    sim.converge(40);
    expect(sim.eventReasons()).toContain('ProgressDeadlineExceeded');
    expect(sim.rollout.status?.phase).toBe('Degraded');
  });
});
