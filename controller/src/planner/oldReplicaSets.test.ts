import { describe, expect, it } from 'vitest';
import type { RolloutSpec } from '../api/types.ts';
import { baseSpec, SimCluster } from './fixtures.test-support.ts';

// No drain delay: these stories are about the history, not about how long the previous stable keeps its pods.
const quick = (overrides: Partial<RolloutSpec> = {}) =>
  baseSpec({ strategy: { canary: { steps: [{ setWeight: 50 }], scaleDownDelaySeconds: 0 } }, ...overrides });

/** Releases rev-1 (the first stable) up to rev-<count>, each promoted to stable, a minute apart. */
function release(sim: SimCluster, count: number, apartMs = 60_000): void {
  for (let i = 1; i <= count; i++) {
    sim.templateRevision = `rev-${i}`;
    sim.advance(apartMs);
    sim.converge();
    expect(sim.rollout.status?.stableRevision).toBe(`rev-${i}`);
  }
}

const kept = (sim: SimCluster) => [...sim.replicaSets.keys()].sort();

describe('old ReplicaSets', () => {
  it('keeps the newest revisionHistoryLimit old ones beside stable and deletes the older', () => {
    const sim = new SimCluster(quick({ revisionHistoryLimit: 2 }));
    release(sim, 6);
    expect(kept(sim)).toEqual(['rev-4', 'rev-5', 'rev-6']);
    expect(sim.replicasOf('rev-6')).toBe(4);
  });

  it('goes by creation order, not creationTimestamp, which has whole seconds only', () => {
    const sim = new SimCluster(quick({ revisionHistoryLimit: 1 }));
    release(sim, 4, 0); // all in the same second; their names sort apart from their order
    expect(kept(sim)).toEqual(['rev-3', 'rev-4']);
  });

  it('keeps ten by default', () => {
    const sim = new SimCluster(quick());
    release(sim, 13);
    expect(kept(sim)).toHaveLength(11);
    expect(kept(sim)).not.toContain('rev-2');
    expect(kept(sim)).toContain('rev-3');
  });

  it('with 0 keeps only what runs, and never the canary, nor one whose pods are still stopping', () => {
    const sim = new SimCluster(
      quick({
        revisionHistoryLimit: 0,
        strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }], scaleDownDelaySeconds: 0 } },
      }),
    );
    release(sim, 1);
    sim.templateRevision = 'rev-2';
    sim.converge();
    expect(sim.rollout.status?.canaryRevision).toBe('rev-2');
    expect(kept(sim)).toEqual(['rev-1', 'rev-2']); // paused mid-canary: both have a role

    sim.request('promote');
    sim.reconcile(); // the pause ends; the canary grows to full size
    sim.settlePods();
    const promoted = sim.reconcile();
    expect(sim.rollout.status?.stableRevision).toBe('rev-2');
    // The stable Service still read back on rev-1 when this was planned: its pods stay until it reads rev-2.
    expect(sim.replicasOf('rev-1')).toBe(4);
    expect(promoted.deleteReplicaSets).toEqual([]);
    sim.reconcile();
    expect(sim.replicasOf('rev-1')).toBe(0);
    // Scaled to 0, but its pods are still stopping: it stays until they are gone.
    expect(sim.reconcile().deleteReplicaSets).toEqual([]);
    sim.settlePods();
    expect(sim.reconcile().deleteReplicaSets).toEqual(['checkout-rev-1']);
    expect(kept(sim)).toEqual(['rev-2']);
  });

  it('deletes nothing while the spec is invalid: a typo touches no object', () => {
    const sim = new SimCluster(quick({ revisionHistoryLimit: 0 }));
    release(sim, 1);
    sim.templateRevision = 'rev-2';
    sim.specErrors = [{ field: 'spec.strategy', message: 'broken', code: 'InvalidStep' }];
    expect(sim.converge().deleteReplicaSets).toEqual([]);
  });
});
