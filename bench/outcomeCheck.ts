/**
 * The outcome metrics against what the reaction benchmark did: after each of its scenarios, the controller's
 * sluice_rollout_outcomes_total (read from its /metrics) must have grown by exactly the aborts and promotions the
 * scenario ran, no more (an outcome counted twice, by a replayed write or a later reconcile) and no less.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { releaseOutcomes, type ReleaseOutcome } from '../controller/src/reconcile/outcomes.ts';
import type { Snapshot } from './controller.ts';
import { sumOf } from './stats.ts';

export type OutcomeCounts = Record<ReleaseOutcome, number>;

export interface OutcomeCheck {
  scenario: string;
  /** What the scenario did: the aborts and promotions it ran, by outcome. */
  ran: OutcomeCounts;
  /** How much each counter grew over the scenario. */
  counted: OutcomeCounts;
  /** How much sluice_analysis_runs_total grew, by result. */
  analysisRuns: Record<string, number>;
  matches: boolean;
}

const zero = (): OutcomeCounts => ({ promoted: 0, aborted_analysis: 0, aborted_user: 0, deadline: 0 });

export function outcomeCounts(s: Snapshot, namespace: string): OutcomeCounts {
  const counts = zero();
  for (const outcome of releaseOutcomes)
    counts[outcome] = sumOf(s.samples, 'sluice_rollout_outcomes_total', { namespace, outcome });
  return counts;
}

function analysisRunCounts(s: Snapshot, namespace: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const sample of s.samples) {
    if (sample.name !== 'sluice_analysis_runs_total' || sample.labels.namespace !== namespace) continue;
    const result = sample.labels.result ?? 'unknown';
    counts[result] = (counts[result] ?? 0) + sample.value;
  }
  return counts;
}

/**
 * Compares the counters' growth since `before` with what the scenario ran. The counter grows when the status write
 * that records an outcome succeeds, which can be a moment after the benchmark saw the outcome by watch: it reads
 * again for up to `graceMs` while they differ, then for one more second once they agree, so that a late double
 * count is caught too.
 */
export async function checkOutcomes(
  scrape: () => Promise<Snapshot>,
  namespace: string,
  scenario: string,
  before: Snapshot,
  ran: Partial<OutcomeCounts>,
  graceMs = 10_000,
): Promise<{ check: OutcomeCheck; after: Snapshot }> {
  const expected = { ...zero(), ...ran };
  const was = outcomeCounts(before, namespace);
  const deadline = performance.now() + graceMs;
  let after = await scrape();
  let agreedOnce = false;
  for (;;) {
    const counted = zero();
    const now = outcomeCounts(after, namespace);
    for (const outcome of releaseOutcomes) counted[outcome] = now[outcome] - was[outcome];
    const matches = releaseOutcomes.every((o) => counted[o] === expected[o]);
    if ((matches && agreedOnce) || (!matches && performance.now() > deadline)) {
      const runsBefore = analysisRunCounts(before, namespace);
      const analysisRuns = Object.fromEntries(
        Object.entries(analysisRunCounts(after, namespace)).map(([k, v]) => [k, v - (runsBefore[k] ?? 0)]),
      );
      return { check: { scenario, ran: expected, counted, analysisRuns, matches }, after };
    }
    agreedOnce = matches;
    await sleep(matches ? 1_000 : 250);
    after = await scrape();
  }
}

export function outcomeLines(checks: readonly OutcomeCheck[]): string[] {
  const counts = (c: OutcomeCounts) => releaseOutcomes.map((o) => `${o} ${c[o]}`).join(', ');
  return [
    'Outcome metrics (sluice_rollout_outcomes_total growth) against what the benchmark ran:',
    ...checks.map(
      (c) =>
        `  ${c.matches ? 'ok      ' : 'MISMATCH'} ${c.scenario}: ran ${counts(c.ran)}; counted ${counts(c.counted)}` +
        `; analysis runs ${
          Object.entries(c.analysisRuns)
            .filter(([, n]) => n !== 0)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ') || 'none'
        }`,
    ),
  ];
}

/** The benchmark's exit code for its outcome checks: 2 when any mismatched (1 is a run that failed), else 0. */
export function outcomeExitCode(checks: readonly OutcomeCheck[]): number {
  return checks.every((c) => c.matches) ? 0 : 2;
}
