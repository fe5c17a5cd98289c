import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffMs } from './deliveryQueue.ts';
import { harness, item, ok } from './deliveryQueue.test-support.ts';
import type { SendOutcome } from './send.ts';

const down: SendOutcome = { kind: 'retry', reason: 'http_5xx', status: 503 };

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('backoffMs', () => {
  it('doubles from the base up to the cap, with at most half of it as jitter', () => {
    for (const r of [0, 0.5, 0.999]) {
      const delays = [1, 2, 3, 4, 12].map((a) => backoffMs(a, 1_000, 8_000, () => r));
      const full = [1_000, 2_000, 4_000, 8_000, 8_000];
      delays.forEach((d, i) => {
        expect(d).toBeGreaterThanOrEqual(full[i]! / 2);
        expect(d).toBeLessThanOrEqual(full[i]!);
      });
    }
  });
});

describe('DeliveryQueue', () => {
  it('enqueue sends nothing by itself: the worker does, later', async () => {
    const h = harness(() => ok);
    h.queue.enqueue(item('shop', 'a'));
    expect(h.attempts).toEqual([]);
    expect(h.queue.depth).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.delivered).toEqual(['a']);
    expect(h.queue.depth).toBe(0);
  });

  it('retries a 5xx with growing delays until the receiver is back, and loses nothing', async () => {
    let up = false;
    const h = harness(() => (up ? ok : down), { baseBackoffMs: 1_000 });
    h.queue.enqueue(item('shop', 'a'));
    h.queue.enqueue(item('shop', 'b'));
    await vi.advanceTimersByTimeAsync(10_000);
    const gaps = h.attempts.filter((a) => a.key === 'a').map((a, i, all) => (i === 0 ? 0 : a.at - all[i - 1]!.at));
    expect(gaps.slice(1, 4)).toEqual([750, 1_500, 3_000]); // (1 + 0.5) / 2 of 1 s, 2 s, 4 s
    up = true;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(h.delivered.sort()).toEqual(['a', 'b']);
    expect(h.dropped).toEqual([]);
  });

  it('waits as long as Retry-After asks, up to its cap', async () => {
    let n = 0;
    const h = harness(() => (++n === 1 ? { ...down, status: 429, reason: 'http_429', retryAfterMs: 30_000 } : ok), {
      maxRetryAfterMs: 20_000,
    });
    h.queue.enqueue(item('shop', 'a'));
    await vi.advanceTimersByTimeAsync(19_000);
    expect(h.delivered).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_001);
    expect(h.delivered).toEqual(['a']);
  });

  it('does not retry a 4xx: dropped as refused after one attempt', async () => {
    const h = harness(() => ({ kind: 'refused', reason: 'http_4xx', status: 400 }));
    h.queue.enqueue(item('shop', 'a'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.attempts).toHaveLength(1);
    expect(h.dropped).toEqual([['a', 'refused']]);
    expect(h.queue.depth).toBe(0);
  });

  it('drops a delivery older than maxAgeMs, once, and counts it', async () => {
    const h = harness(() => down, { maxAgeMs: 10_000, baseBackoffMs: 1_000, maxBackoffMs: 2_000 });
    const start = Date.now();
    h.queue.enqueue(item('shop', 'a'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.dropped).toEqual([['a', 'max_age']]);
    expect(h.attempts.length).toBeGreaterThan(3);
    expect(h.attempts.every((a) => a.at - start <= 10_000)).toBe(true);
    expect(h.queue.depth).toBe(0);
  });

  it("a namespace over its share loses its own oldest, not another namespace's", () => {
    const h = harness(() => down, { perNamespace: 3, concurrency: 1 });
    h.queue.enqueue(item('other', 'o1'));
    for (let i = 1; i <= 5; i++) h.queue.enqueue(item('noisy', `n${i}`));
    expect(h.dropped).toEqual([
      ['n1', 'namespace_share'],
      ['n2', 'namespace_share'],
    ]);
    expect(h.queue.depth).toBe(4);
  });

  it('a full queue takes the oldest of the namespace that holds the most', () => {
    const h = harness(() => down, { capacity: 4, perNamespace: 10 });
    for (const k of ['a1', 'a2', 'a3']) h.queue.enqueue(item('a', k));
    h.queue.enqueue(item('b', 'b1'));
    h.queue.enqueue(item('c', 'c1'));
    expect(h.dropped).toEqual([['a1', 'queue_full']]);
    expect(h.queue.depth).toBe(4);
  });

  it('namespaces take turns: one delivery of a quiet namespace goes before the rest of a noisy one', async () => {
    const h = harness(() => ok, { concurrency: 1 });
    for (let i = 1; i <= 5; i++) h.queue.enqueue(item('noisy', `n${i}`));
    h.queue.enqueue(item('quiet', 'q1'));
    await vi.advanceTimersByTimeAsync(100);
    expect(h.delivered.indexOf('q1')).toBeLessThanOrEqual(1);
    expect(h.delivered).toHaveLength(6);
  });

  it('stop drops what waits (counted) and takes nothing new', async () => {
    const h = harness(() => down);
    h.queue.enqueue(item('shop', 'a'));
    await vi.advanceTimersByTimeAsync(0);
    await h.queue.stop(100);
    h.queue.enqueue(item('shop', 'b'));
    expect(h.dropped).toEqual([
      ['a', 'stopping'],
      ['b', 'stopping'],
    ]);
    expect(h.queue.depth).toBe(0);
  });

  it('a receiver that does not answer holds at most its share of the senders; another receiver still gets its own', async () => {
    const h = harness((d) => (d.target === 'slow' ? new Promise<SendOutcome>(() => undefined) : ok), {
      concurrency: 4,
    });
    for (let i = 1; i <= 6; i++) h.queue.enqueue(item(`ns${i}`, `s${i}`, 'slow'));
    h.queue.enqueue(item('ns7', 'f1', 'fast'));
    await vi.advanceTimersByTimeAsync(100);
    expect(h.attempts.filter((a) => a.key.startsWith('s'))).toHaveLength(2);
    expect(h.delivered).toEqual(['f1']);
  });
});
