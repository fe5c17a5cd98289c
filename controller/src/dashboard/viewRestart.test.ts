/**
 * The dashboard while a restart (spec.restartAt) runs: the status the planner writes mid-restart reaches the list
 * (phase and message) and the detail (condition Restarting), with no dashboard code of its own for it.
 */
import { describe, expect, it } from 'vitest';
import { steadyRestartSim } from '../planner/restart.test-support.ts';
import { detailOf, summarize } from './view.ts';

describe('a Rollout restarting its stable pods, on the dashboard', () => {
  it('shows the restart in the list and in the conditions while it runs', () => {
    const sim = steadyRestartSim();
    sim.advance(2_000);
    sim.rollout.spec.restartAt = sim.now.toISOString();
    sim.reconcile();
    const r = { ...sim.rollout, metadata: { ...sim.rollout.metadata, uid: 'u1' } };
    expect(summarize(r)).toMatchObject({
      phase: 'Progressing',
      message: expect.stringMatching(/^restarting the stable pods: evicting pod checkout-rev-a-/) as unknown,
    });
    const detail = detailOf(r, {
      analysisTemplate: () => undefined,
      clusterAnalysisTemplate: () => undefined,
      events: [],
      weightHistory: { t: [], canary: [] },
    });
    expect(detail.conditions).toContainEqual(
      expect.objectContaining({ type: 'Restarting', status: 'True', reason: 'Restarting' }),
    );
  });
});
