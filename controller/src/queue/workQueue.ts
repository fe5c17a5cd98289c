/**
 * The controller's one work queue, and with it the whole retry policy. Watch events only ever `add` a key
 * ("namespace/name"); the queue decides when the reconcile handler runs for it:
 *
 * - a key waiting to run is queued once, however many events arrive for it (the handler reads current state,
 *   so one run covers them all);
 * - a key is never handled twice at the same time: added while in flight, it runs again right after;
 * - the handler's result is the retry policy: `{ requeueAfterMs }` runs it again on a timer, a thrown error runs
 *   it again after a per-key exponential backoff, success forgets the failures. There is no "do not retry": a
 *   problem only a user can fix (an invalid spec, a missing template) is a status the reconcile writes, and it
 *   returns normally; a thrown error is always worth another try;
 * - a requeue delay is capped (an hour by default): a 30-day pause wakes its key once an hour, and the run then
 *   asks for the time still left. Node fires a timer above 2^31-1 ms after 1 ms, so an uncapped 720h delay
 *   would reconcile the key about a thousand times a second;
 * - namespaces take turns: ready keys wait in one line per namespace and the lines are served round-robin, and
 *   one namespace holds at most `maxInFlightPerNamespace` workers while others have work (and all but one worker
 *   when it is alone), so a tenant with a thousand keys or with reconciles that hang cannot make another tenant's
 *   key wait behind all of them.
 *
 * Time comes through `QueueClock` so that tests drive it by hand.
 */

/** What a reconcile asks of the queue: nothing (done until the next event), or to run again after a delay. */
export type ReconcileResult = { requeueAfterMs?: number } | void;

/** The one reconcile signature: a key, never an event. */
export type ReconcileHandler = (key: string) => Promise<ReconcileResult>;

/** How one run of the handler ended. `requeue` is a success that asked to run again after a delay. */
export type ReconcileOutcome = 'success' | 'requeue' | 'error';

export interface ReconcileReport {
  durationMs: number;
  outcome: ReconcileOutcome;
  /** What the handler threw, for `error`. */
  error?: unknown;
  /** For `error`: the backoff before the next try. For `requeue`: the delay the handler asked for. */
  retryInMs?: number;
}

/** Keys the queue holds: `queued` will run as soon as a worker is free, `waiting` wait for a timer. */
export interface QueueDepth {
  queued: number;
  waiting: number;
}

/** Time as the queue sees it. */
export interface QueueClock {
  /** Milliseconds on a clock that never goes back; only differences are used. */
  now(): number;
  /** Calls `callback` once after `delayMs`; the returned function cancels it. */
  schedule(callback: () => void, delayMs: number): () => void;
}

/** The longest delay Node's timers honour; a longer one fires after 1 ms. */
export const maxTimerDelayMs = 2 ** 31 - 1;

/** The real clock. Looks the timer functions up at each call, so that vitest's fake timers apply to it too. */
export const systemClock: QueueClock = {
  now: () => performance.now(),
  schedule(callback, delayMs) {
    // Clamped here too, so that no caller of the clock can hit the 1 ms overflow.
    const timer = globalThis.setTimeout(callback, Math.min(delayMs, maxTimerDelayMs));
    return () => globalThis.clearTimeout(timer);
  },
};

export interface WorkQueueOptions {
  handler: ReconcileHandler;
  /** How many different keys may be handled at once. Default 1. */
  concurrency?: number;
  /** Delay before the first retry of a failing key; it doubles with each further failure. Default 200 ms. */
  baseBackoffMs?: number;
  /** The longest delay between retries, so that a key failing for an hour is still tried every minute. Default 60 s. */
  maxBackoffMs?: number;
  /**
   * The longest requeue delay: a longer one wakes the key after this long instead, and its run asks again for the
   * time still left. Default one hour; never more than Node's timer limit (2^31-1 ms).
   */
  maxRequeueMs?: number;
  /**
   * How many keys of one namespace may be handled at once, so that one tenant cannot hold every worker.
   * Default half the concurrency, at least 1. A key with no namespace ("name" without a slash) is its own group.
   */
  maxInFlightPerNamespace?: number;
  clock?: QueueClock;
  /**
   * Called after each run, for metrics and logs, so that the queue knows neither. It must not throw; if it does,
   * the queue carries on and the error becomes a process warning.
   */
  onResult?: (key: string, report: ReconcileReport) => void;
}

