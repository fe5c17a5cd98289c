/**
 * The Rollout versions this controller wrote and its cache has not shown yet. A reconcile must not plan from a
 * Rollout older than its own last write: the plan would start from the old status and undo what was just done.
 *
 * Seen in the canary story once writes got fast: the reconcile that promoted wrote the HTTPRoute (canary 0) and
 * then the status (Healthy); the Service and ReplicaSet watch events it caused woke the Rollout again before its
 * own watch event had arrived, so that reconcile still read "paused at step 4 with 60%", patched the HTTPRoute
 * back to 60%, and only its status write failed on the conflict. The ReplicaSet controller guards against the
 * same thing with its "expectations"; this is that, for the Rollout's own writes.
 *
 * The informer reports each version it takes, in order (seen()); a write's version seen once is caught up. The
 * watch event can even beat the write's own response, so the last few versions seen are remembered too. A
 * relist can jump over a version: after `ttlMs` the expectation is dropped and the reconcile goes ahead
 * (the status write still fails on a conflict if the cache really is behind).
 */
/** Versions remembered per Rollout: the few a watch can deliver while one write's response is on its way. */
const recentVersions = 4;

export class WriteExpectations {
  readonly #ttlMs: number;
  readonly #clock: () => number;
  readonly #pending = new Map<string, { resourceVersion: string; at: number }>();
  /** Per key, the last versions the cache took, newest last. */
  readonly #recent = new Map<string, string[]>();

  constructor(options: { ttlMs?: number; clock?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? 10_000;
    this.#clock = options.clock ?? (() => performance.now());
  }

  /** After this controller wrote `key` and the API server answered with `resourceVersion`. */
  wrote(key: string, resourceVersion: string): void {
    if (this.#recent.get(key)?.includes(resourceVersion) === true) return; // its watch event came first
    this.#pending.set(key, { resourceVersion, at: this.#clock() });
  }

  /** For each version of `key` the cache takes, in order; undefined when the object is gone. */
  seen(key: string, resourceVersion: string | undefined): void {
    if (resourceVersion === undefined) {
      this.#pending.delete(key);
      this.#recent.delete(key);
      return;
    }
    const recent = this.#recent.get(key) ?? [];
    recent.push(resourceVersion);
    if (recent.length > recentVersions) recent.shift();
    this.#recent.set(key, recent);
    if (this.#pending.get(key)?.resourceVersion === resourceVersion) this.#pending.delete(key);
  }

  /** Milliseconds to wait at most for the cache to show our last write of `key`; undefined when it has. */
  behind(key: string): number | undefined {
    const pending = this.#pending.get(key);
    if (pending === undefined) return undefined;
    const left = this.#ttlMs - (this.#clock() - pending.at);
    if (left > 0) return left;
    this.#pending.delete(key);
    return undefined;
  }

  /** Keys still waiting: for tests and for a leak check. */
  get size(): number {
    return this.#pending.size;
  }
}
