/**
 * Pods are never taken from under the Service users reach. Blue-green keeps a revision's pods while its active
 * Service (read back) still selects it, and for scaleDownDelaySeconds after it stopped doing so or after the
 * revision was replaced by a promotion, so that proxies, kube-proxy rules and clients that still hold its endpoints
 * drain instead of meeting pods that are gone. The deadline is recorded in status.scaleDown (revision and time), so
 * a restarted controller keeps it; the pods keep the size they have (never scaled up for it) and go once it passes.
 */
import type { PlanBuilder } from './builder.ts';

const delayMs = (b: PlanBuilder) => (b.world.rollout.spec.strategy.blueGreen?.scaleDownDelaySeconds ?? 30) * 1000;

/** Records that `revision`, just replaced by a promotion, keeps its pods for the strategy's scale-down delay. */
export function keepWarm(b: PlanBuilder, revision: string): void {
  if (b.world.rollout.spec.strategy.blueGreen === undefined || revision === b.status.stableRevision) return;
  b.status.scaleDown = { revision, scaleDownAt: new Date(b.world.now.getTime() + delayMs(b)).toISOString() };
}

const observed = (b: PlanBuilder, revision: string) =>
  b.world.replicaSets.find((rs) => rs.revision === revision)?.replicas ?? 0;

/** Keeps `revision` at least at its current size in this plan. */
function hold(b: PlanBuilder, revision: string): void {
  const now = observed(b, revision);
  const planned = b.replicaSets.find((d) => d.revision === revision);
  if (planned === undefined) b.replicaSets.push({ revision, replicas: now });
  else planned.replicas = Math.max(planned.replicas, now);
}

export function planScaleDown(b: PlanBuilder): void {
  if (b.world.rollout.spec.strategy.blueGreen === undefined || b.world.deployment === undefined) {
    delete b.status.scaleDown;
    return;
  }
  // The active Service still selects a revision the plan shrinks (its write has not landed, or is this very plan's):
  // keep its pods, and start the delay from now again, so that it counts from the moment active lets go of them.
  const active = b.world.services?.stable;
  if (active !== undefined && active !== b.status.stableRevision) {
    const planned = b.replicaSets.find((d) => d.revision === active)?.replicas ?? 0;
    if (planned < observed(b, active)) keepWarm(b, active);
  }
  const pending = b.status.scaleDown;
  if (pending === undefined) return;
  const left = Date.parse(pending.scaleDownAt) - b.world.now.getTime();
  // Stable is at full size anyway; a revision with no pod has nothing to drain; a time passed (or unreadable) ends it.
  if (pending.revision === b.status.stableRevision || observed(b, pending.revision) === 0 || !(left > 0)) {
    delete b.status.scaleDown;
    return;
  }
  // Also when it is the canary again (the template set back to it): its warm pods are what makes that fast.
  hold(b, pending.revision);
  b.requeueAfter(left);
}
