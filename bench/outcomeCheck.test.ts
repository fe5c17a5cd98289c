import { describe, expect, it } from 'vitest';
import type { Snapshot } from './controller.ts';
import { checkOutcomes, outcomeExitCode, outcomeLines } from './outcomeCheck.ts';

/** A scrape of a controller whose counters read `counts` ({outcome: value}) in namespace ns. */
const snapshot = (counts: Record<string, number>, runs: Record<string, number> = {}): Snapshot => ({
  at: performance.now(),
  rssBytes: 0,
  heapUsedBytes: 0,
  cpuSeconds: 0,
  samples: [
    ...Object.entries(counts).map(([outcome, value]) => ({
      name: 'sluice_rollout_outcomes_total',
      labels: { namespace: 'ns', outcome },
      value,
    })),
    ...Object.entries(runs).map(([result, value]) => ({
      name: 'sluice_analysis_runs_total',
      labels: { namespace: 'ns', result },
      value,
    })),
    // Another namespace's outcomes are not the benchmark's.
    { name: 'sluice_rollout_outcomes_total', labels: { namespace: 'other', outcome: 'promoted' }, value: 7 },
  ],
});

/** Scrapes that return each snapshot in turn, then the last one again. */
const scrapes = (...snapshots: Snapshot[]) => {
  let i = 0;
  return () => Promise.resolve(snapshots[Math.min(i++, snapshots.length - 1)]!);
};

describe('checkOutcomes', () => {
  const before = snapshot({ aborted_analysis: 2 }, { Failed: 2 });

  it('matches once the counters have grown by what the scenario ran, also when they catch up a moment late', async () => {
    const { check } = await checkOutcomes(
      scrapes(snapshot({ aborted_analysis: 3 }), snapshot({ aborted_analysis: 5 }, { Failed: 5 })),
      'ns',
      'aborts',
      before,
      { aborted_analysis: 3 },
      5_000,
    );
    expect(check).toMatchObject({
      matches: true,
      counted: { aborted_analysis: 3, promoted: 0 },
      analysisRuns: { Failed: 3 },
    });
    expect(outcomeLines([check])[1]).toMatch(
      /^ {2}ok {7}aborts: ran .*aborted_analysis 3.*; counted .*aborted_analysis 3/,
    );
  });

  it('flags an outcome counted twice, even one that arrives after the counts first agreed', async () => {
    const { check } = await checkOutcomes(
      scrapes(snapshot({ aborted_analysis: 3 }), snapshot({ aborted_analysis: 4 })),
      'ns',
      'aborts',
      before,
      { aborted_analysis: 1 },
      1_500,
    );
    expect(check.matches).toBe(false);
    expect(check.counted.aborted_analysis).toBe(2);
    expect(outcomeLines([check])[1]).toMatch(/^ {2}MISMATCH aborts/);
    // The run fails on it, not only prints it.
    expect(outcomeExitCode([{ ...check, matches: true }, check])).toBe(2);
    expect(outcomeExitCode([{ ...check, matches: true }])).toBe(0);
  });

  it('flags an outcome never counted', async () => {
    const { check } = await checkOutcomes(scrapes(before), 'ns', 'promotes', before, { promoted: 1 }, 300);
    expect(check).toMatchObject({ matches: false, counted: { promoted: 0 } });
  });
});
