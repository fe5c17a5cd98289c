import { describe, expect, it } from 'vitest';
import { WriteExpectations } from './expectations.ts';

function withClock() {
  let now = 0;
  const expectations = new WriteExpectations({ ttlMs: 1_000, clock: () => now });
  return { expectations, advance: (ms: number) => (now += ms) };
}

describe('WriteExpectations', () => {
  it('holds a key from our write until the cache shows that version', () => {
    const { expectations } = withClock();
    expect(expectations.behind('shop/checkout')).toBeUndefined();
    expectations.wrote('shop/checkout', '42');
    expect(expectations.behind('shop/checkout')).toBe(1_000);
    expectations.seen('shop/checkout', '41'); // an older version arriving late
    expect(expectations.behind('shop/checkout')).toBe(1_000);
    expect(expectations.behind('shop/other')).toBeUndefined();
    expectations.seen('shop/checkout', '42');
    expect(expectations.behind('shop/checkout')).toBeUndefined();
    expect(expectations.size).toBe(0);
  });

  it('is caught up when a later version came right after ours: the informer reports each in order', () => {
    const { expectations } = withClock();
    expectations.wrote('shop/checkout', '42');
    expectations.seen('shop/checkout', '42');
    expectations.seen('shop/checkout', '43');
    expect(expectations.behind('shop/checkout')).toBeUndefined();
  });

  it('gives up after the ttl, for a relist that jumped over our version, and when the object is gone', () => {
    const { expectations, advance } = withClock();
    expectations.wrote('shop/a', '42');
    advance(600);
    expect(expectations.behind('shop/a')).toBe(400);
    advance(400);
    expect(expectations.behind('shop/a')).toBeUndefined();
    expect(expectations.size).toBe(0);

    expectations.wrote('shop/b', '7');
    expectations.seen('shop/b', undefined);
    expect(expectations.behind('shop/b')).toBeUndefined();
  });

  it("is caught up at once when the watch event beat the write's own response", () => {
    const { expectations } = withClock();
    expectations.seen('shop/a', '42');
    expectations.seen('shop/a', '43');
    expectations.wrote('shop/a', '42');
    expect(expectations.behind('shop/a')).toBeUndefined();
    expectations.seen('shop/a', undefined); // deleted: nothing is remembered
    expectations.wrote('shop/a', '42');
    expect(expectations.behind('shop/a')).toBe(1_000);
  });

  it('waits for the newest of two writes', () => {
    const { expectations } = withClock();
    expectations.wrote('shop/a', '42');
    expectations.wrote('shop/a', '44');
    expectations.seen('shop/a', '42');
    expect(expectations.behind('shop/a')).toBe(1_000);
    expectations.seen('shop/a', '44');
    expect(expectations.behind('shop/a')).toBeUndefined();
  });
});
