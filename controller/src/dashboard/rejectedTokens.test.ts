import { describe, expect, it } from 'vitest';
import { RejectedTokens } from './rejectedTokens.ts';

describe('RejectedTokens', () => {
  it('remembers a refusal for the ttl, by hash only', () => {
    let now = 0;
    const rejected = new RejectedTokens({ ttlMs: 10_000, now: () => now });
    rejected.remember('made-up-token', 'the API server did not accept the token');
    expect(rejected.reason('made-up-token')).toBe('the API server did not accept the token');
    expect(rejected.reason('another-token')).toBeUndefined();
    expect(rejected.keys().join()).not.toContain('made-up-token');
    now = 10_000;
    expect(rejected.reason('made-up-token')).toBeUndefined();
    expect(rejected.size).toBe(0);
  });

  it('holds at most maxEntries, forgetting the oldest', () => {
    const rejected = new RejectedTokens({ maxEntries: 2, now: () => 0 });
    for (const token of ['a', 'b', 'c']) rejected.remember(token, token);
    expect(rejected.size).toBe(2);
    expect(rejected.reason('a')).toBeUndefined();
    expect(rejected.reason('c')).toBe('c');
  });
});
