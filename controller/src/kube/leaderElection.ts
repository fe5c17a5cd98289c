/**
 * Leader election on a coordination.k8s.io/v1 Lease, so that of several controller replicas exactly one writes.
 * client-node has none; the rules that make it safe are in leaseDecision.ts, this file does the I/O and keeps time.
 *
 * Every retryPeriod a follower reads the Lease and decides; the leader writes a new renewTime from the Lease it
 * wrote last (no read needed: if anyone else wrote since, the update fails with 409 Conflict and the next round
 * reads). Every write carries the resourceVersion it was based on, so two replicas can never both succeed in
 * taking one version of the Lease.
 *
 * isLeader() is the fence (writeFence.ts): it is asked right before each write leaves, after any wait. It turns false
 * renewDeadline after the last successful renew was sent, even if this process is too wedged to notice, and another
 * replica can take over only after seeing the Lease unchanged for leaseDuration (> renewDeadline).
 * leadershipLost() lets writes that are waiting (in the rate limiter) give up the moment leadership ends.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from './clientNode.ts';
import { CoordinationClient, jsonApi, type Lease } from './resourceClients.ts';
import { isConflict, isNotFound } from './apiErrors.ts';
import { NotLeaderError } from './writeFence.ts';
import {
  checkElectionTimings,
  decideElection,
  withinRenewDeadline,
  type ElectionAction,
  type ObservedLease,
} from './leaseDecision.ts';

export interface LeaderElectionOptions {
  namespace: string;
  /** The Lease's name, the same for all replicas of one controller. */
  name: string;
  /** Unique per process (pod name plus something random): a restarted process must not inherit a lease. */
  identity: string;
  /** How long others wait for a silent leader before taking over. Whole seconds. Default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader acts after its last successful renew. Below leaseDurationMs. Default 10 s. */
  renewDeadlineMs?: number;
  /** How often to renew, or to try to acquire. Default 2 s. */
  retryPeriodMs?: number;
  onStartedLeading?: () => void;
  /** Called when this replica must stop acting as leader: renew deadline passed, lease lost, released or stopped. */
  onStoppedLeading?: () => void;
  /** Told about each failed request (the elector retries by itself), for logs; must not throw. */
  onError?: (err: unknown) => void;
}

type LeaseWrite = 'create' | 'replace';

export class LeaderElector {
  readonly #api: CoordinationClient;
  readonly #namespace: string;
  readonly #name: string;
  readonly #identity: string;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #onStartedLeading: () => void;
  readonly #onStoppedLeading: () => void;
  readonly #onError: (err: unknown) => void;
  readonly #releasing = new AbortController();
  #running: Promise<void> | undefined;
  /** The Lease as last read or written: the base of the next write. */
  #lease: Lease | undefined;
  #observed: ObservedLease | undefined;
  #observedAtMs = 0;
  #lastRenewAtMs: number | undefined;
  #leading = false;
  #fence: NodeJS.Timeout | undefined;
  /** Aborted when the current term of leadership ends; born aborted, as this replica does not lead yet. */
  #term = abortedTerm();

  constructor(kc: KubeConfig, options: LeaderElectionOptions) {
    this.#leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = options.retryPeriodMs ?? 2_000;
    checkElectionTimings({
      leaseDurationMs: this.#leaseDurationMs,
      renewDeadlineMs: this.#renewDeadlineMs,
      retryPeriodMs: this.#retryPeriodMs,
    });
    if (options.identity === '') throw new Error('a leader elector needs a non-empty identity');
    this.#api = new CoordinationClient(jsonApi(kc));
    this.#namespace = options.namespace;
    this.#name = options.name;
    this.#identity = options.identity;
    this.#onStartedLeading = options.onStartedLeading ?? (() => undefined);
    this.#onStoppedLeading = options.onStoppedLeading ?? (() => undefined);
    this.#onError = options.onError ?? (() => undefined);
  }

