import { describe, expect, it, vi } from 'vitest';
import type { ReconcileHandler } from './workQueue.ts';
import { makeQueue, ManualClock, settle } from './workQueue.test-support.ts';

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

  // For the idle collector (idleCollector.ts), which must not start a whole-heap pause just before a key is due.
  it('says when the soonest requeued key is due, and whether workers take keys', async () => {
    const { queue, clock } = makeQueue(vi.fn<ReconcileHandler>(async () => {}));
    expect(queue.nextDueInMs()).toBeUndefined();
    expect(queue.started).toBe(false); // a follower's queue: keys wait for a leader's workers
    queue.addAfter('a', 30_000);
    queue.addAfter('b', 5_000);
    expect(queue.nextDueInMs()).toBe(5_000);
    queue.start();
    expect(queue.started).toBe(true);
    await clock.advance(2_000);
    expect(queue.nextDueInMs()).toBe(3_000);
    await clock.advance(3_000);
    expect(queue.nextDueInMs()).toBe(25_000);
    await queue.shutdown();
    expect(queue.started).toBe(false);
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
