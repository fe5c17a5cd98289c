import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock, WorkQueue, type ReconcileHandler } from './workQueue.ts';
import { heldHandler, makeQueue, ManualClock, settle } from './workQueue.test-support.ts';

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

describe('WorkQueue: runs', () => {
  it('counts every finished run, failed ones too, and not the keys still waiting', async () => {
    const held = heldHandler();
    const { queue } = makeQueue(held.handler);
    queue.start();
    queue.add('a');
    queue.add('b');
    await settle();
    expect(queue.runs).toBe(0);
    held.runs[0]!.fail(new Error('refused'));
    await settle();
    expect(queue.runs).toBe(1);
    held.runs[1]!.finish(undefined);
    await settle();
    expect(queue.runs).toBe(2);
    await queue.shutdown();
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
