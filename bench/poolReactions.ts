/**
 * Pools reaction runs of the benchmark, so that two controllers (or two sets of node options) are compared on many
 * runs instead of one: a single run's p50 moves by 5-10 ms from one run to the next on the 2-core machine, as much
 * as the differences being looked for. Run the two sides interleaved (A, B, A, B, ...) so that the machine's drift
 * over the session falls on both, then:
 *
 *   node bench/poolReactions.ts bench/results/2026-12-01-reaction-interleaved/*.json
 *
 * Runs are grouped by the controller's commit and node options (as the result files record them). For each
 * reaction figure: the number of runs, the mean and standard deviation of their p50s, and the mean of their p99s.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Summary } from './stats.ts';

/** The reaction figures a run reports, as `section.figure` of its `reaction` object. */
export const pooledFigures = [
  'aborts.failedMeasurementToWeight0Ms',
  'aborts.errorFlipToWeight0Ms',
  'promotes.promoteToNextWeightMs',
  'promotes.annotationWrittenToNextWeightMs',
] as const;

export interface ReactionRun {
  controllerSource?: { commit?: string };
  controllerFlags?: { nodeOptions?: string[] };
  reaction?: Record<string, Record<string, unknown> | undefined>;
}

export interface PooledFigure {
  runs: number;
  p50Mean: number;
  p50Sd: number;
  p99Mean: number;
}

export interface PooledGroup {
  label: string;
  figures: Partial<Record<(typeof pooledFigures)[number], PooledFigure>>;
}

/** The runs grouped by controller commit and node options, in the order each group first appears. */
export function poolReactions(runs: readonly ReactionRun[]): PooledGroup[] {
  const groups = new Map<string, ReactionRun[]>();
  for (const run of runs) {
    const commit = run.controllerSource?.commit?.slice(0, 7) ?? 'unknown commit';
    const options = run.controllerFlags?.nodeOptions ?? [];
    const label = `${commit}, node ${options.length === 0 ? '(no options)' : options.join(' ')}`;
    groups.set(label, [...(groups.get(label) ?? []), run]);
  }
  return [...groups].map(([label, members]) => {
    const figures: PooledGroup['figures'] = {};
    for (const figure of pooledFigures) {
      const [section, name] = figure.split('.') as [string, string];
      const summaries = members
        .map((m) => m.reaction?.[section]?.[name] as Summary | undefined)
        .filter((s): s is Summary & { p50: number; p99: number } => s?.p50 !== undefined && s.p99 !== undefined);
      if (summaries.length === 0) continue;
      const p50s = summaries.map((s) => s.p50);
      figures[figure] = {
        runs: summaries.length,
        p50Mean: mean(p50s),
        p50Sd: sampleSd(p50s),
        p99Mean: mean(summaries.map((s) => s.p99)),
      };
    }
    return { label, figures };
  });
}

/** A markdown table: one row per figure, one column per group. */
export function poolTable(groups: readonly PooledGroup[]): string {
  const header = `| p50 mean ± sd (p99 mean), ms | ${groups.map((g) => g.label).join(' | ')} |`;
  const rule = `| --- | ${groups.map(() => '---:').join(' | ')} |`;
  const rows = pooledFigures.map((figure) => {
    const cells = groups.map((g) => {
      const f = g.figures[figure];
      return f === undefined
        ? '-'
        : `${f.p50Mean.toFixed(1)} ± ${f.p50Sd.toFixed(1)} (${f.p99Mean.toFixed(0)}), ${f.runs} runs`;
    });
    return `| ${figure} | ${cells.join(' | ')} |`;
  });
  return [header, rule, ...rows].join('\n');
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** The sample standard deviation (n - 1); 0 for a single run, which says nothing about the spread. */
function sampleSd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node bench/poolReactions.ts RESULT.json...');
    process.exit(2);
  }
  const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as ReactionRun);
  console.log(poolTable(poolReactions(runs)));
}
