/**
 * Client-side rate limit for requests to the API server: a token bucket that refills at `qps` tokens per second
 * and holds at most `burst`. A request that finds the bucket empty reserves the next token and waits for it, so
 * waiting requests leave in the order they arrived and a restart storm (every informer relisting at once) reaches
 * the API server smoothed to qps instead of all at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RateLimit {
  /** Sustained requests per second. */
  qps: number;
  /** Requests that may go at once after a quiet spell. */
  burst: number;
}

export class TokenBucket {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;

  /** `now` is a monotonic clock in milliseconds, injectable for tests. */
  constructor(limit: RateLimit, now: () => number = () => performance.now()) {
    if (!(limit.qps > 0 && limit.burst >= 1))
      throw new Error(`a rate limit needs qps > 0 and burst >= 1, got qps ${limit.qps} and burst ${limit.burst}`);
    this.#perMs = limit.qps / 1000;
    this.#burst = limit.burst;
    this.#now = now;
    this.#tokens = limit.burst;
    this.#at = now();
  }

  /** Takes a token, possibly one that is not there yet: returns how many ms the caller must wait before sending. */
  reserve(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : -this.#tokens / this.#perMs;
  }

  /**
   * Resolves when the caller may send. With `signal`, the wait ends as soon as it aborts, rejecting with its reason,
   * and the token goes back: a write dropped from the queue (its replica stopped leading) must not delay the rest.
   */
  async take(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const waitMs = this.reserve();
    if (waitMs <= 0) return;
    try {
      await sleep(waitMs, undefined, signal === undefined ? undefined : { signal });
    } catch (err) {
      if (signal?.aborted !== true) throw err;
      this.#tokens = Math.min(this.#burst, this.#tokens + 1);
      throw signal.reason;
    }
  }
}
