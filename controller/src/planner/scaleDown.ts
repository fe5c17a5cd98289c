/**
 * The previous revision after a promotion: blue-green keeps it running for scaleDownDelaySeconds, so that
 * proxies, kube-proxy rules and clients that still hold its endpoints drain instead of meeting pods that are gone.
 * The decision is recorded in status.scaleDown (revision and time), so a restarted controller keeps the same
 * deadline; the pods keep the size they have (never scaled up for it) and go to 0 once it passes.
 */
import type { PlanBuilder } from './builder.ts';

/** Records that `revision`, just replaced by a promotion, keeps its pods for the strategy's scale-down delay. */
export function keepWarm(b: PlanBuilder, revision: string): void {
  const delaySeconds = b.world.rollout.spec.strategy.blueGreen?.scaleDownDelaySeconds;
  if (b.world.rollout.spec.strategy.blueGreen === undefined || revision === b.status.stableRevision) return;
  const at = new Date(b.world.now.getTime() + (delaySeconds ?? 30) * 1000).toISOString();
  b.status.scaleDown = { revision, scaleDownAt: at };
}

/**
 * Keeps the revision status.scaleDown names at its current size until its time, then lets it go (a ReplicaSet the
 * plan does not list scales to 0). A revision that is stable or the canary again (a revert to it) needs no delay.
 */
export function planScaleDown(b: PlanBuilder): void {
  const pending = b.status.scaleDown;
  if (pending === undefined) return;
  const { revision } = pending;
  const left = Date.parse(pending.scaleDownAt) - b.world.now.getTime();
  if (revision === b.status.stableRevision || revision === b.status.canaryRevision || !(left > 0)) {
    delete b.status.scaleDown;
    return;
  }
  const now = b.world.replicaSets.find((rs) => rs.revision === revision)?.replicas ?? 0;
  if (now === 0) {
    delete b.status.scaleDown;
    return;
  }
  const planned = b.replicaSets.find((d) => d.revision === revision);
  if (planned === undefined) b.replicaSets.push({ revision, replicas: now });
  else planned.replicas = Math.max(planned.replicas, now);
  b.requeueAfter(left);
}
