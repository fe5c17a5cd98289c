/**
 * Pods are never taken from under users. A revision they may still reach (the stable or blue-green active Service,
 * or the router at 100% on the preview, reads back on it) keeps its pods, with no deadline; once they no longer
 * reach it, and after a promotion replaced it, it keeps them for scaleDownDelaySeconds, so that proxies,
 * kube-proxy rules and clients that still hold its endpoints drain, and a rollback to it finds them warm. Each
 * revision's state is recorded in status.scaleDown (a deadline is the end time, not a countdown: status stays the
 * same from one reconcile to the next), so a restarted controller keeps it; the pods keep the size they have (never
 * scaled up for it) and go once the deadline passes.
 *
 * With spec.strategy.canary.scaleDownWhen, an analysis of the draining revision starts once its deadline is set
 * (users no longer reach it, as read back); its success (drained) scales it down at once. Any other verdict changes
 * nothing: the pods stay until the deadline, never less, and the promoted release is never aborted for it.
 */
import { maxWarmRevisions } from '../api/rolloutStatus.schema.ts';
import type { RolloutStatus } from '../api/types.ts';
import { scaleDownRunName } from '../api/steps.ts';
import type { PlanBuilder } from './builder.ts';

type Warm = NonNullable<RolloutStatus['scaleDown']>[number];

/**
 * Blue-green drains, and a canary behind a traffic router. Not a canary split by replica ratio: there the users'
 * own Service selects every pod, so the previous stable's pods would go on serving their share rather than drain
 * (a pod that stops leaves the endpoints by itself). A flag-only Rollout has no pods.
 */
const hasPods = (b: PlanBuilder) => {
  const { spec } = b.world.rollout;
  return spec.workloadRef !== undefined && (spec.strategy.blueGreen !== undefined || spec.trafficRouting !== undefined);
};
const delayMs = (b: PlanBuilder) => {
  const { canary, blueGreen } = b.world.rollout.spec.strategy;
  return ((blueGreen ?? canary)?.scaleDownDelaySeconds ?? 30) * 1000;
};
const deadline = (b: PlanBuilder) => new Date(b.world.now.getTime() + delayMs(b)).toISOString();

/** The revision users reach now, as read back: the preview's when the router sends it everything, else active's. */
export function usersOn(b: PlanBuilder): string | undefined {
  const { traffic, services } = b.world;
  // A router that selects pods itself (Istio subsets) says which revision its backends reach; else the Services do.
  const backends = traffic?.kind === 'weights' && traffic.revisions !== undefined ? traffic.revisions : services;
  if (traffic?.kind === 'weights' && traffic.canary === 100) return backends?.canary;
  return backends?.stable;
}

function upsert(list: Warm[], entry: Warm): Warm[] {
  const rest = list.filter((w) => w.revision !== entry.revision);
  return [...rest, entry].slice(-maxWarmRevisions);
}

/** Records that `revision`, just replaced by a promotion, keeps its pods for the strategy's scale-down delay. */
export function keepWarm(b: PlanBuilder, revision: string): void {
  if (!hasPods(b) || revision === b.status.stableRevision) return;
  const current = b.status.scaleDown?.find((w) => w.revision === revision);
  if (current !== undefined && current.scaleDownAt === undefined) return; // still held: the delay starts later
  const at = deadline(b);
  const later = current?.scaleDownAt !== undefined && current.scaleDownAt > at ? current.scaleDownAt : at;
  b.status.scaleDown = upsert(b.status.scaleDown ?? [], { revision, scaleDownAt: later });
}

const observed = (b: PlanBuilder, revision: string) =>
  b.world.replicaSets.find((rs) => rs.revision === revision)?.replicas ?? 0;
const planned = (b: PlanBuilder, revision: string) => b.replicaSets.find((d) => d.revision === revision)?.replicas ?? 0;

/** Keeps `revision` at least at its current size in this plan. */
function hold(b: PlanBuilder, revision: string): void {
  const now = observed(b, revision);
  const entry = b.replicaSets.find((d) => d.revision === revision);
  if (entry === undefined) b.replicaSets.push({ revision, replicas: now });
  else entry.replicas = Math.max(entry.replicas, now);
}

/**
 * The scale-down analysis of `revision`, as status records it after this reconcile's measurements; also after
 * scaleDownWhen left the spec, so that the run it left in status can be ended.
 */
function drainRun(b: PlanBuilder, revision: string, status = b.status) {
  return status.analysis?.runs.find((r) => r.name === scaleDownRunName && r.revision === revision);
}

