/** The harness of the outcome tests: the real planner on the simulated cluster, each status write counted as the executor's hook counts it. */
import type { RolloutSpec } from '../api/types.ts';
import { SimCluster, withCanary } from '../planner/fixtures.test-support.ts';
import type { Plan } from '../planner/world.ts';
import { transitionOf, type StatusTransition } from './outcomes.ts';
import { sameJson } from './sameJson.ts';

/** A simulated cluster that records what each of its status writes ended. */
export class CountingSim extends SimCluster {
  transitions: StatusTransition[] = [];

  override reconcile(): Plan {
    const before = structuredClone(this.rollout.status);
    const plan = super.reconcile();
    if (!sameJson(before ?? {}, plan.status)) this.transitions.push(transitionOf(before, plan.status, this.now));
    return plan;
  }

  outcomes(): string[] {
    return this.transitions.flatMap((t) => (t.outcome === undefined ? [] : [t.outcome]));
  }
}

/** Counts from now on, on a cluster a fixture has set up (its earlier writes are not counted). */
export function counting(sim: SimCluster): CountingSim {
  const counted = Object.setPrototypeOf(sim, CountingSim.prototype) as CountingSim;
  counted.transitions = [];
  return counted;
}

export const canary = (spec?: RolloutSpec) => counting(withCanary(spec));
