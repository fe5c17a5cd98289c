/**
 * spec.rollbackWindow: a new template equal to one of the last N stable revisions is a rollback within the window.
 * Its steps are skipped (it goes to full size and all traffic), but it is not trusted blindly: background analysis
 * runs from the start, and the rollback becomes stable only once every gating metric has had a successful
 * measurement (or the run has completed); a failure aborts it like any canary. Only revisions that were stable
 * count (status.previousStableRevisions), never a canary that was aborted: that one was never known good.
 */
import { maxRollbackWindow } from '../api/rollback.schema.ts';
import type { PlanBuilder } from './builder.ts';
import { setTraffic } from './replicas.ts';

/** Whether `revision`, about to become the canary, is a rollback within spec.rollbackWindow. */
export function withinRollbackWindow(b: PlanBuilder, revision: string): boolean {
  const { spec } = b.world.rollout;
  const window = spec.rollbackWindow?.revisions;
  if (window === undefined || spec.strategy.blueGreen !== undefined || b.world.deployment === undefined) return false;
  return (b.status.previousStableRevisions ?? []).slice(-window).includes(revision);
}

/** Why the rollback's steps are skipped, for its Event. */
export function describeRollback(b: PlanBuilder, revision: string): string {
  const window = b.world.rollout.spec.rollbackWindow?.revisions ?? 0;
  const armed = b.world.rollout.spec.strategy.canary?.analysis !== undefined;
  return `revision ${revision} was stable before and is within spec.rollbackWindow (the last ${window} stable revisions): rollback within window: steps skipped; ${armed ? 'background analysis runs now, and it becomes stable once that has passed' : 'it becomes stable once its pods are ready'}`;
}

/** Remembers the stable revision this plan replaced (a promotion), for the window of later rollbacks. */
export function recordPreviousStable(b: PlanBuilder): void {
  const before = b.previous.stableRevision;
  const now = b.status.stableRevision;
  if (b.world.deployment === undefined || before === undefined || now === undefined || before === now) return;
  const kept = (b.status.previousStableRevisions ?? []).filter((r) => r !== before && r !== now);
  b.status.previousStableRevisions = [...kept, before].slice(-maxRollbackWindow);
}

/**
 * A rollback within the window, at full size and ready: all traffic goes to it, and it holds there until the
 * background analysis has passed. True while it holds; false when it may be promoted now.
 */
export function holdsRollback(b: PlanBuilder, stable: string, canary: string): boolean {
  if (b.status.rollbackWithinWindow !== true) return false;
  const waiting = analysisWait(b, canary);
  if (waiting === undefined) return false;
  setTraffic(b, 100, { stable, canary });
  // An inconclusive analysis has said why it holds already (planCanary).
  if (!b.paused) b.status.message = `rollback within window: steps skipped; all traffic on ${canary}, ${waiting}`;
  return true;
}

/** What the promotion still waits for; undefined once the background analysis has passed (or there is none). */
function analysisWait(b: PlanBuilder, canary: string): string | undefined {
  if (b.world.rollout.spec.strategy.canary?.analysis === undefined) return undefined;
  const verdict = b.world.backgroundVerdict;
  if (verdict?.kind === 'done') return undefined;
  const run = b.status.analysis?.runs.find((r) => r.name === 'background' && r.revision === canary);
  const metrics = run?.metrics ?? [];
  const gating = metrics.filter((m) => m.dryRun !== true);
  if (metrics.length > 0 && gating.length === 0) {
    // Dry-run metrics never gate, here as anywhere; but no data is never a pass: with nothing that gates, the
    // rollback waits for one measurement, so that it was at least looked at before it becomes stable.
    if (verdict?.kind === 'running' && metrics.some((m) => m.count > 0)) return undefined;
    return `stable once its dry-run background analysis has taken a measurement (no metric gates it; ${verdict?.message ?? 'not started yet'})`;
  }
  const passed = verdict?.kind === 'running' && gating.length > 0 && gating.every((m) => m.successful > 0);
  if (passed) return undefined;
  return `stable once background analysis has passed (${verdict?.message ?? 'not started yet'})`;
}