/** The delay before retrying a key after its `failures`-th failure in a row (1-based). */
export function backoffDelayMs(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, failures - 1), maxMs);
}

interface PendingTimer {
  dueAt: number;
  cancel: () => void;
}

/** The group a key takes turns in: its namespace, or the key itself when it has none. */
export function namespaceOfKey(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? key : key.slice(0, slash + 1);
}

export class WorkQueue {
  readonly #handler: ReconcileHandler;
  readonly #concurrency: number;
  readonly #maxInFlightPerNamespace: number;
  readonly #maxRequeueMs: number;
  readonly #baseBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #clock: QueueClock;
  readonly #onResult: WorkQueueOptions['onResult'];

  /**
   * Keys ready to run, one line per namespace, oldest first; a Set keeps insertion order and makes a second add of
   * a key a no-op. The Map's own order is the round-robin turn: a namespace served goes to the back.
   */
  readonly #ready = new Map<string, Set<string>>();
  #readyCount = 0;
  /** Keys being handled right now. Never also in #ready. */
  readonly #inFlight = new Map<string, Promise<void>>();
  /** When each run in flight started; the Map's order is the order they started in, so the first is the oldest. */
  readonly #runStartedAt = new Map<string, number>();
  #runs = 0;
  /** Keys in flight per namespace, for the per-namespace cap. */
  readonly #inFlightByNamespace = new Map<string, number>();
  /** Keys added while in flight: they go back to #ready when their run ends. */
  readonly #dirty = new Set<string>();
  readonly #timers = new Map<string, PendingTimer>();
  /** Failures in a row per key; a success forgets the key. */
  readonly #failures = new Map<string, number>();

  #started = false;
  #stopping: Promise<void> | undefined;

