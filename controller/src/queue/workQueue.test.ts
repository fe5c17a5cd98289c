import { afterEach, describe, expect, it, vi } from 'vitest';
import { heldHandler, ManualClock, settle } from './workQueue.test-support.ts';
import {
  backoffDelayMs,
  systemClock,
  WorkQueue,
  type ReconcileHandler,
  type ReconcileReport,
  type WorkQueueOptions,
} from './workQueue.ts';

function makeQueue(handler: ReconcileHandler, options: Partial<WorkQueueOptions> = {}) {
  const clock = new ManualClock();
  const reports: (ReconcileReport & { key: string })[] = [];
  const queue = new WorkQueue({
    handler,
    clock,
    baseBackoffMs: 100,
    maxBackoffMs: 1_000,
    onResult: (key, report) => reports.push({ key, ...report }),
    ...options,
  });
  return { queue, clock, reports };
}

describe('WorkQueue: one run per key', () => {
  it('runs a key added many times before it starts once', async () => {
    const handler = vi.fn<ReconcileHandler>(async () => {});
    const { queue } = makeQueue(handler);
    queue.add('shop/checkout');
    queue.add('shop/checkout');
    queue.add('shop/checkout');
    expect(queue.depth).toEqual({ queued: 1, waiting: 0 });
    expect(handler).not.toHaveBeenCalled();

    queue.start();
    await settle();
    expect(handler.mock.calls).toEqual([['shop/checkout']]);
    expect(queue.depth).toEqual({ queued: 0, waiting: 0 });
  });

  it('runs different keys in the order they were first added', async () => {
    const handler = vi.fn<ReconcileHandler>(async () => {});
    const { queue } = makeQueue(handler);
    for (const key of ['a/1', 'b/2', 'a/1', 'c/3']) queue.add(key);
    queue.start();
    await settle();
    expect(handler.mock.calls.map(([key]) => key)).toEqual(['a/1', 'b/2', 'c/3']);
  });

  it('never runs one key twice at once, and runs it once more after a run during which it was added', async () => {
    const clock = new ManualClock();
    const held = heldHandler();
    const { queue } = makeQueue(held.handler, { clock, concurrency: 4 });
    queue.start();
    queue.add('shop/checkout');
    await settle();
    expect(held.open()).toEqual(['shop/checkout']);

    queue.add('shop/checkout');
    queue.add('shop/checkout');
    await settle();
    expect(held.runs).toHaveLength(1);
    expect(queue.depth.queued).toBe(1);

    held.runs[0]!.finish();
    await settle();
    expect(held.runs).toHaveLength(2);
    expect(held.open()).toEqual(['shop/checkout']);
    held.runs[1]!.finish();
    await settle();
    expect(held.runs).toHaveLength(2);
    expect(queue.depth).toEqual({ queued: 0, waiting: 0 });
  });

  it('lets the run after a mid-run add decide the timer, instead of the stale run before it', async () => {
    const clock = new ManualClock();
    const held = heldHandler();
    const { queue } = makeQueue(held.handler, { clock });
    queue.start();
    queue.add('shop/checkout');
    await settle();
    queue.add('shop/checkout');
    held.runs[0]!.finish({ requeueAfterMs: 10_000 });
    await settle();
    expect(held.runs).toHaveLength(2);
    held.runs[1]!.finish();
    await settle();

    expect(queue.depth).toEqual({ queued: 0, waiting: 0 });
    await clock.advance(20_000);
    expect(held.runs).toHaveLength(2);
  });
});

