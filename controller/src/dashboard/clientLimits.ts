/**
 * Limits per client address, so that one client cannot spend what every client shares: the API server budget of
 * the dashboard's token checks, and the memory and CPU of its streams. A client is the TCP peer's address (behind
 * `kubectl port-forward` every user is 127.0.0.1 in the pod, so the limits are per pod there, and sized for a team).
 */

export interface RequestRate {
  /** Sustained requests per second per address. */
  perSecond: number;
  /** Requests an address may make at once after a quiet spell. */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per address that refuses rather than queues: a refused caller learns how long to wait (for
 * Retry-After). Past `maxClients` addresses, the one seen longest ago is forgotten, so the map stays bounded (a
 * flood from many addresses then meets the next limits: the token cache and the dashboard's own API rate limit).
 */
export class RequestRateLimiter {
  readonly #rate: RequestRate;
  readonly #maxClients: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(rate: RequestRate, options: { maxClients?: number; now?: () => number } = {}) {
    if (!(rate.perSecond > 0 && rate.burst >= 1))
      throw new Error(`a request rate needs perSecond > 0 and burst >= 1, got ${rate.perSecond} and ${rate.burst}`);
    this.#rate = rate;
    this.#maxClients = options.maxClients ?? 10_000;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Takes a token for `client`: 0 when it may go on, else the milliseconds until it may try again. */
  take(client: string): number {
    const now = this.#now();
    const perMs = this.#rate.perSecond / 1000;
    const bucket = this.#buckets.get(client) ?? { tokens: this.#rate.burst, at: now };
    this.#buckets.delete(client); // set again below: insertion order is recency
    bucket.tokens = Math.min(this.#rate.burst, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.#buckets.set(client, bucket);
      return Math.ceil((1 - bucket.tokens) / perMs - 1e-9); // no float dust rounding a whole ms up
    }
    bucket.tokens -= 1;
    this.#buckets.set(client, bucket);
    this.#forgetBeyondMax();
    return 0;
  }

  get clients(): number {
    return this.#buckets.size;
  }

  #forgetBeyondMax(): void {
    for (const client of this.#buckets.keys()) {
      if (this.#buckets.size <= this.#maxClients) break;
      this.#buckets.delete(client); // seen longest ago: most likely refilled anyway
    }
  }
}

/** Counts open things (streams) in total and per address, and refuses past either cap. */
export class OpenCounter {
  readonly #perClient: number;
  readonly #total: number;
  readonly #byClient = new Map<string, number>();
  #open = 0;

  constructor(caps: { perClient: number; total: number }) {
    this.#perClient = caps.perClient;
    this.#total = caps.total;
  }

  /** Opens one for `client`: 'ok' with the release to call on close (once), or which cap was reached. */
  open(client: string): { kind: 'ok'; release: () => void } | { kind: 'perClient' | 'total' } {
    const mine = this.#byClient.get(client) ?? 0;
    if (mine >= this.#perClient) return { kind: 'perClient' };
    if (this.#open >= this.#total) return { kind: 'total' };
    this.#byClient.set(client, mine + 1);
    this.#open++;
    let released = false;
    return {
      kind: 'ok',
      release: () => {
        if (released) return;
        released = true;
        this.#open--;
        const left = (this.#byClient.get(client) ?? 1) - 1;
        if (left <= 0) this.#byClient.delete(client);
        else this.#byClient.set(client, left);
      },
    };
  }

  get count(): number {
    return this.#open;
  }
}
