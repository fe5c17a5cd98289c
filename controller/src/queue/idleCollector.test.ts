import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startIdleCollector } from './idleCollector.ts';

function fakeQueue() {
  return {
    runs: 0,
    depth: { queued: 0 },
    running: false,
    oldestRunMs(): number | undefined {
      return this.running ? 5 : undefined;
    },
  };
}

const MiB = 1024 * 1024;

/** A collector on a fake queue, quiet after 10 s, looking every second, with a heap of 30 MiB to start with. */
function setup(
  extra: { nextDueInMs?: () => number | undefined; started?: boolean } = {},
  backgroundBusy?: () => boolean,
) {
  const queue = { ...fakeQueue(), ...extra };
  const collect = vi.fn();
  const heap = { bytes: 30 * MiB };
  const stop = startIdleCollector({
    queue,
    collect,
    quietMs: 10_000,
    checkMs: 1_000,
    now: () => Date.now(),
    heapBytes: () => heap.bytes,
    ...(backgroundBusy === undefined ? {} : { backgroundBusy }),
  });
  return { queue, collect, heap, stop };
}

describe('startIdleCollector', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('collects once after a burst, when no reconcile has run for the quiet time, and not again while idle', () => {
    const { queue, collect, heap, stop } = setup();
    vi.advanceTimersByTime(60_000);
    expect(collect).not.toHaveBeenCalled(); // no work yet: nothing to give back
    queue.runs = 500;
    heap.bytes = 200 * MiB;
    vi.advanceTimersByTime(1_000);
    vi.advanceTimersByTime(9_000);
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_000);
    expect(collect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(120_000);
    expect(collect).toHaveBeenCalledTimes(1);
    queue.runs = 501; // the next burst, which grew the heap again, owes one more
    heap.bytes = 300 * MiB;
    vi.advanceTimersByTime(12_000);
    expect(collect).toHaveBeenCalledTimes(2);
    stop();
  });

  it('waits while keys are queued or a reconcile is running, however long since the last run finished', () => {
    const { queue, collect, heap, stop } = setup();
    queue.runs = 1;
    heap.bytes = 200 * MiB;
    vi.advanceTimersByTime(1_000);
    queue.depth.queued = 3;
    vi.advanceTimersByTime(30_000);
    expect(collect).not.toHaveBeenCalled();
    queue.depth.queued = 0;
    queue.running = true;
    vi.advanceTimersByTime(30_000);
    expect(collect).not.toHaveBeenCalled();
    queue.running = false;
    vi.advanceTimersByTime(1_000);
    expect(collect).toHaveBeenCalledTimes(1);
    stop();
  });

  it('does nothing without a collector (node without --expose-gc)', () => {
    const queue = fakeQueue();
    const stop = startIdleCollector({ queue, collect: undefined });
    queue.runs = 10;
    vi.advanceTimersByTime(60_000);
    stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});

// review: the collector's trigger is "any run, then 10 s without one", so it is not once per burst. Each collection
// is V8's last-resort flavour (several full mark-compacts, the whole heap), paid on the event loop.
describe('startIdleCollector (review: when a collection is owed)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  // review: a controller holding 1,000 Rollouts' caches, one of which runs a background analysis every 20 s, has
  // `runs` move every 20 s and its queue quiet for 10 s in between: it paid a last-resort full collection of the
  // whole heap every 20 s for as long as that analysis ran (30 an hour per Rollout cadence, forever), though
  // nothing grew and nothing was given back. Memory to give back is heap grown since the last collection.
  it('collects once after a burst, not after every lone run of a periodic requeue while the heap stays the same', () => {
    const { queue, collect, heap, stop } = setup();
    queue.runs = 1_000;
    heap.bytes = 400 * MiB;
    vi.advanceTimersByTime(15_000);
    expect(collect).toHaveBeenCalledTimes(1);
    heap.bytes = 120 * MiB; // what the collection left
    for (let t = 0; t < 30; t++) {
      queue.runs += 1; // the analysis measures again
      vi.advanceTimersByTime(20_000);
    }
    expect(collect).toHaveBeenCalledTimes(1);
    stop();
  });

  // review: a standby replica (leader election on, the usual two replicas) lists and watches every object into its
  // caches but never runs a reconcile, so `runs` stays 0 and nothing was ever "owed"; and its queue, never started,
  // holds every Rollout's key as "queued" (controller.ts adds keys on every informer event), so it never looked
  // idle either: the replica that holds as much as the leader never gave its grown heap back.
  it('gives memory back on a replica that does not reconcile once its caches have grown and it is quiet', () => {
    const { queue, collect, heap, stop } = setup({ started: false });
    vi.advanceTimersByTime(5_000);
    heap.bytes = 300 * MiB; // the informers' lists
    queue.depth.queued = 1_000; // a key per Rollout, waiting for workers that start only on the leader
    vi.advanceTimersByTime(30_000);
    expect(collect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(120_000);
    expect(collect).toHaveBeenCalledTimes(1);
    stop();
  });

  // review: `depth.queued` counts keys ready now, not those on a requeue timer. A Rollout whose next analysis
  // measurement (or pause end) is due in 2 s still got the collection, so a failing measurement and the abort's
  // traffic move waited behind a whole-heap pause that was avoidable: the queue knew work was due.
  it('does not start a collection when a requeued key is due within the quiet time', () => {
    let due: number | undefined = 2_000;
    const { queue, collect, heap, stop } = setup({ nextDueInMs: () => due });
    queue.runs = 10;
    heap.bytes = 300 * MiB;
    vi.advanceTimersByTime(60_000);
    expect(collect).not.toHaveBeenCalled();
    due = undefined;
    vi.advanceTimersByTime(2_000);
    expect(collect).toHaveBeenCalledTimes(1);
    stop();
  });

  // review: a canary whose analysis measures a slow endpoint (a 30 s timeout), or an abort whose Unleash flag restore
  // is still being sent, runs outside the queue (reconcile/background.ts) and wakes its key when it ends: the queue
  // looks quiet, and a whole-heap collection (1.4 s at 300 MiB) would land in front of the answer that decides the
  // abort, or in the middle of the restore.
  it('does not start a collection while a measurement or an Unleash operation is in flight', () => {
    let busy = true;
    const { queue, collect, heap, stop } = setup({}, () => busy);
    queue.runs = 10;
    heap.bytes = 300 * MiB;
    vi.advanceTimersByTime(60_000);
    expect(collect).not.toHaveBeenCalled();
    busy = false;
    vi.advanceTimersByTime(2_000);
    expect(collect).toHaveBeenCalledTimes(1);
    stop();
  });
});