describe('WorkQueue: concurrency', () => {
  it('runs at most `concurrency` keys at once and starts the next as one ends', async () => {
    const clock = new ManualClock();
    const held = heldHandler();
    const { queue } = makeQueue(held.handler, { clock, concurrency: 2 });
    for (const key of ['a', 'b', 'c', 'd']) queue.add(key);
    queue.start();
    await settle();
    expect(held.open()).toEqual(['a', 'b']);
    expect(queue.depth.queued).toBe(2);

    held.runs[1]!.finish();
    await settle();
    expect(held.open()).toEqual(['a', 'c']);
    held.runs[0]!.fail(new Error('conflict'));
    await settle();
    expect(held.open()).toEqual(['c', 'd']);
  });

  it('defaults to one key at a time', async () => {
    const clock = new ManualClock();
    const held = heldHandler();
    const queue = new WorkQueue({ handler: held.handler, clock });
    queue.add('a');
    queue.add('b');
    queue.start();
    await settle();
    expect(held.open()).toEqual(['a']);
  });
});

describe('WorkQueue: fairness between namespaces', () => {
  it('serves a key of another namespace within the first two picks, however many keys one namespace queued', async () => {
    const handler = vi.fn<ReconcileHandler>(async () => {});
    const { queue } = makeQueue(handler);
    for (let i = 0; i < 100; i++) queue.add(`a/r${i}`);
    queue.add('b/checkout');
    queue.start();
    await settle();
    const order = handler.mock.calls.map(([key]) => key);
    expect(order).toHaveLength(101);
    expect(order.indexOf('b/checkout')).toBeLessThan(2);
  });

  it('takes the namespaces in turn while each has keys', async () => {
    const handler = vi.fn<ReconcileHandler>(async () => {});
    const { queue } = makeQueue(handler);
    for (const key of ['a/1', 'a/2', 'a/3', 'b/1', 'b/2', 'c/1']) queue.add(key);
    queue.start();
    await settle();
    expect(handler.mock.calls.map(([key]) => key)).toEqual(['a/1', 'b/1', 'c/1', 'a/2', 'b/2', 'a/3']);
  });

  it("leaves a worker for another namespace while one namespace's reconciles hang", async () => {
    const clock = new ManualClock();
    const held = heldHandler();
    const { queue } = makeQueue(held.handler, { clock, concurrency: 4 });
    queue.start();
    for (let i = 0; i < 10; i++) queue.add(`a/r${i}`);
    await settle();
    // Alone, a may use every worker but one: the one left is for whoever comes next.
    expect(held.open()).toEqual(['a/r0', 'a/r1', 'a/r2']);

    queue.add('b/checkout');
    await settle();
    expect(held.open()).toContain('b/checkout');
    expect(held.open().filter((k) => k.startsWith('a/'))).toHaveLength(3);

    // With b's work waiting, a is back to its share as its runs end: b's next key goes before a's backlog.
    queue.add('b/second');
    held.runs.find((r) => r.key === 'a/r0')!.finish();
    await settle();
    expect(held.open()).toContain('b/second');
  });

  it('honours an explicit per-namespace cap, and lets a namespace use every worker when the cap allows', async () => {
    const clock = new ManualClock();
    const held = heldHandler();
    const { queue } = makeQueue(held.handler, { clock, concurrency: 3, maxInFlightPerNamespace: 3 });
    queue.start();
    for (let i = 0; i < 5; i++) queue.add(`a/r${i}`);
    await settle();
    expect(held.open()).toEqual(['a/r0', 'a/r1', 'a/r2']);
    held.runs[0]!.finish();
    await settle();
    expect(held.open()).toEqual(['a/r1', 'a/r2', 'a/r3']);
    expect(() => makeQueue(held.handler, { maxInFlightPerNamespace: 0 })).toThrow(/maxInFlightPerNamespace/);
  });
});

