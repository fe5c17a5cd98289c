/**
 * The outcomes of releases, read from one status write: the status the write replaced and the status it wrote.
 * The executor calls this only once a status write has succeeded. That write is a PUT fenced by the
 * resourceVersion of the status it replaced, so a success means the API server held exactly `before` and now holds
 * `after`: a transition seen here happened in this write and in no other. A write lost to a conflict counts
 * nothing (its retry plans from the newer status and counts then, if the transition is still to happen); a later
 * reconcile plans from a status that already shows the transition, so it sees none; a replica that is not the
 * leader never writes (the fence), so it never counts. A write whose answer is lost on the network landed but
 * counts nothing: outcomes are under-counted then, never counted twice.
 */
import type { AnalysisRunStatus, RolloutStatus } from '../api/types.ts';

/** How a release ended, as the `outcome` label of sluice_rollout_outcomes_total spells it. */
export type ReleaseOutcome = 'promoted' | 'aborted_analysis' | 'aborted_user' | 'deadline';
export const releaseOutcomes: readonly ReleaseOutcome[] = ['promoted', 'aborted_analysis', 'aborted_user', 'deadline'];

/** The verdict of a finished analysis run, as the `result` label of sluice_analysis_runs_total spells it. */
export type AnalysisRunResult = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';
export const analysisRunResults: readonly AnalysisRunResult[] = ['Successful', 'Failed', 'Inconclusive', 'Error'];
const finished: readonly string[] = analysisRunResults;

export interface StatusTransition {
  /** How the release ended in this write, if it did. */
  outcome?: ReleaseOutcome;
  /** Seconds from status.releaseStartedAt to `at`; absent when status does not say when the release started. */
  durationSeconds?: number;
  /** The verdict of every analysis run that finished in this write. */
  analysisRuns: AnalysisRunResult[];
}

const abortOutcome = {
  Analysis: 'aborted_analysis',
  User: 'aborted_user',
  ProgressDeadline: 'deadline',
} as const satisfies Record<NonNullable<RolloutStatus['abortCause']>, ReleaseOutcome>;

const deadlineReason = 'ProgressDeadlineExceeded';

/**
 * The executor's onStatusWritten hook: tells `report` what each status write ended, when it ended anything. The
 * clock is read once the write has succeeded, so a release is timed to the write that records its outcome.
 */
export function reportTransitions(
  report: (transition: StatusTransition) => void,
  clock: () => Date,
): (before: RolloutStatus | undefined, after: RolloutStatus) => void {
  return (before, after) => {
    const transition = transitionOf(before, after, clock());
    if (transition.outcome !== undefined || transition.analysisRuns.length > 0) report(transition);
  };
}

/** What ended in the write of `after` over `before`, at time `at` (the write's). */
export function transitionOf(before: RolloutStatus | undefined, after: RolloutStatus, at: Date): StatusTransition {
  const transition: StatusTransition = { analysisRuns: finishedRuns(before, after) };
  const outcome = releaseOutcome(before ?? {}, after);
  if (outcome === undefined) return transition;
  transition.outcome = outcome;
  // Both statuses name the same release here (an outcome is never a new canary), so either's start will do;
  // `before`'s is the one that was read back.
  const started = Date.parse(before?.releaseStartedAt ?? after.releaseStartedAt ?? '');
  // A start after the outcome (a clock that ran ahead, a status edited by hand) is as unknown as a missing one.
  if (Number.isFinite(started) && started <= at.getTime()) transition.durationSeconds = (at.getTime() - started) / 1000;
  return transition;
}

function releaseOutcome(before: RolloutStatus, after: RolloutStatus): ReleaseOutcome | undefined {
  const canary = before.canaryRevision;
  const inFlight = canary !== undefined && canary !== before.stableRevision;
  if (!inFlight) return undefined;
  // A release ends once: one that passed its deadline was counted then, whatever happens to it afterwards.
  if (before.progressDeadlineExceededAt !== undefined) return undefined;
  if (after.canaryRevision !== canary) {
    // The pod template put back to stable (a git revert, a rollout undo) rolls the release back: a user's abort,
    // unless it was aborted already (and counted then). A newer revision supersedes the release: nothing ended.
    const reverted = after.canaryRevision === before.stableRevision && before.abort !== true;
    return reverted ? 'aborted_user' : undefined;
  }
  if (after.abort === true && before.abort !== true) {
    // Every abort the planner records carries its cause; one without (a status edited by hand) still counts.
    return abortOutcome[after.abortCause ?? 'User'];
  }
  if (after.abort !== true && after.stableRevision === canary) return 'promoted';
  // Without progressDeadlineAbort the deadline only marks the rollout Degraded; the planner records when it first
  // passed for this release, and the release is counted then. (A status written before that field existed says
  // so by its condition alone: that deadline was counted by the controller that recorded it.)
  const reason = before.conditions?.find((c) => c.type === 'Progressing')?.reason;
  if (after.progressDeadlineExceededAt !== undefined && reason !== deadlineReason) return 'deadline';
  return undefined;
}

/** Runs finished in `after` that were not finished (or not there) in `before`, matched by name, revision and start. */
function finishedRuns(before: RolloutStatus | undefined, after: RolloutStatus): AnalysisRunResult[] {
  const same = (a: AnalysisRunStatus, b: AnalysisRunStatus) =>
    a.name === b.name && a.revision === b.revision && a.startedAt === b.startedAt;
  const earlier = before?.analysis?.runs ?? [];
  const results: AnalysisRunResult[] = [];
  for (const run of after.analysis?.runs ?? []) {
    if (!finished.includes(run.phase)) continue;
    const was = earlier.find((r) => same(r, run));
    if (was !== undefined && finished.includes(was.phase)) continue;
    results.push(run.phase as AnalysisRunResult);
  }
  return results;
}
