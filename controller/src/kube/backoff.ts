/**
 * Exponential backoff for reconnect loops (informer restarts, API retries). Each failure doubles the delay up to a
 * ceiling; jitter takes up to `jitter` of it away at random so that replicas and informers that failed together
 * (an API server restart) do not all come back in the same millisecond.
 */

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Growth per failure; 2 when omitted. */
  factor?: number;
  /** Fraction of each delay that may be removed at random, 0..1; 0.2 when omitted. */
  jitter?: number;
}

export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #failures = 0;

  constructor(opts: BackoffOptions, random: () => number = Math.random) {
    if (!(opts.initialMs > 0 && opts.maxMs >= opts.initialMs))
      throw new Error(`backoff needs 0 < initialMs <= maxMs, got ${opts.initialMs} and ${opts.maxMs}`);
    this.#initialMs = opts.initialMs;
    this.#maxMs = opts.maxMs;
    this.#factor = opts.factor ?? 2;
    this.#jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.2));
    this.#random = random;
  }

  /** How long to wait before the next attempt; counts one more failure. */
  next(): number {
    const base = Math.min(this.#maxMs, this.#initialMs * this.#factor ** this.#failures);
    this.#failures++;
    return Math.round(base * (1 - this.#jitter * this.#random()));
  }

  /** Forget past failures, after something worked. */
  reset(): void {
    this.#failures = 0;
  }

  get failures(): number {
    return this.#failures;
  }
}
