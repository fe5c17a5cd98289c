/**
 * Gives memory back once the controller goes quiet after a burst (issue 20). V8 grows its old generation while a
 * thousand rollouts move (or while the informers list them, on the leader and on a standby alike) and keeps it until
 * a full collection, which nothing triggers on an idle controller: the idle figure would depend on when V8 last
 * happened to collect. So, once the V8 heap has grown well past what the last collection left and the work queue
 * has been quiet for `quietMs`, one full collection runs, and then none until the heap grows again.
 *
 * Owed by growth, not by runs: a Rollout whose analysis measures every 20 s makes a reconcile every 20 s, and a
 * collection after each would be a whole-heap pause every 20 s that gives nothing back. And not started while a
 * requeued key is due within `quietMs` (a measurement, a pause's end): the pause would land in front of it.
 *
 * It needs `gc`, which node exposes with --expose-gc (the image's command has it); without it this does nothing.
 * The collection pauses the event loop, in proportion to the live heap: measured with the image's node flags on
 * the 2-core test machine, about 0.3 s for 100 MiB of cache-like objects and 1.4 s for 300 MiB (a plain major
 * collection: 0.1 and 0.5 s). Only on an idle queue: it cannot stand between a reconcile and its writes, but an
 * event arriving during it waits for it, hence once per growth and never with a key due.
 */
import { getHeapStatistics } from 'node:v8';

export interface QueueActivity {
  /** Reconciles finished so far (WorkQueue.runs). */
  readonly runs: number;
  /** Keys ready or running now. */
  readonly depth: { queued: number };
  /**
   * Whether workers take the queued keys; false on a replica that does not lead, whose queue holds a key per Rollout
   * and runs none (then the queued keys are not work about to happen). True when omitted.
   */
  readonly started?: boolean;
  /** How long the oldest run in flight has been running; undefined when none is. */
  oldestRunMs(): number | undefined;
  /** In how many ms the soonest requeued key is due; undefined when none waits on a timer. */
  nextDueInMs?(): number | undefined;
}

export interface IdleCollectorOptions {
  queue: QueueActivity;
  /** How long without a run counts as quiet. */
  quietMs?: number;
  /** How often to look. */
  checkMs?: number;
  /**
   * The V8 heap's size in bytes (committed: what the process holds for it); v8.getHeapStatistics().total_heap_size
   * when omitted.
   */
  heapBytes?: () => number;
  /** How much the heap must have grown since the last collection (or the start) for one to be owed. 16 MiB. */
  minGrowthBytes?: number;
  /** The collection; node's gc() in its last-resort flavour (lastResortGc) when node runs with --expose-gc. */
  collect?: (() => void) | undefined;
  now?: () => number;
  /** Told each time memory was given back, with how long the collection took. */
  onCollected?: (ms: number) => void;
  /**
   * Whether work off the queue is in flight (measurements, Unleash operations: reconcile/background.ts): its end
   * wakes a key (a failed measurement, an abort's flag restore), so it is work about to be due. Never when omitted.
   */
  backgroundBusy?: () => boolean;
}

/** Starts watching the queue; returns the function that stops it. */
export function startIdleCollector(options: IdleCollectorOptions): () => void {
  const collect = options.collect ?? lastResortGc();
  if (collect === undefined) return () => undefined;
  const quietMs = options.quietMs ?? 10_000;
  const now = options.now ?? (() => performance.now());
  const heapBytes = options.heapBytes ?? (() => getHeapStatistics().total_heap_size);
  const minGrowthBytes = options.minGrowthBytes ?? 16 * 1024 * 1024;
  const { queue } = options;
  let seenRuns = queue.runs;
  let lastRunAt = now();
  // What there was at the start, or what the last collection left: a collection is owed once the heap has grown
  // by an eighth of that and at least minGrowthBytes (less is not worth a pause that grows with the heap).
  let baseline = heapBytes();
  const timer = setInterval(() => {
    const runs = queue.runs;
    if (runs !== seenRuns) {
      seenRuns = runs;
      lastRunAt = now();
      return;
    }
    const heap = heapBytes();
    // Shrunk on its own (V8 collected): the owed growth counts from there.
    if (heap < baseline) baseline = heap;
    if (heap - baseline < Math.max(minGrowthBytes, baseline / 8)) return;
    const readyWork = queue.started !== false && queue.depth.queued > 0;
    if (readyWork || queue.oldestRunMs() !== undefined || now() - lastRunAt < quietMs) return;
    const dueInMs = queue.nextDueInMs?.();
    if (dueInMs !== undefined && dueInMs < quietMs) return;
    if (options.backgroundBusy?.() === true) return;
    const startedAt = now();
    collect();
    options.onCollected?.(now() - startedAt);
    baseline = heapBytes();
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