describe('WorkQueue: retries', () => {
  it('backs off exponentially per key, up to the cap', async () => {
    const handler = vi.fn<ReconcileHandler>(() => Promise.reject(new Error('API server unavailable')));
    const { queue, clock, reports } = makeQueue(handler);
    const runTimes: number[] = [];
    handler.mockImplementation(() => {
      runTimes.push(clock.now());
      return Promise.reject(new Error('API server unavailable'));
    });
    queue.start();
    queue.add('shop/checkout');
    await clock.advance(10_000);

    expect(reports.slice(0, 7).map((r) => r.retryInMs)).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
    expect(reports.every((r) => r.outcome === 'error' && r.error instanceof Error)).toBe(true);
    expect(runTimes.slice(0, 7)).toEqual([0, 100, 300, 700, 1_500, 2_500, 3_500]);
  });

  it('keeps the backoff of one key apart from another', async () => {
    const failing = new Set(['a']);
    const handler = vi.fn<ReconcileHandler>((key) =>
      failing.has(key) ? Promise.reject(new Error('boom')) : Promise.resolve(),
    );
    const { queue, clock, reports } = makeQueue(handler, { concurrency: 2 });
    queue.start();
    queue.add('a');
    await clock.advance(100);
    failing.add('b');
    queue.add('b');
    await settle();
    expect(reports.map((r) => [r.key, r.retryInMs])).toEqual([
      ['a', 100],
      ['a', 200],
      ['b', 100],
    ]);
  });

  it('forgets the failures of a key once it succeeds', async () => {
    let failuresLeft = 2;
    const handler = vi.fn<ReconcileHandler>(() =>
      failuresLeft-- > 0 ? Promise.reject(new Error('conflict')) : Promise.resolve(),
    );
    const { queue, clock, reports } = makeQueue(handler);
    queue.start();
    queue.add('shop/checkout');
    await clock.advance(1_000);
    expect(reports.map((r) => r.outcome)).toEqual(['error', 'error', 'success']);

    failuresLeft = 1;
    queue.add('shop/checkout');
    await settle();
    expect(reports.at(-1)).toMatchObject({ outcome: 'error', retryInMs: 100 });
  });

  it('forgets the failures of a key that succeeds with a requeue', async () => {
    const handler = vi.fn<ReconcileHandler>();
    handler.mockRejectedValueOnce(new Error('conflict'));
    handler.mockResolvedValueOnce({ requeueAfterMs: 1_000 });
    handler.mockRejectedValueOnce(new Error('conflict'));
    const { queue, clock, reports } = makeQueue(handler);
    queue.start();
    queue.add('shop/checkout');
    await clock.advance(1_100);
    expect(reports.map((r) => [r.outcome, r.retryInMs])).toEqual([
      ['error', 100],
      ['requeue', 1_000],
      ['error', 100],
    ]);
  });

  it('treats a handler that throws before returning a promise like one that rejects', async () => {
    const handler: ReconcileHandler = () => {
      throw new Error('not async');
    };
    const { queue, reports } = makeQueue(handler);
    queue.start();
    queue.add('a');
    await settle();
    expect(reports).toMatchObject([{ key: 'a', outcome: 'error', retryInMs: 100 }]);
  });

  it('backs off instead of spinning when a handler asks for a negative or NaN requeue', async () => {
    const handler = vi.fn<ReconcileHandler>(() => Promise.resolve({ requeueAfterMs: Number.NaN }));
    const { queue, clock, reports } = makeQueue(handler);
    queue.start();
    queue.add('a');
    await settle();
    handler.mockResolvedValue({ requeueAfterMs: -5 });
    await clock.advance(100);
    expect(reports.map((r) => [r.outcome, r.retryInMs])).toEqual([
      ['error', 100],
      ['error', 200],
    ]);
    expect(String(reports[1]!.error)).toMatch(/asked to requeue after -5 ms/);
  });
});

