/**
 * AnswerBudget: how many bytes of Prometheus answers the whole controller may hold at once. The per-answer cap
 * alone let a template of 20 metrics hold 20 answers of 8 MiB (and their parsed form, several times that) at the
 * same moment; this budget is shared by every query of the process, so memory stays bounded however many
 * analyses measure together.
 *
 * Bytes are counted as they arrive from the socket (a Content-Length can be absent or wrong) and held until the
 * answer has been turned into numbers. Counting alone would deadlock: twenty answers each holding a part of the
 * budget and each waiting for more would wait for each other until they all time out. So the budget is cut in
 * two kinds of room, and an answer moves up at most once:
 * - small rooms of `smallAnswerBytes` (most answers are a few hundred bytes): an answer takes one when its first
 *   bytes arrive, waiting in line while holding nothing;
 * - large rooms of `maxAnswerBytes`, the most any answer may be: an answer that outgrows its small room waits in
 *   line for one, then gives the small room back. A large room is never short of bytes, so whoever holds one
 *   always finishes, and the line always moves.
 * Every wait ends with the request's own deadline; no answer waits without end.
 */

/** Why room could not be had: the deadline passed (or the request was aborted) while waiting in line. */
export class BudgetExhausted extends Error {
  constructor() {
    super('no room in the answer budget before the deadline');
    this.name = 'BudgetExhausted';
  }
}

/**
 * A counted set of rooms handed out first come, first served, with one limit: a tenant (the Rollout's namespace)
 * holds at most half of them, so that one team's slow, large answers cannot keep every other team's waiting until
 * their deadlines pass. A waiter over its share lets the ones behind it go first.
 */
class Rooms {
  #free: number;
  readonly #perTenant: number;
  readonly #held = new Map<string, number>();
  readonly #line: { tenant: string; grant: () => void }[] = [];

  constructor(count: number) {
    this.#free = count;
    this.#perTenant = Math.max(1, Math.ceil(count / 2));
  }

  async take(signal: AbortSignal, tenant: string): Promise<void> {
    if (
      this.#free > 0 &&
      this.#heldBy(tenant) < this.#perTenant &&
      !this.#line.some((w) => this.#heldBy(w.tenant) < this.#perTenant)
    ) {
      this.#grant(tenant);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        tenant,
        grant: () => {
          signal.removeEventListener('abort', giveUp);
          resolve();
        },
      };
      const giveUp = () => {
        const at = this.#line.indexOf(waiter);
        if (at !== -1) this.#line.splice(at, 1);
        reject(new BudgetExhausted());
      };
      if (signal.aborted) return giveUp();
      signal.addEventListener('abort', giveUp, { once: true });
      this.#line.push(waiter);
    });
  }

  give(tenant: string): void {
    const n = this.#heldBy(tenant) - 1;
    if (n <= 0) this.#held.delete(tenant);
    else this.#held.set(tenant, n);
    this.#free++;
    // The first waiter still under its share goes next.
    while (this.#free > 0) {
      const at = this.#line.findIndex((w) => this.#heldBy(w.tenant) < this.#perTenant);
      if (at === -1) break;
      const [next] = this.#line.splice(at, 1);
      this.#grant(next!.tenant);
      next!.grant();
    }
  }

  #heldBy(tenant: string): number {
    return this.#held.get(tenant) ?? 0;
  }

  #grant(tenant: string): void {
    this.#free--;
    this.#held.set(tenant, this.#heldBy(tenant) + 1);
  }
}

export interface AnswerBudgetOptions {
  /** The most one answer may be; at most half the budget. 8 MiB when omitted. */
  maxAnswerBytes?: number;
  /** What most answers fit in. 256 KiB when omitted. */
  smallAnswerBytes?: number;
}

export class AnswerBudget {
  /** The budget in bytes. */
  readonly totalBytes: number;
  readonly maxAnswerBytes: number;
  readonly smallAnswerBytes: number;
  readonly #large: Rooms;
  readonly #small: Rooms;
  #held = 0;
  #peak = 0;

  constructor(totalBytes: number, opts: AnswerBudgetOptions = {}) {
    if (!Number.isSafeInteger(totalBytes) || totalBytes < 2)
      throw new RangeError(`an answer budget must be a whole number of bytes of at least 2, not ${totalBytes}`);
    this.totalBytes = totalBytes;
    this.maxAnswerBytes = Math.min(opts.maxAnswerBytes ?? 8 * 1024 * 1024, Math.floor(totalBytes / 2));
    this.smallAnswerBytes = Math.min(opts.smallAnswerBytes ?? 256 * 1024, this.maxAnswerBytes);
    // At least one large room; what the large rooms leave is cut into small ones (at least one).
    const large = Math.max(1, Math.floor(totalBytes / this.maxAnswerBytes) - 1);
    this.#large = new Rooms(large);
    this.#small = new Rooms(
      Math.max(1, Math.floor((totalBytes - large * this.maxAnswerBytes) / this.smallAnswerBytes)),
    );
  }

  /** Bytes held by answers in flight now. */
  get heldBytes(): number {
    return this.#held;
  }

  /** The most bytes ever held at once: what tests compare with the budget. */
  get peakBytes(): number {
    return this.#peak;
  }

  /** Opens an account for one answer of `tenant` (the Rollout's namespace); close it (in a finally) to give its room back. */
  open(tenant = ''): AnswerAccount {
    return new AnswerAccount(this, this.#large, this.#small, tenant, (delta) => {
      this.#held += delta;
      if (this.#held > this.#peak) this.#peak = this.#held;
    });
  }
}

/** The room and bytes of one answer. */
export class AnswerAccount {
  readonly #budget: AnswerBudget;
  readonly #large: Rooms;
  readonly #small: Rooms;
  readonly #count: (delta: number) => void;
  readonly #tenant: string;
  #room: 'none' | 'small' | 'large' = 'none';
  #bytes = 0;
  #closed = false;

  constructor(budget: AnswerBudget, large: Rooms, small: Rooms, tenant: string, count: (delta: number) => void) {
    this.#budget = budget;
    this.#tenant = tenant;
    this.#large = large;
    this.#small = small;
    this.#count = count;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Makes the answer `bytes` long, first waiting (until `signal` aborts) for a room it fits in. */
  async grow(bytes: number, signal: AbortSignal): Promise<void> {
    if (this.#closed) throw new Error('the answer account is closed');
    if (bytes > this.#budget.maxAnswerBytes)
      throw new RangeError(`${bytes} bytes is more than an answer may be (${this.#budget.maxAnswerBytes})`);
    if (bytes <= this.#bytes) return;
    if (this.#room === 'none' && bytes <= this.#budget.smallAnswerBytes) {
      await this.#small.take(signal, this.#tenant);
      // Closed while waiting (the request ended): hand the room straight back.
      if (this.#closed) return this.#small.give(this.#tenant);
      this.#room = 'small';
    } else if (this.#room !== 'large' && bytes > this.#budget.smallAnswerBytes) {
      await this.#large.take(signal, this.#tenant);
      if (this.#closed) return this.#large.give(this.#tenant);
      if (this.#room === 'small') this.#small.give(this.#tenant);
      this.#room = 'large';
    }
    this.#count(bytes - this.#bytes);
    this.#bytes = bytes;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#count(-this.#bytes);
    this.#bytes = 0;
    if (this.#room === 'small') this.#small.give(this.#tenant);
    if (this.#room === 'large') this.#large.give(this.#tenant);
    this.#room = 'none';
  }
}
