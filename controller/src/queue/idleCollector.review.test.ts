/**
 * Review of issue 20's idle collector: work that is not in the work queue. Measurements and Unleash operations run
 * in the background (reconcile/background.ts) after their reconcile has finished, and wake their key when they end:
 * while one is in flight the queue is empty, nothing runs, and no key waits on a timer (the key waits for the wake).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startIdleCollector, type IdleCollectorOptions } from './idleCollector.ts';

const MiB = 1024 * 1024;

describe('review: the idle collector and background work in flight', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  // review: a canary whose analysis measures a slow endpoint (a 30 s timeout), or an abort whose Unleash flag restore
  // (the traffic move of a flag Rollout) is still being sent, looks quiet to the collector after 10 s: a whole-heap
  // last-resort collection (1.4 s at 300 MiB, the file's own figure) then lands in front of the answer that decides
  // the abort, or in the middle of the restore. The answer is a key about to be due, as much as a requeued one.
  it('does not start a collection while a measurement or an Unleash operation is in flight', () => {
    let busy = true;
    const collect = vi.fn();
    const heap = { bytes: 30 * MiB };
    const queue = { runs: 0, depth: { queued: 0 }, oldestRunMs: () => undefined };
    const options = {
      queue,
      collect,
      quietMs: 10_000,
      checkMs: 1_000,
      now: () => Date.now(),
      heapBytes: () => heap.bytes,
      backgroundBusy: () => busy,
    } satisfies IdleCollectorOptions;
    const stop = startIdleCollector(options);
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
