/**
 * Two engineers ask for undo at once (issue 16). `kubectl sluice undo` names the previous revision by number
 * (undo:N, resolved from the cluster), so both requests mean the same revision and the second changes nothing; two
 * bare `undo` annotations (plain kubectl) would each mean "the template before this one", and toggle back.
 */
import { describe, expect, it } from 'vitest';
import type { ManualAction } from '../api/controls.ts';
import { release, SimCluster } from './fixtures.test-support.ts';

/** rev-a (1) then rev-b (2) released; both engineers' requests taken one after the other. */
function twoUndos(action: ManualAction): SimCluster {
  const sim = new SimCluster();
  sim.converge();
  release(sim, 'rev-b');
  sim.advance(60_000);
  sim.converge(40);
  for (const _engineer of ['first', 'second']) {
    sim.request(action);
    sim.converge(40);
  }
  return sim;
}

describe('two undos asked for at once', () => {
  it('converge on the revision both named when each is undo:N', () => {
    const sim = twoUndos('undo:1');
    expect(sim.templateRevision).toBe('rev-a');
    expect(sim.eventReasons()).toContain('UndoRefused'); // the second: revision 1 is the current one now
  });

  it('(control) toggle back when each is a bare undo', () => {
    expect(twoUndos('undo').templateRevision).toBe('rev-b');
  });
});
