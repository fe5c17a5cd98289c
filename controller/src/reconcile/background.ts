/**
 * Slow I/O that a reconcile must never wait for: analysis measurements (Prometheus, Secrets) and feature-flag
 * writes (Unleash). The planner asks for a task by id; this runs it in the background, keeps its outcome, and wakes
 * the Rollout's key when it ends, so that the next reconcile finds the outcome in memory and plans from it. A
 * reconcile therefore only reads caches and writes to the API server, and an abort is never stuck behind a
 * provider that does not answer.
 *
 * - An id runs at most once while its outcome is kept: asking again is free (every reconcile may ask).
 * - Tasks of one lane run one at a time, in the order asked (writes to one Unleash flag must not overtake each
 *   other: a restore must land after the set it undoes). A lane is held until its task really settles.
 * - Each task has a deadline; past it the outcome is `onDeadline()` and the key is woken, whatever the task does.
 * - Fair between namespaces: at most `perNamespace` tasks of one namespace run at once, and waiting tasks are
 *   started namespace by namespace in turn, so one team's hanging provider cannot take every slot.
 * - Pools: a task may name a pool of its own (`pools`), whose slots are counted apart from the others', with limits
 *   of their own: work that sleeps for long (a Job measurement, up to an hour) cannot hold the slots quick work needs.
 * - Bounded: a namespace may have `maxWaitingPerNamespace` tasks waiting and all together about `maxWaiting`
 *   (past that, the namespace that asks for more gets a failure outcome, never another namespace), and at most
 *   `maxOutcomes` outcomes are kept (the oldest are forgotten first; a forgotten outcome only costs a repeat).
 */

export interface BackgroundTask<R> {
  /** The Rollout key ("namespace/name") woken when the task ends. */
  key: string;
  /** Unique per Rollout and per piece of work (e.g. "uid/measure/step-2/rev/error-rate/3"). */
  id: string;
  /** Tasks of one lane never run at the same time; the id is its own lane when omitted. */
  lane?: string;
  /** The pool (BackgroundWorkOptions.pools) whose slots the task takes; the main slots when omitted or unknown. */
  pool?: string;
  namespace: string;
  deadlineMs: number;
  run: (signal: AbortSignal) => Promise<R>;
  /** The outcome when the deadline passes first, or when `run` throws (it should not). */
  onFailure: (why: string) => R;
}

export interface Outcome<R> {
  value: R;
  /** Monotonic time (ms) when it ended. */
  at: number;
}

export type TaskState<R> = { kind: 'waiting' } | { kind: 'running' } | ({ kind: 'done' } & Outcome<R>) | undefined;

export interface BackgroundWorkOptions {
  /** Tasks of the main pool running at once, in all. */
  concurrency: number;
  /** Tasks of the main pool of one namespace running at once. */
  perNamespace: number;
  /** Pools of their own, by name: their tasks count against these limits, never against the main ones. */
  pools?: Record<string, { concurrency: number; perNamespace: number }>;
  maxWaiting?: number;
  /** Tasks of one namespace that may wait; a quarter of maxWaiting when omitted. */
  maxWaitingPerNamespace?: number;
  maxOutcomes?: number;
  /** Called with the key of each task that ended. */
  wake: (key: string) => void;
  now?: () => number;
}

interface Entry<R> {
  task: BackgroundTask<R>;
  state: 'waiting' | 'running' | 'done';
  outcome?: Outcome<R>;
}

/** Node's timers overflow past 2^31-1 ms and fire at once: every delay is clamped below that. */
export const maxTimerMs = 2 ** 31 - 1;

export class BackgroundWork<R> {
  readonly #o: Required<Omit<BackgroundWorkOptions, 'wake' | 'now' | 'pools'>> & Pick<BackgroundWorkOptions, 'wake'>;
  /** Each pool's limits and what of them runs; '' is the main pool. */
  readonly #pools = new Map<string, Pool>();
  readonly #now: () => number;
  /** Every task asked for and not yet forgotten, by key + id; insertion order is age, for eviction. */
  readonly #entries = new Map<string, Entry<R>>();
  /** Waiting tasks per namespace, in the order asked. */
  readonly #waiting = new Map<string, Entry<R>[]>();
  readonly #busyLanes = new Set<string>();
  #running = 0;
  #waitingCount = 0;
  #closed = false;

