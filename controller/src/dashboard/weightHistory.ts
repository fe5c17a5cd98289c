/**
 * Canary weight over time, per rollout, for the dashboard's chart. Fed by the Rollout informer: each change of a
 * cached Rollout records its canary weight when it differs from the last point.
 *
 * Kept in memory only, so the history restarts with the process (a new leader or a restarted pod begins with the
 * weight it first sees). Status is the durable record of where a rollout is; this is a picture of how it got there.
 * Memory stays bounded: at most `maxPoints` points per rollout, and a deleted rollout's points are dropped, so 1,000
 * rollouts at 120 points each hold well under 2 MB.
 */

export interface WeightSeries {
  /** Epoch milliseconds. */
  t: number[];
  /** Canary weight in percent at that time. */
  canary: number[];
}

export interface WeightHistoryOptions {
  maxPoints?: number;
  now?: () => number;
}

export class WeightHistory {
  readonly #series = new Map<string, WeightSeries>();
  readonly #maxPoints: number;
  readonly #now: () => number;

  constructor(options: WeightHistoryOptions = {}) {
    this.#maxPoints = Math.max(2, options.maxPoints ?? 120);
    this.#now = options.now ?? Date.now;
  }

  /** Records the weight when it differs from the last one recorded for `key`. */
  record(key: string, canaryWeight: number): void {
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { t: [], canary: [] };
      this.#series.set(key, series);
    }
    if (series.canary.at(-1) === canaryWeight) return;
    series.t.push(this.#now());
    series.canary.push(canaryWeight);
    if (series.t.length > this.#maxPoints) {
      series.t.shift();
      series.canary.shift();
    }
  }

  forget(key: string): void {
    this.#series.delete(key);
  }

  /** A copy of the points for `key` (empty when none were recorded). */
  get(key: string): WeightSeries {
    const series = this.#series.get(key);
    return series === undefined ? { t: [], canary: [] } : { t: [...series.t], canary: [...series.canary] };
  }

  get size(): number {
    return this.#series.size;
  }
}
