/**
 * scaleDownWhen (issue 16): given a canary behind a traffic router promoted with a scale-down analysis, the previous
 * stable goes as soon as the analysis of that revision succeeds (drained), never before users stopped reaching it,
 * and any other verdict keeps its pods until scaleDownDelaySeconds, no sooner, without touching the release.
 */
import { describe, expect, it } from 'vitest';
import { scaleDownRunName } from '../api/steps.ts';
import type { AnalysisRunStatus, RolloutSpec } from '../api/types.ts';
import { baseSpec, withCanary, type SimCluster } from './fixtures.test-support.ts';

const steps = [{ setWeight: 50 }, { pause: {} }];
const scaleDownWhen = { analysis: { templates: [{ templateName: 'old-traffic' }] } };
const spec = (more: object = { scaleDownWhen }): RolloutSpec =>
  baseSpec({ strategy: { canary: { steps, scaleDownDelaySeconds: 600, ...more } } });

function promoted(sim: SimCluster): void {
  sim.converge();
  sim.request('promote');
  sim.converge();
  expect(sim.rollout.status?.stableRevision).toBe('rev-b');
  expect(sim.rollout.status?.scaleDown?.[0]?.scaleDownAt).toBeDefined();
}

/** The analysis engine's result for the run, as status records it (the engine is tested on its own). */
function drainRun(sim: SimCluster, phase: AnalysisRunStatus['phase'], revision = 'rev-a'): void {
  const run: AnalysisRunStatus = {
    name: scaleDownRunName,
    revision,
    phase,
    message: `old-traffic ${phase}`,
    startedAt: sim.now.toISOString(),
    metrics: [],
  };
  const runs = (sim.rollout.status!.analysis?.runs ?? []).filter((r) => r.name !== scaleDownRunName);
  sim.analysisRuns = [...runs, run];
}

describe('scaleDownWhen', () => {
  it('scales the previous stable down as soon as its analysis says it drained, well before the delay', () => {
    const sim = withCanary(spec());
    promoted(sim);
    drainRun(sim, 'Running');
    sim.advance(5_000);
    sim.converge();
    expect(sim.replicasOf('rev-a'), 'still draining').toBe(4);
    drainRun(sim, 'Successful');
    sim.converge();
    expect(sim.replicasOf('rev-a')).toBe(0);
    expect(sim.rollout.status?.scaleDown).toBeUndefined();
    expect(sim.events.find((e) => e.reason === 'Drained')?.message).toBe(
      'revision rev-a has drained (old-traffic Successful): scaled down',
    );
    expect(sim.rollout.status?.phase).toBe('Healthy');
  });

  it.each(['Failed', 'Inconclusive', 'Error'] as const)(
    'keeps the pods until the delay after a %s run, never sooner, and never aborts the release',
    (phase) => {
      const sim = withCanary(spec());
      promoted(sim);
      const at = Date.parse(sim.rollout.status!.scaleDown![0]!.scaleDownAt!);
      drainRun(sim, phase);
      sim.converge();
      sim.now = new Date(at - 1);
      sim.converge();
      expect(sim.replicasOf('rev-a')).toBe(4);
      expect(sim.rollout.status?.abort).toBeUndefined();
      expect(sim.rollout.status?.phase).toBe('Healthy');
      expect(sim.events.filter((e) => e.reason === 'DrainNotConfirmed')).toHaveLength(1);
      sim.now = new Date(at);
      sim.converge();
      expect(sim.replicasOf('rev-a')).toBe(0);
    },
  );

  it('ends a run still measuring when the delay scales the revision down, as Inconclusive', () => {
    const sim = withCanary(spec());
    promoted(sim);
    drainRun(sim, 'Running');
    sim.converge();
    sim.advance(600_000);
    sim.reconcile(); // the engine still carried the run on in this one
    sim.analysisRuns = undefined; // and measures nothing once the revision no longer drains
    sim.converge();
    expect(sim.replicasOf('rev-a')).toBe(0);
    const run = sim.rollout.status?.analysis?.runs.find((r) => r.name === scaleDownRunName);
    expect(run).toMatchObject({ phase: 'Inconclusive', finishedAt: sim.now.toISOString() });
    expect(run?.message).toBe('no verdict before scaleDownDelaySeconds ended the drain (old-traffic Running)');
    expect(sim.rollout.status?.phase).toBe('Healthy');
  });

  it('holds a revision users may still reach, whatever a run says', () => {
    const sim = withCanary(spec());
    sim.converge();
    sim.servicesTakeWrites = false; // the stable Service still selects rev-a
    sim.request('promote');
    sim.converge();
    drainRun(sim, 'Successful');
    sim.converge();
    expect(sim.replicasOf('rev-a')).toBe(4);
    expect(sim.rollout.status?.scaleDown).toEqual([{ revision: 'rev-a' }]);
  });

  it('reads only the run of the draining revision', () => {
    const sim = withCanary(spec());
    promoted(sim);
    drainRun(sim, 'Successful', 'rev-z');
    sim.converge();
    expect(sim.replicasOf('rev-a')).toBe(4);
  });

  it('ignores a recorded run once the spec no longer asks for the analysis', () => {
    const sim = withCanary(spec());
    promoted(sim);
    sim.rollout.spec = spec({});
    drainRun(sim, 'Successful');
    sim.converge();
    expect(sim.replicasOf('rev-a')).toBe(4);
  });
});
