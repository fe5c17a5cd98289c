/**
 * Tokens the API server refused lately, so that a client repeating a made-up token costs the API server one
 * TokenReview, not one per request. Keyed by the token's SHA-256: the token itself is never kept. Only refusals are
 * remembered: an accepted token is reviewed again on every action, so that a revoked one stops working at once.
 * A refusal is remembered for a short time only (a token that was not valid yet, or an API server that was briefly
 * wrong, gets another chance within seconds), and at most `maxEntries` of them (the oldest is forgotten first).
 */
import { createHash } from 'node:crypto';

export interface RejectedTokensOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export class RejectedTokens {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** sha256(token) -> when the refusal expires, and why it was refused. Insertion order is age. */
  readonly #entries = new Map<string, { expires: number; reason: string }>();

  constructor(options: RejectedTokensOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 15_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Why the token was refused, if it was within the last ttl. */
  reason(token: string): string | undefined {
    const key = hashOf(token);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires > this.#now()) return entry.reason;
    this.#entries.delete(key);
    return undefined;
  }

  remember(token: string, reason: string): void {
    const key = hashOf(token);
    this.#entries.delete(key);
    this.#entries.set(key, { expires: this.#now() + this.#ttlMs, reason });
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(oldest);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The keys held, for tests that check no token is kept. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }
}

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