  /**
   * May this replica write now? Check right before each write: the answer can turn false at any moment.
   * An arrow function, so that it can be handed to the executor on its own.
   */
  readonly isLeader = (): boolean =>
    this.#leading && withinRenewDeadline(this.#lastRenewAtMs, this.#renewDeadlineMs, now());

  /**
   * A signal that aborts, with a NotLeaderError, when this replica's current term as leader ends; already aborted
   * when it does not lead. An arrow function, like isLeader.
   */
  readonly leadershipLost = (): AbortSignal => this.#term.signal;

  /** Campaigns and renews until `signal` aborts or release() is called; stops leading when it returns. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running !== undefined) throw new Error('this leader elector is already running');
    this.#running = this.#loop(AbortSignal.any([signal, this.#releasing.signal]));
    await this.#running;
  }

  /**
   * Graceful shutdown: stops campaigning, stops leading, then clears holderIdentity so that another replica takes
   * over at its next retry instead of waiting out the lease. Final.
   */
  async release(): Promise<void> {
    this.#releasing.abort();
    await this.#running;
    this.#setLeading(false);
    const signal = AbortSignal.timeout(2 * this.#requestTimeoutMs());
    for (let attempt = 0; attempt < 2; attempt++) {
      const lease = this.#lease;
      if (lease?.spec?.holderIdentity !== this.#identity) return;
      try {
        await this.#write(
          'replace',
          { ...lease, spec: { ...lease.spec, holderIdentity: '', renewTime: microTime() } },
          signal,
        );
        this.#lease = undefined;
        return;
      } catch (err) {
        if (!isConflict(err)) return this.#onError(err);
      }
      // Our last renew may have landed although its answer was lost: read again, and release if it is still ours.
      try {
        this.#lease = await this.#read(signal);
      } catch (err) {
        return this.#onError(err);
      }
    }
  }

  async #loop(stop: AbortSignal): Promise<void> {
    try {
      while (!stop.aborted) {
        const roundStart = now();
        await this.#round(stop);
        // Followers spread their reads a little so that replicas started together do not stay in step.
        const jitter = this.#leading ? 0 : Math.random() * 0.2 * this.#retryPeriodMs;
        await pause(roundStart + this.#retryPeriodMs + jitter - now(), stop);
      }
    } finally {
      this.#setLeading(false);
    }
  }

  /** One read-decide-write round. */
  async #round(stop: AbortSignal): Promise<void> {
    const signal = AbortSignal.any([stop, AbortSignal.timeout(this.#requestTimeoutMs())]);
    const holdingIt = this.#lease?.spec?.holderIdentity === this.#identity && this.#lastRenewAtMs !== undefined;
    if (!holdingIt) {
      try {
        this.#observe(await this.#read(signal));
      } catch (err) {
        if (!stop.aborted) this.#onError(err);
        return;
      }
    }
    const decision = decideElection({
      identity: this.#identity,
      lease: this.#observed,
      observedAtMs: this.#observedAtMs,
      lastRenewAtMs: this.#lastRenewAtMs,
      nowMs: now(),
      leaseDurationMs: this.#leaseDurationMs,
      renewDeadlineMs: this.#renewDeadlineMs,
    });
    if (!decision.leading) this.#setLeading(false);
    if (decision.action.kind === 'wait' || stop.aborted) return;
    const sentAt = now();
    try {
      const written = await this.#write(
        decision.action.kind === 'create' ? 'create' : 'replace',
        this.#nextLease(decision.action),
        signal,
      );
      this.#lastRenewAtMs = sentAt;
      this.#observe(written);
      this.#armFence();
      this.#setLeading(true);
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) {
        this.#lease = undefined; // someone else wrote or deleted it: read again next round
      } else if (!stop.aborted) {
        this.#onError(err);
      }
    }
  }

  /** The Lease this replica writes for `action`: its own record on top of the one it read. */
  #nextLease(action: Exclude<ElectionAction, { kind: 'wait' }>): Lease {
    const time = microTime();
    const mine = {
      holderIdentity: this.#identity,
      leaseDurationSeconds: this.#leaseDurationMs / 1000,
      renewTime: time,
    };
    if (action.kind === 'create') {
      return {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.#name, namespace: this.#namespace },
        spec: { ...mine, acquireTime: time, leaseTransitions: 0 },
      };
    }
    const base = this.#lease ?? {};
    if (action.kind === 'renew') return { ...base, spec: { ...base.spec, ...mine } };
    // Acquire: a new holder, so a new acquireTime and one more transition.
    return {
      ...base,
      spec: { ...base.spec, ...mine, acquireTime: time, leaseTransitions: (base.spec?.leaseTransitions ?? 0) + 1 },
    };
  }

