import { describe, expect, it, vi } from 'vitest';
import { WorkQueue, type ReconcileHandler } from './workQueue.ts';
import { heldHandler, makeQueue, ManualClock, settle } from './workQueue.test-support.ts';

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
