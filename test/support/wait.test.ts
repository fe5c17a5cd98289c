import { describe, expect, it } from 'vitest';
import { GiveUp, waitFor } from './wait.ts';

describe('waitFor', () => {
  it('returns the first value that is neither undefined nor false', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls < 3 ? false : `ready after ${calls}`), {
      timeoutMs: 2_000,
      intervalMs: 1,
      what: 'x',
    });
    expect(value).toBe('ready after 3');
  });

  it('names what it awaited and the last error when it times out', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('connection refused');
        },
        { timeoutMs: 30, intervalMs: 5, what: 'the API server' },
      ),
    ).rejects.toThrow(/timed out after 30 ms waiting for the API server: connection refused/);
  });
});

describe('waitFor and GiveUp', () => {
  it('stops waiting at once when the probe gives up', async () => {
    const started = Date.now();
    await expect(
      waitFor(
        () => {
          throw new GiveUp('etcd exited');
        },
        { timeoutMs: 10_000, what: 'etcd' },
      ),
    ).rejects.toThrow('etcd exited');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
