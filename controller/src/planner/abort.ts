/**
 * Abort and retry. An abort moves all traffic back to stable in the reconcile that decides it and starts no pod
 * (stable never shrank); the canary's pods stay for abortScaleDownDelaySeconds, then scale to 0.
 */
import type { PlanBuilder } from './builder.ts';
import { desiredReplicas, setTraffic } from './canary.ts';

export function abort(b: PlanBuilder, reason: string): void {
  b.status.abort = true;
  b.status.abortedAt = b.now;
  b.event('Warning', 'Aborted', `${reason}; all traffic is back on stable ${b.status.stableRevision}`);
  b.degraded = { reason: 'RolloutAborted', message: reason };
  planAborted(b);
}

export function planAborted(b: PlanBuilder): void {
  const { status, world } = b;
  const stable = status.stableRevision!;
  const canary = status.canaryRevision!;
  if (b.degraded === undefined) {
    const before = b.conditionOf('Progressing');
    b.degraded = { reason: 'RolloutAborted', message: before?.reason === 'RolloutAborted' ? before.message : 'aborted' };
  }
  if (world.deployment === undefined) return;

  const delayMs = (world.rollout.spec.strategy.canary.abortScaleDownDelaySeconds ?? 30) * 1000;
  const left = Date.parse(status.abortedAt ?? b.now) + delayMs - world.now.getTime();
  const canaryNow = world.replicaSets.find((rs) => rs.revision === canary)?.replicas ?? 0;
  b.replicaSets = [{ revision: stable, replicas: desiredReplicas(b) }];
  if (left > 0 && canaryNow > 0) {
    b.replicaSets.push({ revision: canary, replicas: canaryNow });
    b.requeueAfter(left);
  }
  setTraffic(b, 0, { stable, canary });
}

export function retry(b: PlanBuilder): void {
  b.status.abort = false;
  delete b.status.abortedAt;
  delete b.status.analysis;
  b.enterStep(0);
  b.event('Normal', 'Retried', `canary ${b.status.canaryRevision} starts again from the first step`);
}
