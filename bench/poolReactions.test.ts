import { describe, expect, it } from 'vitest';
import { poolReactions, poolTable, type ReactionRun } from './poolReactions.ts';

function run(commit: string, nodeOptions: string[], promoteP50: number, promoteP99: number): ReactionRun {
  return {
    controllerSource: { commit },
    controllerFlags: { nodeOptions },
    reaction: { promotes: { promoteToNextWeightMs: { n: 40, p50: promoteP50, p99: promoteP99 } } },
  };
}

describe('poolReactions', () => {
  const runs = [
    run('5bed4eec7de7', [], 36, 50),
    run('34da708eaf08', ['--expose-gc'], 41, 70),
    run('5bed4eec7de7', [], 40, 70),
    run('34da708eaf08', ['--expose-gc'], 45, 90),
    run('34da708eaf08', ['--optimize-for-size'], 39, 60),
  ];

  it('groups runs by controller commit and node options, in the order each group first appears', () => {
    expect(poolReactions(runs).map((g) => g.label)).toEqual([
      '5bed4ee, node (no options)',
      '34da708, node --expose-gc',
      '34da708, node --optimize-for-size',
    ]);
  });

  it("gives each figure's mean and sample standard deviation of the runs' p50s and the mean of their p99s", () => {
    const [old, flags, single] = poolReactions(runs);
    expect(old!.figures['promotes.promoteToNextWeightMs']).toEqual({
      runs: 2,
      p50Mean: 38,
      p50Sd: Math.sqrt(8),
      p99Mean: 60,
    });
    expect(flags!.figures['promotes.promoteToNextWeightMs']?.p50Mean).toBe(43);
    // One run says nothing about the spread.
    expect(single!.figures['promotes.promoteToNextWeightMs']?.p50Sd).toBe(0);
    // A figure the runs did not measure is left out, not pooled as zero.
    expect(old!.figures['aborts.failedMeasurementToWeight0Ms']).toBeUndefined();
  });

  it('prints a table with one column per group and a dash where a group has no figure', () => {
    const table = poolTable(poolReactions(runs));
    expect(table.split('\n')[0]).toBe(
      '| p50 mean ± sd (p99 mean), ms | 5bed4ee, node (no options) | 34da708, node --expose-gc | 34da708, node --optimize-for-size |',
    );
    expect(table).toContain('| promotes.promoteToNextWeightMs | 38.0 ± 2.8 (60), 2 runs | 43.0 ± 2.8 (80), 2 runs |');
    expect(table).toContain('| aborts.failedMeasurementToWeight0Ms | - | - | - |');
  });
});
