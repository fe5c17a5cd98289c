/** Polling helpers shared by the local control plane and the test fixtures. */
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Says what was awaited, so a timeout names it. */
  what: string;
}

/** Thrown by a probe when waiting longer cannot help (the awaited process died): waitFor rethrows it at once. */
export class GiveUp extends Error {}

/**
 * Calls `probe` until it returns a value other than undefined/false, or throws after the timeout with the
 * last error the probe raised (a timeout that hides its cause costs the reader a rerun).
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  opts: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}${cause}`, { cause: lastError });
    }
    await sleep(opts.intervalMs ?? 200);
  }
}
