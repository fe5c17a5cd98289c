import { describe, expect, it, vi } from 'vitest';
import { backoffDelayMs, type ReconcileHandler } from './workQueue.ts';
import { makeQueue, settle } from './workQueue.test-support.ts';

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

describe('backoffDelayMs', () => {
  it('doubles from the base and stops at the cap, even after very many failures', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, 200, 60_000))).toEqual([200, 400, 800, 1_600]);
    expect(backoffDelayMs(9, 200, 60_000)).toBe(51_200);
    expect(backoffDelayMs(10, 200, 60_000)).toBe(60_000);
    expect(backoffDelayMs(5_000, 200, 60_000)).toBe(60_000);
  });
});
