/**
 * The leader election's decision, free of I/O: given the Lease as last read, this replica's identity and times on
 * this replica's monotonic clock, what to do next and whether this replica may act as leader right now.
 *
 * Two rules make it safe without trusting anyone's wall clock:
 * - Expiry is judged by observation: another holder's Lease counts as expired only after this replica has seen the
 *   same version of it (same resourceVersion) for the holder's lease duration, measured on this replica's clock.
 *   The wall-clock renewTime in the Lease is never compared with our clock.
 * - Fencing: the leader acts only until its last successful write (timed when the request was sent) plus
 *   renewDeadline, and renewDeadline < leaseDuration. Any other replica saw that write no earlier than it was sent,
 *   so it cannot take over before leaseDuration has passed since then: the old leader has stopped acting
 *   leaseDuration - renewDeadline before that, a margin for clock-rate drift and for a write already in flight.
 */

/** The Lease as this replica last read it; undefined when no Lease object exists. */
export interface ObservedLease {
  /** Empty when the Lease is free: never held, or released by a leader that shut down. */
  holderIdentity: string;
  /** The lease duration the holder declared, if any. */
  leaseDurationMs: number | undefined;
  resourceVersion: string;
}

export interface ElectionView {
  identity: string;
  lease: ObservedLease | undefined;
  /** Monotonic time at which this replica first saw this resourceVersion of the Lease. */
  observedAtMs: number;
  /** Monotonic time at which this replica sent its last successful write of the Lease, if it holds it. */
  lastRenewAtMs: number | undefined;
  nowMs: number;
  leaseDurationMs: number;
  renewDeadlineMs: number;
}

export type ElectionAction =
  /** No Lease yet: create it with this replica as holder. */
  | { kind: 'create' }
  /** Take the Lease over: it is free, or its holder let it expire. */
  | { kind: 'acquire'; because: 'free' | 'expired'; previousHolder: string }
  /** This replica holds the Lease: write a new renewTime. */
  | { kind: 'renew' }
  /** Another replica holds a Lease that has not expired yet. */
  | { kind: 'wait'; holder: string; expiresInMs: number };

export interface ElectionDecision {
  action: ElectionAction;
  /** May this replica act as leader now? False means step down (or stay down). */
  leading: boolean;
}

/** True while the fencing window opened by the last successful renew is still open. */
export function withinRenewDeadline(
  lastRenewAtMs: number | undefined,
  renewDeadlineMs: number,
  nowMs: number,
): boolean {
  return lastRenewAtMs !== undefined && nowMs < lastRenewAtMs + renewDeadlineMs;
}

export function decideElection(view: ElectionView): ElectionDecision {
  const { lease, identity } = view;
  if (lease === undefined) return { action: { kind: 'create' }, leading: false };
  if (lease.holderIdentity === identity) {
    // Ours: renew. Optimistic concurrency makes this safe even after a step-down: if anyone else wrote the Lease
    // since we read it, the write fails with a conflict.
    return {
      action: { kind: 'renew' },
      leading: withinRenewDeadline(view.lastRenewAtMs, view.renewDeadlineMs, view.nowMs),
    };
  }
  if (lease.holderIdentity === '')
    return { action: { kind: 'acquire', because: 'free', previousHolder: '' }, leading: false };
  const durationMs = lease.leaseDurationMs ?? view.leaseDurationMs;
  const expiresInMs = view.observedAtMs + durationMs - view.nowMs;
  if (expiresInMs <= 0)
    return { action: { kind: 'acquire', because: 'expired', previousHolder: lease.holderIdentity }, leading: false };
  return { action: { kind: 'wait', holder: lease.holderIdentity, expiresInMs }, leading: false };
}

/** Rejects timings under which fencing cannot hold (see the module comment). */
export function checkElectionTimings(t: {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}): void {
  if (!(t.retryPeriodMs > 0)) throw new Error(`retryPeriodMs must be positive, got ${t.retryPeriodMs}`);
  if (!(t.renewDeadlineMs > t.retryPeriodMs)) {
    throw new Error(
      `renewDeadlineMs (${t.renewDeadlineMs}) must exceed retryPeriodMs (${t.retryPeriodMs}): the leader needs more than one try to renew`,
    );
  }
  if (!(t.leaseDurationMs > t.renewDeadlineMs)) {
    throw new Error(
      `leaseDurationMs (${t.leaseDurationMs}) must exceed renewDeadlineMs (${t.renewDeadlineMs}): a leader that cannot renew must stop before another may take over`,
    );
  }
  if (t.leaseDurationMs % 1000 !== 0)
    throw new Error(`leaseDurationMs must be whole seconds (the Lease stores seconds), got ${t.leaseDurationMs}`);
}
