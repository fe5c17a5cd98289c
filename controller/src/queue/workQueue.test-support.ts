/**
 * Test doubles for code driven by the work queue: a clock the test moves by hand, and a handler whose runs stay
 * in flight until the test ends them. Deterministic and fast: no real time passes in a test that uses them.
 */
import {
  WorkQueue,
  type QueueClock,
  type ReconcileHandler,
  type ReconcileReport,
  type ReconcileResult,
  type WorkQueueOptions,
} from './workQueue.ts';

/** Lets every resolved promise chain run: the queue's bookkeeping after a handler settles is a few ticks deep. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock the test moves by hand: `advance` fires the timers that fall due in order, letting promise chains settle
 * before each, so that a timer scheduled by a run that ends during the advance fires in it too.
 */
export class ManualClock implements QueueClock {
  #now = 0;
  #timers: { dueAt: number; seq: number; callback: () => void }[] = [];
  #seq = 0;

  now(): number {
    return this.#now;
  }

  schedule(callback: () => void, delayMs: number): () => void {
    const timer = { dueAt: this.#now + delayMs, seq: this.#seq++, callback };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  get pendingTimers(): number {
    return this.#timers.length;
  }

  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      // Runs still settling may schedule timers that fall inside this advance.
      await settle();
      const due = this.#timers.filter((t) => t.dueAt <= target).sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = due.dueAt;
      due.callback();
    }
    this.#now = target;
    await settle();
  }
}

export interface HeldRun {
  key: string;
  finish: (result?: ReconcileResult) => void;
  fail: (error: unknown) => void;
}

/** A handler whose runs stay in flight until the test finishes or fails them. */
export function heldHandler() {
  const runs: HeldRun[] = [];
  const open = new Set<HeldRun>();
  const handler: ReconcileHandler = (key) =>
    new Promise<ReconcileResult>((resolve, reject) => {
      const run: HeldRun = {
        key,
        finish: (result) => {
          open.delete(run);
          resolve(result);
        },
        fail: (error) => {
          open.delete(run);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      };
      runs.push(run);
      open.add(run);
    });
  return { handler, runs, open: () => [...open].map((r) => r.key) };
}

/** A queue on a ManualClock with short backoffs, recording every report it makes. */
export function makeQueue(handler: ReconcileHandler, options: Partial<WorkQueueOptions> = {}) {
  const clock = new ManualClock();
  const reports: (ReconcileReport & { key: string })[] = [];
  const queue = new WorkQueue({
    handler,
    clock,
    baseBackoffMs: 100,
    maxBackoffMs: 1_000,
    onResult: (key, report) => reports.push({ key, ...report }),
    ...options,
  });
  return { queue, clock, reports };
}