const measuresDrains = (b: PlanBuilder) => b.world.rollout.spec.strategy.canary?.scaleDownWhen !== undefined;

/** True once the scale-down analysis says the revision has drained; says so, and why the others wait, once. */
function drained(b: PlanBuilder, revision: string): boolean {
  if (!measuresDrains(b)) return false;
  const run = drainRun(b, revision);
  if (run === undefined) return false;
  const before = drainRun(b, revision, b.previous)?.phase;
  if (run.phase === 'Successful') {
    b.event('Normal', 'Drained', `revision ${revision} has drained (${run.message ?? 'analysis passed'}): scaled down`);
    return true;
  }
  if (before !== run.phase && (run.phase === 'Failed' || run.phase === 'Inconclusive' || run.phase === 'Error')) {
    b.event(
      'Warning',
      'DrainNotConfirmed',
      `the scale-down analysis of revision ${revision} ended ${run.phase} (${run.message ?? ''}): its pods stay until scaleDownDelaySeconds`,
    );
  }
  return false;
}

/**
 * A drain ended (its delay passed, its pods went another way, or it is no longer a drain) while its analysis had no
 * verdict: the engine measures it no more, so status says why rather than showing it Running for ever. No verdict
 * is what Inconclusive means; it scales nothing down.
 */
function endDrainRun(b: PlanBuilder, revision: string, why: string): void {
  const run = drainRun(b, revision);
  if (run === undefined || (run.phase !== 'Pending' && run.phase !== 'Running')) return;
  const message = `${why} (${run.message ?? 'no measurement'})`;
  const ended = { ...run, phase: 'Inconclusive' as const, finishedAt: b.now, message: message.slice(0, 1024) };
  b.status.analysis = { runs: b.status.analysis!.runs.map((r) => (r === run ? ended : r)) };
}

/** Why a recorded drain is over before its delay, or no longer measured; undefined while it goes on. */
function drainOver(b: PlanBuilder, revision: string): string | undefined {
  const { stableRevision, canaryRevision } = b.status;
  if (revision === stableRevision) return `revision ${revision} is stable again: it does not drain`;
  if (observed(b, revision) === 0) return `revision ${revision} has no pod left (scaled to 0 outside the drain)`;
  if (revision === canaryRevision) return `revision ${revision} is the canary again: its traffic is not a drain`;
  if (!measuresDrains(b)) return 'scaleDownWhen was removed from the spec: the drain follows scaleDownDelaySeconds';
  return undefined;
}

export function planScaleDown(b: PlanBuilder): void {
  if (!hasPods(b)) {
    delete b.status.scaleDown;
    return;
  }
  let warm = b.status.scaleDown ?? [];
  const reached = usersOn(b);
  // Users still reach a revision this plan shrinks (the move away from it has not read back, or is this very plan's):
  // held, with no deadline yet.
  if (reached !== undefined && reached !== b.status.stableRevision && planned(b, reached) < observed(b, reached))
    warm = upsert(warm, { revision: reached });
  const now = b.world.now.getTime();
  warm = warm.flatMap((w): Warm[] => {
    const over = drainOver(b, w.revision);
    if (over !== undefined) endDrainRun(b, w.revision, over);
    // Stable is at full size anyway; a revision with no pod has nothing to drain.
    if (w.revision === b.status.stableRevision || observed(b, w.revision) === 0) return [];
    if (w.scaleDownAt === undefined && w.revision === reached) return [w];
    const at = w.scaleDownAt ?? deadline(b); // users no longer reach it: the delay starts now
    // Its drain analysis started with the deadline, so a run exists only for a revision users no longer reach; the
    // canary again is no drain, whatever a verdict measured before says.
    if (w.scaleDownAt !== undefined && over === undefined && drained(b, w.revision)) return [];
    if (Date.parse(at) - now > 0) return [{ ...w, scaleDownAt: at }];
    endDrainRun(b, w.revision, 'no verdict before scaleDownDelaySeconds ended the drain'); // a time passed (or unreadable)
    return [];
  });
  for (const w of warm) {
    // Also when it is the canary again (the template set back to it): its warm pods are what makes that fast.
    hold(b, w.revision);
    if (w.scaleDownAt !== undefined) b.requeueAfter(Date.parse(w.scaleDownAt) - now);
  }
  if (warm.length > 0) b.status.scaleDown = warm;
  else delete b.status.scaleDown;
}