  async #read(signal: AbortSignal): Promise<Lease | undefined> {
    try {
      return await this.#api.readNamespacedLease({ name: this.#name, namespace: this.#namespace }, signal);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async #write(how: LeaseWrite, body: Lease, signal: AbortSignal): Promise<Lease> {
    const target = { namespace: this.#namespace, body };
    return how === 'create'
      ? this.#api.createNamespacedLease(target, signal)
      : this.#api.replaceNamespacedLease({ ...target, name: this.#name }, signal);
  }

  /** Remembers the Lease, and when this replica first saw its current version (the start of its expiry clock). */
  #observe(lease: Lease | undefined): void {
    this.#lease = lease;
    const version = lease?.metadata?.resourceVersion ?? '';
    if (lease === undefined || version !== this.#observed?.resourceVersion) this.#observedAtMs = now();
    const seconds = lease?.spec?.leaseDurationSeconds;
    this.#observed =
      lease === undefined
        ? undefined
        : {
            holderIdentity: lease.spec?.holderIdentity ?? '',
            leaseDurationMs: seconds === undefined ? undefined : seconds * 1000,
            resourceVersion: version,
          };
  }

  /** Fires onStoppedLeading when the renew deadline passes without a renew; isLeader() needs no timer. */
  #armFence(): void {
    clearTimeout(this.#fence);
    const expiresInMs = (this.#lastRenewAtMs ?? 0) + this.#renewDeadlineMs - now();
    this.#fence = setTimeout(
      () => {
        if (!withinRenewDeadline(this.#lastRenewAtMs, this.#renewDeadlineMs, now())) this.#setLeading(false);
      },
      Math.max(0, expiresInMs),
    );
  }

  #setLeading(leading: boolean): void {
    if (leading === this.#leading) return;
    this.#leading = leading;
    if (leading) {
      this.#term = new AbortController();
      this.#onStartedLeading();
    } else {
      clearTimeout(this.#fence);
      this.#fence = undefined;
      this.#term.abort(new NotLeaderError());
      this.#onStoppedLeading();
    }
  }

  /** A request that hangs is abandoned after one retry period, so the next round can try a fresh connection. */
  #requestTimeoutMs(): number {
    return Math.max(this.#retryPeriodMs, 1_000);
  }
}

function abortedTerm(): AbortController {
  const term = new AbortController();
  term.abort(new NotLeaderError());
  return term;
}

/** Monotonic milliseconds: immune to wall-clock steps (NTP, a VM resumed), which is what fencing needs. */
function now(): number {
  return performance.now();
}

/**
 * Now as a MicroTime, the format of a Lease's renewTime and acquireTime: RFC 3339 with six fractional digits, as
 * client-node's V1MicroTime wrote it (JavaScript's clock has milliseconds, so the last three are zeros).
 */
export function microTime(at: Date = new Date()): string {
  return at.toISOString().replace(/Z$/, '000Z');
}

async function pause(ms: number, stop: AbortSignal): Promise<void> {
  if (ms <= 0 || stop.aborted) return;
  await sleep(ms, undefined, { signal: stop }).catch(() => undefined);
}
