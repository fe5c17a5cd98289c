/**
 * The notifications waiting to be delivered, and the background worker that delivers them. Enqueue is synchronous
 * and constant-time (the executor calls it right after a status write); everything slow happens here, later.
 *
 * Bounds, so that no receiver and no tenant can grow memory or starve the others:
 * - `capacity` deliveries wait at most, and one namespace holds at most `perNamespace` of them. A namespace over
 *   its share loses its own oldest delivery; a full queue takes the oldest of the namespace holding the most.
 *   Either drop is counted (onDropped) with its reason.
 * - namespaces take turns: the worker goes round them, one ready delivery each, so one tenant's thousand
 *   notifications to a dead receiver never hold back another's; and one receiver (a channel) holds at most
 *   `perTarget` of the senders, so a receiver that answers slowly cannot stall the others.
 * - a delivery is retried while the receiver is out of reach or answers 5xx/429, with exponential backoff and
 *   jitter (Retry-After is honoured up to `maxRetryAfterMs`), and dropped once older than `maxAgeMs`. A 429, or any
 *   answer with Retry-After, holds every delivery to that receiver (all namespaces'), not only the one that got it:
 *   the receiver asked Sluice to slow down, not one message.
 * - one namespace sends one receiver at most `burstPerNamespace` at once and `perNamespacePerMinute` a minute after
 *   that (a token bucket per namespace and receiver): a tenant whose Rollout flaps cannot flood a shared channel.
 *   Over the rate, deliveries wait (within the namespace's share and `maxAgeMs`), they are not dropped.
 * What it does not do: survive a restart. Deliveries waiting when the process dies are lost, as Events are; the
 * delivery id is deterministic, so a transition that is planned again after a restart repeats with the same id.
 */
import type { SendOutcome } from './send.ts';

export interface Delivery {
  /** The namespace of the Rollout: the unit of fairness. */
  namespace: string;
  /** Delivery id + channel: what identifies it in logs. */
  key: string;
  /** The receiver (the channel): one that is slow to answer may hold at most `perTarget` of the senders. */
  target: string;
}

export type DropReason = 'queue_full' | 'namespace_share' | 'max_age' | 'refused' | 'stopping' | 'not_deliverable';

export interface DeliveryQueueOptions<D extends Delivery> {
  send: (delivery: D, attempt: number) => Promise<SendOutcome | { kind: 'drop'; reason: DropReason }>;
  capacity?: number;
  perNamespace?: number;
  concurrency?: number;
  /** Sends to one target at once; default half of concurrency. */
  perTarget?: number;
  maxAgeMs?: number;
  /** First retry delay; each further one doubles, up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  maxRetryAfterMs?: number;
  /** Sends one namespace may make to one target in a burst; default 10. */
  burstPerNamespace?: number;
  /** Sends one namespace may make to one target a minute, past the burst; default 10. */
  perNamespacePerMinute?: number;
  onDelivered?: (delivery: D) => void;
  onFailed?: (delivery: D, outcome: Exclude<SendOutcome, { kind: 'delivered' }>) => void;
  onDropped?: (delivery: D, reason: DropReason) => void;
  now?: () => number;
  random?: () => number;
}

interface Waiting<D> {
  delivery: D;
  enqueuedAt: number;
  attempts: number;
  notBefore: number;
}

