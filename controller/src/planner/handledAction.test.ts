import { describe, expect, it } from 'vitest';
import { baseSpec, SimCluster } from './fixtures.test-support.ts';

/**
 * execute.ts removes the annotation (clearAction) and only then, in a second write, drops
 * status.handledAction. If that second write fails (409 because the user annotated again in between, 5xx,
 * SIGKILL, lost lease), status keeps handledAction=promote while the annotation is gone. The user's next
 * `sluice.dev/action=promote` then equals handledAction and is silently dropped (builder.ts:47).
 * SimCluster writes plan.status (with handledAction) and removes the annotation: exactly that state.
 */
describe('a second promote after a lost handledAction cleanup', () => {
  it('is acted on, not swallowed', () => {
    const sim = new SimCluster(
      baseSpec({
        strategy: {
          canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 40 }, { pause: {} }, { setWeight: 60 }] },
        },
      }),
    );
    sim.converge();
    sim.templateRevision = 'rev-b';
    sim.converge(40);
    expect(sim.rollout.status?.currentStepIndex).toBe(1);
    sim.request('promote');
    sim.reconcile(); // promote acted on; annotation removed; the write dropping handledAction did not happen
    sim.converge(40); // (in the sim the next reconcile drops handledAction; it is put back below)
    expect(sim.rollout.status?.currentStepIndex).toBe(3);
    // Not yet: the cleanup write failed, so status still says handledAction=promote.
    sim.rollout.status = { ...sim.rollout.status, handledAction: 'promote at rev-b step 2' };
    sim.request('promote'); // the user's new request for step 4
    sim.reconcile();
    expect(sim.rollout.status?.currentStepIndex).toBe(4);
  });

  it('an abort of a newer canary is not swallowed by the stale record of the previous abort', () => {
    const sim = new SimCluster(baseSpec({ strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } } }));
    sim.converge();
    sim.templateRevision = 'rev-b';
    sim.converge(40);
    sim.request('abort');
    sim.reconcile(); // aborted; annotation removed; the write dropping handledAction=abort is lost (crash)
    expect(sim.rollout.status?.handledAction).toBeUndefined(); // an abort needs no record: acted on twice, it is one abort
    // While the controller is down, the user ships rev-c and, seeing a problem, aborts it at once.
    sim.templateRevision = 'rev-c';
    sim.request('abort');
    sim.converge(40);
    expect(sim.rollout.status?.canaryRevision).toBe('rev-c');
    expect(sim.rollout.status?.abort).toBe(true);
  });
});
