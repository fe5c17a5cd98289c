import { describe, expect, it } from 'vitest';
import { OpenCounter, RequestRateLimiter } from './clientLimits.ts';

describe('RequestRateLimiter', () => {
  it('lets a burst through, then refuses with the wait until the next token, per address', () => {
    let now = 0;
    const limiter = new RequestRateLimiter({ perSecond: 2, burst: 3 }, { now: () => now });
    expect([1, 2, 3].map(() => limiter.take('10.0.0.1'))).toEqual([0, 0, 0]);
    expect(limiter.take('10.0.0.1')).toBe(500);
    expect(limiter.take('10.0.0.2')).toBe(0);
    now = 499;
    expect(limiter.take('10.0.0.1')).toBe(1);
    now = 500;
    expect(limiter.take('10.0.0.1')).toBe(0);
    expect(limiter.take('10.0.0.1')).toBe(500);
  });

  it('remembers at most maxClients addresses', () => {
    const limiter = new RequestRateLimiter({ perSecond: 1, burst: 1 }, { maxClients: 2, now: () => 0 });
    for (const client of ['a', 'b', 'c', 'd']) limiter.take(client);
    expect(limiter.clients).toBe(2);
  });

  it('refuses a rate that would never refill', () => {
    expect(() => new RequestRateLimiter({ perSecond: 0, burst: 1 })).toThrow(/perSecond > 0/);
  });
});

describe('OpenCounter', () => {
  it('caps per address and in total, and counts a release once', () => {
    const counter = new OpenCounter({ perClient: 2, total: 3 });
    const a1 = counter.open('a');
    const a2 = counter.open('a');
    expect(counter.open('a')).toEqual({ kind: 'perClient' });
    const b1 = counter.open('b');
    expect(counter.open('c')).toEqual({ kind: 'total' });
    expect([a1.kind, a2.kind, b1.kind]).toEqual(['ok', 'ok', 'ok']);
    if (a1.kind !== 'ok') throw new Error('unreachable');
    a1.release();
    a1.release();
    expect(counter.count).toBe(2);
    expect(counter.open('c').kind).toBe('ok');
    expect(counter.open('a')).toEqual({ kind: 'total' });
  });
});
