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

describe('startIdleCollector', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup() {
    const queue = fakeQueue();
    const collect = vi.fn();
    const stop = startIdleCollector({ queue, collect, quietMs: 10_000, checkMs: 1_000, now: () => Date.now() });
    return { queue, collect, stop };
  }

  it('collects once after a burst, when no reconcile has run for the quiet time, and not again while idle', () => {
    const { queue, collect, stop } = setup();
    vi.advanceTimersByTime(60_000);
    expect(collect).not.toHaveBeenCalled(); // no work yet: nothing to give back
    queue.runs = 500;
    vi.advanceTimersByTime(1_000);
    vi.advanceTimersByTime(9_000);
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_000);
    expect(collect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(120_000);
    expect(collect).toHaveBeenCalledTimes(1);
    queue.runs = 501; // the next burst owes one more
    vi.advanceTimersByTime(12_000);
    expect(collect).toHaveBeenCalledTimes(2);
    stop();
  });

  it('waits while keys are queued or a reconcile is running, however long since the last run finished', () => {
    const { queue, collect, stop } = setup();
    queue.runs = 1;
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
