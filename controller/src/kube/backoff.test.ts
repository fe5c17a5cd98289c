import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';

describe('Backoff', () => {
  it('doubles from the initial delay up to the ceiling', () => {
    const b = new Backoff({ initialMs: 500, maxMs: 5_000, jitter: 0 });
    expect([1, 2, 3, 4, 5, 6].map(() => b.next())).toEqual([500, 1_000, 2_000, 4_000, 5_000, 5_000]);
    expect(b.failures).toBe(6);
  });

  it('starts over after a reset', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1_000, jitter: 0 });
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('removes at most the jitter fraction, never adds', () => {
    expect(new Backoff({ initialMs: 1_000, maxMs: 1_000, jitter: 0.2 }, () => 0).next()).toBe(1_000);
    expect(new Backoff({ initialMs: 1_000, maxMs: 1_000, jitter: 0.2 }, () => 0.999_999).next()).toBe(800);
    const random = new Backoff({ initialMs: 1_000, maxMs: 8_000 });
    for (let i = 0; i < 50; i++) {
      const d = random.next();
      expect(d).toBeLessThanOrEqual(8_000);
      expect(d).toBeGreaterThanOrEqual(Math.min(8_000, 1_000 * 2 ** i) * 0.8 - 1);
    }
  });

  it('honours another growth factor', () => {
    const b = new Backoff({ initialMs: 10, maxMs: 1_000, factor: 3, jitter: 0 });
    expect([b.next(), b.next(), b.next()]).toEqual([10, 30, 90]);
  });

  it('refuses options that cannot make sense', () => {
    expect(() => new Backoff({ initialMs: 0, maxMs: 10 })).toThrow(/initialMs/);
    expect(() => new Backoff({ initialMs: 100, maxMs: 10 })).toThrow(/maxMs/);
  });
});