  constructor(options: BackgroundWorkOptions) {
    const maxWaiting = options.maxWaiting ?? 10_000;
    this.#o = {
      maxWaiting,
      maxWaitingPerNamespace: Math.max(1, Math.ceil(maxWaiting / 4)),
      maxOutcomes: 20_000,
      ...options,
    };
    this.#now = options.now ?? (() => performance.now());
    this.#pools.set('', newPool(options.concurrency, options.perNamespace));
    for (const [name, limits] of Object.entries(options.pools ?? {}))
      if (name !== '') this.#pools.set(name, newPool(limits.concurrency, limits.perNamespace));
  }

  #poolOf(task: BackgroundTask<R>): Pool {
    return (task.pool === undefined ? undefined : this.#pools.get(task.pool)) ?? this.#pools.get('')!;
  }

  /** Whether the task's pool has a slot for it, in all and for its namespace. */
  #hasSlot(task: BackgroundTask<R>): boolean {
    const pool = this.#poolOf(task);
    return pool.running < pool.concurrency && (pool.perNamespace.get(task.namespace) ?? 0) < pool.limitPerNamespace;
  }

  /** Asks for a task; nothing happens when the same key and id is waiting, running or done. */
  submit(task: BackgroundTask<R>): void {
    if (this.#closed) return;
    const k = entryKey(task.key, task.id);
    if (this.#entries.has(k)) return;
    const mine = this.#waiting.get(task.namespace)?.length ?? 0;
    // Shed load rather than grow, and shed it where it comes from: a namespace past its share of the waiting line
    // (or, when the whole line is full, one that has tasks waiting already) gets the failure; another namespace's
    // first task always gets in line. The asker sees the failure as the outcome, and asks again on a later pass.
    if (mine >= this.#o.maxWaitingPerNamespace || (this.#waitingCount >= this.#o.maxWaiting && mine > 0)) {
      this.#finish(
        { task, state: 'done' },
        k,
        task.onFailure(`namespace ${task.namespace} has ${mine} tasks waiting already; this one was not started`),
      );
      return;
    }
    const entry: Entry<R> = { task, state: 'waiting' };
    this.#entries.set(k, entry);
    const queue = this.#waiting.get(task.namespace) ?? [];
    queue.push(entry);
    this.#waiting.set(task.namespace, queue);
    this.#waitingCount += 1;
    this.#pump();
  }

  /** Where a task stands; undefined when it was never asked for, or forgotten. */
  state(key: string, id: string): TaskState<R> {
    const e = this.#entries.get(entryKey(key, id));
    if (e === undefined) return undefined;
    if (e.state === 'done') return { kind: 'done', value: e.outcome!.value, at: e.outcome!.at };
    return { kind: e.state };
  }

  /** Forgets a finished task, so that the next submit of its id runs it again (a retry). */
  forget(key: string, id: string): void {
    const k = entryKey(key, id);
    if (this.#entries.get(k)?.state === 'done') this.#entries.delete(k);
  }

  /** Forgets every finished task of a key, and drops its waiting ones (the Rollout was deleted). */
  forgetKey(key: string): void {
    for (const [k, e] of this.#entries) {
      if (e.task.key !== key) continue;
      if (e.state === 'waiting') this.#unqueue(e);
      if (e.state !== 'running') this.#entries.delete(k);
    }
  }

  /** Drops every waiting task and takes no more (leadership lost, or shutdown); running ones end by themselves. */
  close(): void {
    this.#closed = true;
    for (const queue of this.#waiting.values())
      for (const e of queue) this.#entries.delete(entryKey(e.task.key, e.task.id));
    this.#waiting.clear();
    this.#waitingCount = 0;
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waitingCount;
  }

  #unqueue(e: Entry<R>): void {
    const queue = this.#waiting.get(e.task.namespace);
    const i = queue?.indexOf(e) ?? -1;
    if (i >= 0) {
      queue!.splice(i, 1);
      this.#waitingCount -= 1;
      if (queue!.length === 0) this.#waiting.delete(e.task.namespace);
    }
  }

  /** Starts waiting tasks while their pools have slots, one namespace at a time in turn. */
  #pump(): void {
    let started = true;
    while (started) {
      started = false;
      for (const [namespace, queue] of [...this.#waiting]) {
        const next = queue.find((e) => !this.#busyLanes.has(laneOf(e.task)) && this.#hasSlot(e.task));
        if (next === undefined) continue;
        this.#unqueue(next);
        // Round robin: a namespace that just started a task goes to the back of the line.
        const rest = this.#waiting.get(namespace);
        if (rest !== undefined) {
          this.#waiting.delete(namespace);
          this.#waiting.set(namespace, rest);
        }
        this.#start(next);
        started = true;
      }
    }
  }

  #start(e: Entry<R>): void {
    const { task } = e;
    e.state = 'running';
    this.#running += 1;
    const pool = this.#poolOf(task);
    pool.running += 1;
    pool.perNamespace.set(task.namespace, (pool.perNamespace.get(task.namespace) ?? 0) + 1);
    const lane = laneOf(task);
    this.#busyLanes.add(lane);
    const k = entryKey(task.key, task.id);
    const abort = new AbortController();
    let settled = false;
    const timer = setTimeout(
      () => {
        if (settled) return;
        settled = true;
        abort.abort(new Error(`no outcome within ${task.deadlineMs} ms`));
        this.#finish(e, k, task.onFailure(`no outcome within ${Math.round(task.deadlineMs / 100) / 10} s`));
      },
      Math.min(Math.max(task.deadlineMs, 0), maxTimerMs),
    );
    timer.unref?.();
    let work: Promise<R>;
    try {
      work = task.run(abort.signal);
    } catch (err) {
      work = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    work
      .then(
        (value) => {
          if (settled) return;
          settled = true;
          this.#finish(e, k, value);
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          this.#finish(e, k, task.onFailure(err instanceof Error ? err.message : String(err)));
        },
      )
      .finally(() => {
        // The slot and the lane are held until the task really ends: a write past its deadline may still land,
        // and the next write to the same flag must not overtake it.
        clearTimeout(timer);
        this.#running -= 1;
        pool.running -= 1;
        const n = (pool.perNamespace.get(task.namespace) ?? 1) - 1;
        if (n <= 0) pool.perNamespace.delete(task.namespace);
        else pool.perNamespace.set(task.namespace, n);
        this.#busyLanes.delete(lane);
        this.#pump();
      });
  }

  #finish(e: Entry<R>, k: string, value: R): void {
    e.state = 'done';
    e.outcome = { value, at: this.#now() };
    if (!this.#entries.has(k) && !this.#closed) this.#entries.set(k, e);
    // Newest last: a finished task moves to the end, so the oldest outcomes are evicted first.
    if (this.#entries.delete(k)) this.#entries.set(k, e);
    this.#evict();
    this.#o.wake(e.task.key);
  }

  #evict(): void {
    if (this.#entries.size <= this.#o.maxOutcomes) return;
    for (const [k, e] of this.#entries) {
      if (this.#entries.size <= this.#o.maxOutcomes) break;
      if (e.state === 'done') this.#entries.delete(k);
    }
  }
}

interface Pool {
  concurrency: number;
  limitPerNamespace: number;
  running: number;
  perNamespace: Map<string, number>;
}

function newPool(concurrency: number, limitPerNamespace: number): Pool {
  return { concurrency, limitPerNamespace, running: 0, perNamespace: new Map() };
}

function entryKey(key: string, id: string): string {
  return `${key}\u0000${id}`;
}

function laneOf(task: BackgroundTask<unknown>): string {
  return task.lane ?? `${task.key}\u0000${task.id}`;
}
