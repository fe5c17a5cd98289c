/**
 * A SimCluster that also keeps pods, for restart stories: each ReplicaSet has as many pods as it asks for (made
 * when the pods settle, ready then), an evicted pod goes through deletion as on a cluster (it lingers with a
 * deletionTimestamp until the next settle, its replacement is made not ready), and a PodDisruptionBudget
 * (minAvailable over the Rollout's ready pods) refuses an eviction as the Eviction API would.
 */
import type { RolloutSpec } from '../api/types.ts';
import { SimCluster, baseSpec } from './fixtures.test-support.ts';
import type { EvictionAnswer, ObservedWorld, Plan } from './world.ts';

export class RestartSim extends SimCluster {
  /** minAvailable of a budget over every ready pod of the Rollout; undefined: none. */
  minAvailable: number | undefined;
  /** Evictions asked for, in order, with what the "API server" said. */
  evictions: { pod: string; code: 201 | 429 }[] = [];
  /** The fewest ready stable pods seen after any reconcile. */
  fewestReady = Infinity;
  #serial = 0;

  constructor(spec: RolloutSpec = baseSpec()) {
    super(spec);
  }

  /** What the Eviction API answered last, as the reconciler keeps it for the next plan. */
  lastEviction: EvictionAnswer | undefined;

  override world(): ObservedWorld {
    const world = super.world();
    if (this.lastEviction !== undefined) world.lastEviction = { ...this.lastEviction };
    return world;
  }

  override reconcile(): Plan {
    const plan = super.reconcile();
    for (const wanted of plan.evictions) {
      const pod = this.pods.find((p) => p.name === wanted.name && p.uid === wanted.uid);
      if (pod === undefined || pod.deleting) continue;
      const ready = this.pods.filter((p) => p.ready && !p.deleting).length;
      if (this.minAvailable !== undefined && pod.ready && ready - 1 < this.minAvailable) {
        this.evictions.push({ pod: pod.name, code: 429 });
        this.lastEviction = {
          pod: pod.name,
          uid: pod.uid,
          code: 429,
          message: `Cannot evict pod as it would violate the pod's disruption budget. The disruption budget checkout needs ${this.minAvailable} healthy pods and has ${ready} currently`,
        };
        continue;
      }
      this.evictions.push({ pod: pod.name, code: 201 });
      this.lastEviction = { pod: pod.name, uid: pod.uid, code: 201, message: 'evicted' };
      pod.deleting = true;
      pod.ready = false;
    }
    this.#count();
    return plan;
  }

  /** kube-controller-manager and kwok catch up: terminating pods go, missing ones are made, new ones turn ready. */
  override settlePods(): void {
    super.settlePods();
    this.pods = this.pods.filter((p) => !p.deleting);
    for (const p of this.pods) if (this.podsBecomeReady) p.ready = true;
    for (const rs of this.replicaSets.values()) {
      const mine = this.pods.filter((p) => p.revision === rs.revision);
      for (const extra of mine.slice(rs.replicas)) this.pods.splice(this.pods.indexOf(extra), 1);
      for (let i = mine.length; i < rs.replicas; i++) {
        const name = `checkout-${rs.revision}-${++this.#serial}`;
        this.pods.push({
          name,
          uid: `uid-${name}`,
          revision: rs.revision,
          createdAt: this.now.toISOString(),
          ready: false,
          deleting: false,
        });
      }
    }
    for (const rs of this.replicaSets.values())
      rs.readyReplicas = rs.availableReplicas = this.pods.filter((p) => p.revision === rs.revision && p.ready).length;
    this.#count();
  }

  /** Lets the pods settle, then makes the new ones ready (two rounds, as a replacement comes up). */
  settleAll(): void {
    this.settlePods();
    this.settlePods();
  }

  stablePods(): string[] {
    const stable = this.rollout.status?.stableRevision;
    return this.pods.filter((p) => p.revision === stable && !p.deleting).map((p) => p.name);
  }

  #count(): void {
    const stable = this.rollout.status?.stableRevision;
    if (stable === undefined) return;
    const ready = this.pods.filter((p) => p.revision === stable && p.ready && !p.deleting).length;
    this.fewestReady = Math.min(this.fewestReady, ready);
  }
}

/** A healthy Rollout on rev-a with four ready pods, created at the sim's start. */
export function steadyRestartSim(spec = baseSpec()): RestartSim {
  const sim = new RestartSim(spec);
  sim.converge();
  sim.settleAll();
  sim.converge();
  sim.fewestReady = Infinity;
  return sim;
}

/** Reconciles, letting time pass and pods settle, until the restart is recorded or `limit` rounds went by. */
export function runRestart(sim: RestartSim, limit = 40): number {
  for (let round = 0; round < limit; round++) {
    if (sim.rollout.status?.restartedAt === sim.rollout.spec.restartAt) return round;
    sim.reconcile();
    sim.advance(1_000);
    sim.settlePods();
  }
  return limit;
}