  constructor(options: WorkQueueOptions) {
    const concurrency = options.concurrency ?? 1;
    const baseBackoffMs = options.baseBackoffMs ?? 200;
    const maxBackoffMs = options.maxBackoffMs ?? 60_000;
    const maxInFlightPerNamespace = options.maxInFlightPerNamespace ?? Math.max(1, Math.floor(concurrency / 2));
    const maxRequeueMs = options.maxRequeueMs ?? 3_600_000;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`work queue concurrency must be a whole number >= 1, not ${concurrency}`);
    }
    if (!Number.isInteger(maxInFlightPerNamespace) || maxInFlightPerNamespace < 1) {
      throw new RangeError(
        `work queue maxInFlightPerNamespace must be a whole number >= 1, not ${maxInFlightPerNamespace}`,
      );
    }
    if (!(maxRequeueMs > 0) || maxRequeueMs > maxTimerDelayMs) {
      throw new RangeError(
        `work queue maxRequeueMs must be above 0 and at most ${maxTimerDelayMs} ms, not ${maxRequeueMs}`,
      );
    }
    if (!(baseBackoffMs > 0) || !(maxBackoffMs >= baseBackoffMs) || !Number.isFinite(maxBackoffMs)) {
      throw new RangeError(
        `work queue backoff needs 0 < base <= max (finite), not base ${baseBackoffMs} ms and max ${maxBackoffMs} ms`,
      );
    }
    this.#handler = options.handler;
    this.#concurrency = concurrency;
    this.#maxInFlightPerNamespace = maxInFlightPerNamespace;
    this.#maxRequeueMs = maxRequeueMs;
    this.#baseBackoffMs = baseBackoffMs;
    this.#maxBackoffMs = maxBackoffMs;
    this.#clock = options.clock ?? systemClock;
    this.#onResult = options.onResult;
  }

  get depth(): QueueDepth {
    return { queued: this.#readyCount + this.#dirty.size, waiting: this.#timers.size };
  }

  /** Reconciles finished since the queue was made: a count that moves while there is work (queue/idleCollector.ts). */
  get runs(): number {
    return this.#runs;
  }

  /** Whether workers take keys: false until start() (a follower's queue holds keys it never runs) and after shutdown. */
  get started(): boolean {
    return this.#started && this.#stopping === undefined;
  }

  /** In how many ms the soonest key waiting on a timer is due; undefined when none waits (queue/idleCollector.ts). */
  nextDueInMs(): number | undefined {
    let soonest: number | undefined;
    for (const { dueAt } of this.#timers.values()) if (soonest === undefined || dueAt < soonest) soonest = dueAt;
    return soonest === undefined ? undefined : Math.max(0, soonest - this.#clock.now());
  }

  /**
   * How long the oldest reconcile in flight has been running; undefined when none is (an idle queue, or one not
   * started: a follower's). For the liveness probe: every request a reconcile makes has a deadline, so a run far
   * older than those deadlines has hung, and its worker and its key with it. Keys waiting to run cannot wait with
   * nothing in flight (a free worker takes them at once), so this also covers a queue that stopped taking work.
   */
  oldestRunMs(): number | undefined {
    const startedAt = this.#runStartedAt.values().next();
    return startedAt.done === true ? undefined : this.#clock.now() - startedAt.value;
  }

  /**
   * Runs `key` as soon as a worker is free. A pending timer for the key is dropped: the run this add causes
   * reads the current state and asks for its own timer if it still needs one.
   */
  add(key: string): void {
    if (this.#stopping) return;
    this.#cancelTimer(key);
    if (this.#inFlight.has(key)) this.#dirty.add(key);
    else this.#enqueue(key);
    this.#pump();
  }

  #enqueue(key: string): void {
    const namespace = namespaceOfKey(key);
    let line = this.#ready.get(namespace);
    if (line === undefined) this.#ready.set(namespace, (line = new Set()));
    if (line.has(key)) return;
    line.add(key);
    this.#readyCount++;
  }

  #isReady(key: string): boolean {
    return this.#ready.get(namespaceOfKey(key))?.has(key) ?? false;
  }

  /**
   * The next key to run: the first namespace in turn that is under its cap gives its oldest key, and goes last.
   * When no namespace under its cap has work, a namespace over it may take an idle worker too, as long as one
   * worker stays free for whoever comes next: a team alone on the controller is not held to half of it, and a
   * team that arrives later waits for no more than that one free worker.
   */
  #takeNext(): string | undefined {
    const under = (namespace: string) =>
      (this.#inFlightByNamespace.get(namespace) ?? 0) < this.#maxInFlightPerNamespace;
    const spare = this.#inFlight.size < this.#concurrency - 1;
    for (const pass of [under, () => spare]) {
      for (const [namespace, line] of this.#ready) {
        if (!pass(namespace)) continue;
        const key = line.values().next().value!;
        line.delete(key);
        this.#readyCount--;
        this.#ready.delete(namespace);
        if (line.size > 0) this.#ready.set(namespace, line);
        return key;
      }
    }
    return undefined;
  }

  /**
   * Runs `key` after `delayMs`, unless it is due sooner already (the earliest time wins). A delay above
   * `maxRequeueMs` wakes the key after `maxRequeueMs`: level-based, its run asks again for what is left.
   */
  addAfter(key: string, requestedMs: number): void {
    if (!Number.isFinite(requestedMs))
      throw new RangeError(`requeue delay for ${key} must be a finite number of ms, not ${requestedMs}`);
    if (this.#stopping) return;
    if (requestedMs <= 0) {
      this.add(key);
      return;
    }
    const delayMs = Math.min(requestedMs, this.#maxRequeueMs);
    // Already due now: a timer could only cause a second, pointless run.
    if (this.#isReady(key) || this.#dirty.has(key)) return;
    const dueAt = this.#clock.now() + delayMs;
    const pending = this.#timers.get(key);
    if (pending && pending.dueAt <= dueAt) return;
    pending?.cancel();
    const cancel = this.#clock.schedule(() => {
      this.#timers.delete(key);
      this.add(key);
    }, delayMs);
    this.#timers.set(key, { dueAt, cancel });
  }

  /** Starts handing keys to the handler, including those added before. */
  start(): void {
    if (this.#stopping) throw new Error('the work queue was shut down; make a new one');
    this.#started = true;
    this.#pump();
  }

  /**
   * Stops taking keys, drops queued keys and timers, and resolves when the runs in flight have ended. Dropping
   * is safe because reconcile is level-based: whoever runs next (this process again, or the next leader) lists
   * every Rollout and converges from the state in the cluster.
   */
  shutdown(): Promise<void> {
    this.#stopping ??= this.#drain();
    return this.#stopping;
  }

  async #drain(): Promise<void> {
    for (const key of [...this.#timers.keys()]) this.#cancelTimer(key);
    this.#ready.clear();
    this.#readyCount = 0;
    this.#dirty.clear();
    await Promise.all(this.#inFlight.values());
  }

  #cancelTimer(key: string): void {
    this.#timers.get(key)?.cancel();
    this.#timers.delete(key);
  }

  #pump(): void {
    if (!this.#started || this.#stopping) return;
    while (this.#inFlight.size < this.#concurrency) {
      const key = this.#takeNext();
      if (key === undefined) return;
      const namespace = namespaceOfKey(key);
      this.#inFlightByNamespace.set(namespace, (this.#inFlightByNamespace.get(namespace) ?? 0) + 1);
      this.#runStartedAt.set(key, this.#clock.now());
      this.#inFlight.set(key, this.#run(key));
    }
  }

  /** Runs the handler for one key and applies the retry policy to what it returns. Never rejects. */
  async #run(key: string): Promise<void> {
    const startedAt = this.#clock.now();
    let report: Omit<ReconcileReport, 'durationMs'>;
    try {
      report = this.#judge(key, await this.#handler(key));
    } catch (error) {
      report = this.#judgeFailure(key, error);
    }
    this.#inFlight.delete(key);
    this.#runStartedAt.delete(key);
    this.#runs++;
    const namespace = namespaceOfKey(key);
    const left = (this.#inFlightByNamespace.get(namespace) ?? 1) - 1;
    if (left > 0) this.#inFlightByNamespace.set(namespace, left);
    else this.#inFlightByNamespace.delete(namespace);
    this.#schedule(key, report);
    this.#report(key, { durationMs: this.#clock.now() - startedAt, ...report });
    this.#pump();
  }

  #judge(key: string, result: ReconcileResult): Omit<ReconcileReport, 'durationMs'> {
    const delayMs = result?.requeueAfterMs;
    if (delayMs === undefined) {
      this.#failures.delete(key);
      return { outcome: 'success' };
    }
    if (!Number.isFinite(delayMs) || delayMs < 0) {
      // A handler bug, not a reason to spin or to stop: treat it as a failure so that it backs off.
      return this.#judgeFailure(key, new RangeError(`reconcile of ${key} asked to requeue after ${delayMs} ms`));
    }
    this.#failures.delete(key);
    return { outcome: 'requeue', retryInMs: delayMs };
  }

  #judgeFailure(key: string, error: unknown): Omit<ReconcileReport, 'durationMs'> {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    return { outcome: 'error', error, retryInMs: backoffDelayMs(failures, this.#baseBackoffMs, this.#maxBackoffMs) };
  }

  /** After shutdown this does nothing: #drain emptied #dirty, and addAfter ignores new keys. */
  #schedule(key: string, report: Omit<ReconcileReport, 'durationMs'>): void {
    if (this.#dirty.delete(key)) {
      // Something changed during the run: run again now. It decides its own timer; the failure count stays,
      // so that if it fails too its backoff keeps growing.
      this.#enqueue(key);
      return;
    }
    if (report.retryInMs !== undefined) this.addAfter(key, report.retryInMs);
  }

  #report(key: string, report: ReconcileReport): void {
    if (!this.#onResult) return;
    try {
      this.#onResult(key, report);
    } catch (error) {
      process.emitWarning(error instanceof Error ? error : new Error(String(error)), 'SluiceWorkQueueHook');
    }
  }
}