describe('WorkQueue: timers', () => {
  it('runs a key again after the delay its handler asks for', async () => {
    const handler = vi.fn<ReconcileHandler>(async () => {});
    handler.mockResolvedValueOnce({ requeueAfterMs: 5_000 });
    const { queue, clock, reports } = makeQueue(handler);
    queue.start();
    queue.add('shop/checkout');
    await settle();
    expect(reports[0]).toMatchObject({ outcome: 'requeue', retryInMs: 5_000 });
    expect(queue.depth).toEqual({ queued: 0, waiting: 1 });

    await clock.advance(4_999);
    expect(handler).toHaveBeenCalledTimes(1);
    await clock.advance(1);
    expect(handler).toHaveBeenCalledTimes(2);
    expect(reports[1]!.outcome).toBe('success');
    expect(queue.depth).toEqual({ queued: 0, waiting: 0 });
  });

  it('keeps the earliest of two delays for one key', async () => {
    const handler = vi.fn<ReconcileHandler>(async () => {});
    const { queue, clock } = makeQueue(handler);
    queue.start();
    queue.addAfter('late-then-early', 5_000);
    queue.addAfter('late-then-early', 1_000);
    queue.addAfter('early-then-late', 1_000);
    queue.addAfter('early-then-late', 5_000);
    expect(queue.depth.waiting).toBe(2);
    expect(clock.pendingTimers).toBe(2);

    await clock.advance(1_000);
    expect(handler.mock.calls.map(([key]) => key).sort()).toEqual(['early-then-late', 'late-then-early']);
    await clock.advance(10_000);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('runs a waiting key at once when it is added, and drops its timer', async () => {
    const handler = vi.fn<ReconcileHandler>(async () => {});
    const { queue, clock } = makeQueue(handler);
    queue.start();
    queue.addAfter('a', 5_000);
    queue.add('a');
    await settle();
    expect(handler).toHaveBeenCalledTimes(1);
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(5_000);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('ignores a delay for a key that is queued to run now', async () => {
    const handler = vi.fn<ReconcileHandler>(async () => {});
    const { queue, clock } = makeQueue(handler);
    queue.add('a');
    queue.addAfter('a', 1_000);
    expect(queue.depth).toEqual({ queued: 1, waiting: 0 });
    queue.start();
    await clock.advance(2_000);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('runs a key now for a delay of zero or less, and refuses a delay that is not a number', async () => {
    const handler = vi.fn<ReconcileHandler>(async () => {});
    const { queue } = makeQueue(handler);
    queue.start();
    queue.addAfter('a', 0);
    queue.addAfter('b', -10);
    await settle();
    expect(handler).toHaveBeenCalledTimes(2);
    expect(() => queue.addAfter('c', Number.NaN)).toThrow(RangeError);
    expect(() => queue.addAfter('c', Number.POSITIVE_INFINITY)).toThrow(/finite/);
  });

  it('caps a long requeue delay, so that a 720h pause wakes its key once an hour and not every millisecond', async () => {
    const handler = vi.fn<ReconcileHandler>(() => Promise.resolve({ requeueAfterMs: 720 * 3_600_000 }));
    const { queue, clock } = makeQueue(handler);
    queue.start();
    queue.add('shop/checkout');
    await settle();
    expect(handler).toHaveBeenCalledTimes(1);
    await clock.advance(3_600_000 - 1);
    expect(handler).toHaveBeenCalledTimes(1);
    await clock.advance(1);
    expect(handler).toHaveBeenCalledTimes(2);
    await clock.advance(2 * 3_600_000);
    expect(handler).toHaveBeenCalledTimes(4);
    expect(() => makeQueue(handler, { maxRequeueMs: 2 ** 31 })).toThrow(/maxRequeueMs/);
  });

  it('reports how long each run took on the queue clock', async () => {
    const clock = new ManualClock();
    const handler: ReconcileHandler = () => new Promise((resolve) => clock.schedule(resolve, 250));
    const { queue, reports } = makeQueue(handler, { clock });
    queue.start();
    queue.add('a');
    await clock.advance(250);
    expect(reports).toMatchObject([{ key: 'a', outcome: 'success', durationMs: 250 }]);
  });
});

describe('WorkQueue: shutdown', () => {
  it('drops queued keys and timers and resolves once the runs in flight end', async () => {
    const clock = new ManualClock();
    const held = heldHandler();
    const { queue, reports } = makeQueue(held.handler, { clock });
    queue.start();
    queue.add('in-flight');
    queue.add('queued');
    queue.addAfter('waiting', 1_000);
    await settle();
    expect(held.open()).toEqual(['in-flight']);

    let stopped = false;
    const stopping = queue.shutdown().then(() => (stopped = true));
    expect(queue.shutdown()).toBe(queue.shutdown());
    expect(clock.pendingTimers).toBe(0);
    expect(queue.depth).toEqual({ queued: 0, waiting: 0 });
    queue.add('after-shutdown');
    queue.addAfter('after-shutdown', 10);
    await settle();
    expect(stopped).toBe(false);

    held.runs[0]!.fail(new Error('interrupted'));
    await stopping;
    expect(stopped).toBe(true);
    await clock.advance(60_000);
    expect(held.runs.map((r) => r.key)).toEqual(['in-flight']);
    // The run that ended during shutdown is still reported, but nothing is scheduled for it.
    expect(reports).toMatchObject([{ key: 'in-flight', outcome: 'error' }]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('resolves at once with nothing in flight, and cannot be started again', async () => {
    const handler = vi.fn<ReconcileHandler>(async () => {});
    const { queue } = makeQueue(handler);
    queue.add('a');
    await queue.shutdown();
    expect(() => queue.start()).toThrow(/shut down/);
    expect(handler).not.toHaveBeenCalled();
  });
});

describe('WorkQueue: options and hooks', () => {
  it.each([
    ['no workers', { concurrency: 0 }, /concurrency/],
    ['a fraction of a worker', { concurrency: 1.5 }, /concurrency/],
    ['a zero backoff', { baseBackoffMs: 0 }, /backoff/],
    ['a cap below the base', { baseBackoffMs: 500, maxBackoffMs: 100 }, /backoff/],
    ['an endless cap', { maxBackoffMs: Number.POSITIVE_INFINITY }, /backoff/],
  ])('refuses %s', (_what, options, message) => {
    expect(() => new WorkQueue({ handler: async () => {}, ...options })).toThrow(message);
  });

  it('keeps working when the result hook throws, and turns the throw into a process warning', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const handler = vi.fn<ReconcileHandler>(async () => {});
      const { queue } = makeQueue(handler, {
        onResult: () => {
          throw new Error('metrics broke');
        },
      });
      queue.start();
      queue.add('a');
      await settle();
      queue.add('b');
      await settle();
      expect(handler).toHaveBeenCalledTimes(2);
      expect(warn).toHaveBeenCalledTimes(2);
      expect(String(warn.mock.calls[0]![0])).toMatch(/metrics broke/);
    } finally {
      warn.mockRestore();
    }
  });
});

describe('WorkQueue on the system clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never lets a timer above 2^31-1 ms fire early, as Node does with such a delay', async () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    systemClock.schedule(fired, 720 * 3_600_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fired).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(2 ** 31 - 1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('fires requeue timers through setTimeout, so fake timers drive it', async () => {
    vi.useFakeTimers();
    const handler = vi.fn<ReconcileHandler>(async () => {});
    const queue = new WorkQueue({ handler });
    queue.start();
    queue.addAfter('a', 30_000);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(handler).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(handler).toHaveBeenCalledWith('a');
    await queue.shutdown();
  });
});

describe('backoffDelayMs', () => {
  it('doubles from the base and stops at the cap, even after very many failures', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, 200, 60_000))).toEqual([200, 400, 800, 1_600]);
    expect(backoffDelayMs(9, 200, 60_000)).toBe(51_200);
    expect(backoffDelayMs(10, 200, 60_000)).toBe(60_000);
    expect(backoffDelayMs(5_000, 200, 60_000)).toBe(60_000);
  });
});