/** The delay before retry number `attempt` (1 = the first retry): exponential, with up to half of it as jitter. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(full / 2 + (random() * full) / 2);
}

export class DeliveryQueue<D extends Delivery> {
  readonly #o: Required<Omit<DeliveryQueueOptions<D>, 'onDelivered' | 'onFailed' | 'onDropped'>> &
    Pick<DeliveryQueueOptions<D>, 'onDelivered' | 'onFailed' | 'onDropped'>;
  /** Per namespace, its deliveries in the order they came; a namespace with none has no entry. */
  readonly #lanes = new Map<string, Waiting<D>[]>();
  #size = 0;
  #active = 0;
  #stopped = false;
  #pumpScheduled = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #activeByTarget = new Map<string, number>();
  /** Targets that answered 429 (or with Retry-After): nothing is sent to them before this time. */
  readonly #pausedUntil = new Map<string, number>();
  /** Per namespace and target, the token bucket of the send rate: tokens left at time `at`. */
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  /** Where the round of namespaces goes on from, so each gets its turn. */
  #turn = 0;
  #idle: (() => void) | undefined;

  constructor(options: DeliveryQueueOptions<D>) {
    this.#o = {
      capacity: 1_000,
      perNamespace: 100,
      concurrency: 4,
      perTarget: Math.max(1, Math.floor((options.concurrency ?? 4) / 2)),
      maxAgeMs: 60 * 60_000,
      baseBackoffMs: 1_000,
      maxBackoffMs: 5 * 60_000,
      maxRetryAfterMs: 10 * 60_000,
      burstPerNamespace: 10,
      perNamespacePerMinute: 10,
      now: Date.now,
      random: Math.random,
      ...options,
    };
  }

  /** Deliveries waiting or being sent. */
  get depth(): number {
    return this.#size;
  }

  /** Synchronous and constant-time: the sending is scheduled, never done here. */
  enqueue(delivery: D): void {
    if (this.#stopped) return this.#drop(delivery, 'stopping');
    let lane = this.#lanes.get(delivery.namespace);
    if (lane !== undefined && lane.length >= this.#o.perNamespace) {
      this.#dropOldest(lane, delivery.namespace, 'namespace_share');
    } else if (this.#size >= this.#o.capacity) {
      const [fullest, fullestLane] = this.#fullestLane();
      if (fullestLane !== undefined) this.#dropOldest(fullestLane, fullest, 'queue_full');
    }
    lane = this.#lanes.get(delivery.namespace);
    if (lane === undefined) this.#lanes.set(delivery.namespace, (lane = []));
    const now = this.#o.now();
    lane.push({ delivery, enqueuedAt: now, attempts: 0, notBefore: now });
    this.#size++;
    this.#schedulePump();
  }

  /** Stops taking deliveries; waits up to `timeoutMs` for the ones being sent, and drops the rest (counted). */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const [ns, lane] of this.#lanes) {
      for (const w of lane.filter((w) => w.attempts >= 0)) this.#drop(w.delivery, 'stopping');
      this.#size -= lane.length;
      this.#lanes.delete(ns);
    }
    if (this.#active === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => (this.#idle = resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  #fullestLane(): [string, Waiting<D>[] | undefined] {
    let best: [string, Waiting<D>[] | undefined] = ['', undefined];
    for (const [ns, lane] of this.#lanes) if (lane.length > (best[1]?.length ?? 0)) best = [ns, lane];
    return best;
  }

  /** Drops the oldest delivery of a lane that is not being sent right now (that one finishes on its own). */
  #dropOldest(lane: Waiting<D>[], namespace: string, reason: DropReason): void {
    const i = lane.findIndex((w) => w.attempts >= 0);
    if (i < 0) return;
    const [gone] = lane.splice(i, 1);
    this.#size--;
    if (lane.length === 0) this.#lanes.delete(namespace);
    this.#drop(gone!.delivery, reason);
  }

  #drop(delivery: D, reason: DropReason): void {
    try {
      this.#o.onDropped?.(delivery, reason);
    } catch {
      // a reporter that throws must not stop the queue
    }
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** Starts sends while there is room, one ready delivery per namespace in turn; sets a timer for the next one. */
  #pump(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = this.#o.now();
    this.#expire(now);
    let next = Infinity;
    let startedAny = true;
    while (this.#active < this.#o.concurrency && startedAny) {
      startedAny = false;
      const namespaces = [...this.#lanes.keys()];
      for (let k = 0; k < namespaces.length && this.#active < this.#o.concurrency; k++) {
        const ns = namespaces[(this.#turn + k) % namespaces.length]!;
        const lane = this.#lanes.get(ns)!;
        const ready = lane.find(
          (w) =>
            w.attempts >= 0 &&
            this.#readyAt(w, now) <= now &&
            (this.#activeByTarget.get(w.delivery.target) ?? 0) < this.#o.perTarget,
        );
        if (ready === undefined) continue;
        startedAny = true;
        this.#turn = (this.#turn + k + 1) % Math.max(1, namespaces.length);
        this.#start(ns, ready);
        break;
      }
    }
    for (const lane of this.#lanes.values())
      for (const w of lane) {
        if (w.attempts < 0) continue;
        const at = this.#readyAt(w, now);
        if (at > now) next = Math.min(next, at);
      }
    this.#forgetIdle(now);
    if (next !== Infinity && this.#active < this.#o.concurrency)
      this.#timer = setTimeout(() => this.#pump(), Math.max(0, next - now)).unref();
  }

  /** When a waiting delivery may be sent: its own backoff, its target's pause, and its namespace's rate there. */
  #readyAt(w: Waiting<D>, now: number): number {
    const { namespace, target } = w.delivery;
    const paused = this.#pausedUntil.get(target) ?? 0;
    const bucket = this.#bucket(namespace, target, now);
    const tokenAt = bucket.tokens >= 1 ? now : now + ((1 - bucket.tokens) * 60_000) / this.#o.perNamespacePerMinute;
    return Math.max(w.notBefore, paused, tokenAt);
  }

  /** The bucket of a namespace and target, refilled up to `now`. */
  #bucket(namespace: string, target: string, now: number): { tokens: number; at: number } {
    const key = `${namespace}\n${target}`;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) this.#buckets.set(key, (bucket = { tokens: this.#o.burstPerNamespace, at: now }));
    const refill = (Math.max(0, now - bucket.at) * this.#o.perNamespacePerMinute) / 60_000;
    bucket.tokens = Math.min(this.#o.burstPerNamespace, bucket.tokens + refill);
    bucket.at = now;
    return bucket;
  }

  /** Drops full buckets and past pauses: what they say is what a missing entry says (bounded maps). */
  #forgetIdle(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      const tokens = bucket.tokens + (Math.max(0, now - bucket.at) * this.#o.perNamespacePerMinute) / 60_000;
      if (tokens >= this.#o.burstPerNamespace) this.#buckets.delete(key);
    }
    for (const [target, until] of this.#pausedUntil) if (until <= now) this.#pausedUntil.delete(target);
  }

  #expire(now: number): void {
    for (const [ns, lane] of this.#lanes) {
      for (const w of [...lane]) {
        if (w.attempts >= 0 && now - w.enqueuedAt > this.#o.maxAgeMs) this.#remove(ns, w, 'max_age');
      }
    }
  }

  #remove(namespace: string, w: Waiting<D>, dropped?: DropReason): void {
    const lane = this.#lanes.get(namespace);
    const i = lane?.indexOf(w) ?? -1;
    if (lane !== undefined && i >= 0) {
      lane.splice(i, 1);
      this.#size--;
      if (lane.length === 0) this.#lanes.delete(namespace);
    }
    // Not in a lane any more only when it was being sent as the queue stopped (stop() empties the lanes and counts
    // the waiting ones only): it is lost all the same, and counted once, here.
    if (dropped !== undefined) this.#drop(w.delivery, dropped);
  }

  #start(namespace: string, w: Waiting<D>): void {
    this.#bucket(namespace, w.delivery.target, this.#o.now()).tokens -= 1;
    const attempt = w.attempts + 1;
    w.attempts = -attempt; // negative: being sent (never dropped or started twice meanwhile)
    this.#active++;
    const target = w.delivery.target;
    this.#activeByTarget.set(target, (this.#activeByTarget.get(target) ?? 0) + 1);
    void this.#attempt(namespace, w, attempt).finally(() => {
      this.#active--;
      const left = (this.#activeByTarget.get(target) ?? 1) - 1;
      if (left > 0) this.#activeByTarget.set(target, left);
      else this.#activeByTarget.delete(target);
      if (this.#active === 0 && this.#size === 0) this.#idle?.();
      this.#schedulePump();
    });
  }

  async #attempt(namespace: string, w: Waiting<D>, attempt: number): Promise<void> {
    let outcome: Awaited<ReturnType<DeliveryQueueOptions<D>['send']>>;
    try {
      outcome = await this.#o.send(w.delivery, attempt);
    } catch {
      outcome = { kind: 'retry', reason: 'network' };
    }
    if (outcome.kind === 'delivered') {
      this.#remove(namespace, w);
      this.#o.onDelivered?.(w.delivery);
      return;
    }
    if (outcome.kind === 'drop') return this.#remove(namespace, w, outcome.reason);
    this.#o.onFailed?.(w.delivery, outcome);
    if (this.#stopped) return this.#remove(namespace, w, 'stopping');
    if (outcome.kind === 'refused') return this.#remove(namespace, w, 'refused');
    const now = this.#o.now();
    const backoff = backoffMs(attempt, this.#o.baseBackoffMs, this.#o.maxBackoffMs, this.#o.random);
    const asked = Math.min(outcome.retryAfterMs ?? 0, this.#o.maxRetryAfterMs);
    const notBefore = now + Math.max(backoff, asked);
    if (outcome.reason === 'http_429' || outcome.retryAfterMs !== undefined) {
      // The receiver's own limit: every delivery to it waits, whichever namespace it comes from.
      const target = w.delivery.target;
      this.#pausedUntil.set(target, Math.max(this.#pausedUntil.get(target) ?? 0, notBefore));
    }
    if (notBefore - w.enqueuedAt > this.#o.maxAgeMs) return this.#remove(namespace, w, 'max_age');
    w.attempts = attempt;
    w.notBefore = notBefore;
  }
}
