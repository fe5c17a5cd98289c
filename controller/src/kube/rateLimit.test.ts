import { describe, expect, it } from 'vitest';
import { TokenBucket } from './rateLimit.ts';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

describe('TokenBucket', () => {
  it('lets a burst through at once, then spaces requests at 1/qps', () => {
    const c = clock();
    const bucket = new TokenBucket({ qps: 10, burst: 3 }, c.now);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
    expect(bucket.reserve()).toBeCloseTo(100);
    expect(bucket.reserve()).toBeCloseTo(200); // queued behind the one before it
  });

  it('refills with time, never beyond the burst', () => {
    const c = clock();
    const bucket = new TokenBucket({ qps: 5, burst: 2 }, c.now);
    bucket.reserve();
    bucket.reserve();
    c.advance(200); // one token back
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBeCloseTo(200);
    c.advance(60_000); // a long quiet spell refills only up to the burst
    expect([bucket.reserve(), bucket.reserve()]).toEqual([0, 0]);
    expect(bucket.reserve()).toBeCloseTo(200);
  });

  it('makes a caller of take() wait for its token', async () => {
    const bucket = new TokenBucket({ qps: 20, burst: 1 });
    await bucket.take();
    const started = performance.now();
    await bucket.take();
    expect(performance.now() - started).toBeGreaterThanOrEqual(40);
  });

  it('lets a waiting caller give up when its signal aborts, with its reason, and hands its token back', async () => {
    const c = clock();
    const bucket = new TokenBucket({ qps: 10, burst: 1 }, c.now);
    bucket.reserve();
    const stop = new AbortController();
    const started = performance.now();
    const waiting = bucket.take(stop.signal).then(
      () => 'sent',
      (err: unknown) => err,
    );
    setTimeout(() => stop.abort(new Error('no longer the leader')), 10);
    expect(await waiting).toEqual(new Error('no longer the leader'));
    expect(performance.now() - started).toBeLessThan(90);
    // The next caller takes the slot the one that gave up had, not the one after it.
    expect(bucket.reserve()).toBeCloseTo(100);
    // A signal already aborted: no token taken at all.
    await expect(bucket.take(AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
    expect(bucket.reserve()).toBeCloseTo(200);
  });

  it('refuses limits that would block forever', () => {
    expect(() => new TokenBucket({ qps: 0, burst: 1 })).toThrow(/qps/);
    expect(() => new TokenBucket({ qps: 1, burst: 0 })).toThrow(/burst/);
  });
});
