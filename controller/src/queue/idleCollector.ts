/**
 * Gives memory back once the controller goes quiet after a burst (issue 20). V8 grows its old generation while a
 * thousand rollouts move and keeps it until a full collection, which nothing triggers on an idle controller: the
 * idle figure would depend on when V8 last happened to collect. So, once the work queue has had no run for
 * `quietMs` after some work, one full collection runs, and then none until the next burst.
 *
 * It needs `gc`, which node exposes with --expose-gc (the image's command has it); without it this does nothing.
 * The collection pauses the event loop for tens of milliseconds, only on an idle queue: it cannot stand between a
 * reconcile and its writes, and an event arriving during it waits no longer than for one of V8's own collections.
 */
export interface QueueActivity {
  /** Reconciles finished so far (WorkQueue.runs). */
  readonly runs: number;
  /** Keys ready or running now. */
  readonly depth: { queued: number };
  /** How long the oldest run in flight has been running; undefined when none is. */
  oldestRunMs(): number | undefined;
}

export interface IdleCollectorOptions {
  queue: QueueActivity;
  /** How long without a run counts as quiet. */
  quietMs?: number;
  /** How often to look. */
  checkMs?: number;
  /** The collection; globalThis.gc when node runs with --expose-gc. */
  collect?: (() => void) | undefined;
  now?: () => number;
  /** Told each time memory was given back, with how long the collection took. */
  onCollected?: (ms: number) => void;
}

/** Starts watching the queue; returns the function that stops it. */
export function startIdleCollector(options: IdleCollectorOptions): () => void {
  const collect = options.collect ?? lastResortGc();
  if (collect === undefined) return () => undefined;
  const quietMs = options.quietMs ?? 10_000;
  const now = options.now ?? (() => performance.now());
  let seenRuns = options.queue.runs;
  let lastRunAt = now();
  let owed = false;
  const timer = setInterval(() => {
    const runs = options.queue.runs;
    if (runs !== seenRuns) {
      seenRuns = runs;
      lastRunAt = now();
      owed = true;
      return;
    }
    const idle = options.queue.depth.queued === 0 && options.queue.oldestRunMs() === undefined;
    if (!owed || !idle || now() - lastRunAt < quietMs) return;
    owed = false;
    const startedAt = now();
    collect();
    options.onCollected?.(now() - startedAt);
  }, options.checkMs ?? 2_000);
  // Never what keeps the process alive.
  timer.unref();
  return () => clearInterval(timer);
}

type Gc = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * node's gc() with V8's "last resort" flavour, what the inspector's collectGarbage and a low-memory notification
 * run: repeated full collections that also return the freed pages to the system. A plain gc() frees the objects
 * but kept the pages (at 100 rollouts: 116 MiB RSS after it, 109 after the inspector's).
 */
function lastResortGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: Gc }).gc;
  return gc === undefined ? undefined : () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}
