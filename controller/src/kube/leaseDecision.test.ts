import { describe, expect, it } from 'vitest';
import {
  checkElectionTimings,
  decideElection,
  withinRenewDeadline,
  type ElectionView,
  type ObservedLease,
} from './leaseDecision.ts';

const D = 15_000; // lease duration
const R = 10_000; // renew deadline

function view(over: Partial<ElectionView>): ElectionView {
  return {
    identity: 'me',
    lease: undefined,
    observedAtMs: 0,
    lastRenewAtMs: undefined,
    nowMs: 0,
    leaseDurationMs: D,
    renewDeadlineMs: R,
    ...over,
  };
}
const held = (holderIdentity: string, leaseDurationMs: number | undefined = D): ObservedLease => ({
  holderIdentity,
  leaseDurationMs,
  resourceVersion: '7',
});

describe('decideElection', () => {
  it('creates the Lease when there is none, and does not lead yet', () => {
    expect(decideElection(view({}))).toEqual({ action: { kind: 'create' }, leading: false });
    // Even a replica that led a moment ago steps down when its Lease vanished: nothing proves it still holds it.
    expect(decideElection(view({ lastRenewAtMs: 0, nowMs: 1 })).leading).toBe(false);
  });

  it('takes a free or released Lease at once', () => {
    expect(decideElection(view({ lease: held(''), observedAtMs: 5_000, nowMs: 5_000 }))).toEqual({
      action: { kind: 'acquire', because: 'free', previousHolder: '' },
      leading: false,
    });
  });

  describe("another replica's Lease", () => {
    it('is waited for until this replica has seen it unchanged for the lease duration', () => {
      expect(decideElection(view({ lease: held('other'), observedAtMs: 100_000, nowMs: 100_000 }))).toEqual({
        action: { kind: 'wait', holder: 'other', expiresInMs: D },
        leading: false,
      });
      expect(
        decideElection(view({ lease: held('other'), observedAtMs: 100_000, nowMs: 100_000 + D - 1 })).action,
      ).toEqual({ kind: 'wait', holder: 'other', expiresInMs: 1 });
    });

    it('is taken over once it has been unchanged for the lease duration', () => {
      for (const nowMs of [100_000 + D, 100_000 + D + 1, 10_000_000]) {
        expect(decideElection(view({ lease: held('other'), observedAtMs: 100_000, nowMs }))).toEqual({
          action: { kind: 'acquire', because: 'expired', previousHolder: 'other' },
          leading: false,
        });
      }
    });

    it("is judged by the holder's declared lease duration, ours only when it declared none", () => {
      const longer = held('other', 60_000);
      expect(decideElection(view({ lease: longer, observedAtMs: 0, nowMs: 30_000 })).action.kind).toBe('wait');
      expect(decideElection(view({ lease: longer, observedAtMs: 0, nowMs: 60_000 })).action.kind).toBe('acquire');
      const undeclared = held('other', undefined);
      expect(decideElection(view({ lease: undeclared, observedAtMs: 0, nowMs: D - 1 })).action.kind).toBe('wait');
      expect(decideElection(view({ lease: undeclared, observedAtMs: 0, nowMs: D })).action.kind).toBe('acquire');
    });

    it('means this replica does not lead, even inside its own renew deadline (someone else wrote the Lease)', () => {
      expect(decideElection(view({ lease: held('other'), observedAtMs: 0, lastRenewAtMs: 0, nowMs: 1 })).leading).toBe(
        false,
      );
    });
  });

  describe('our own Lease', () => {
    it('is renewed, and we lead while the last successful renew is younger than the renew deadline', () => {
      for (const age of [0, 1, R / 2, R - 1]) {
        expect(decideElection(view({ lease: held('me'), lastRenewAtMs: 50_000, nowMs: 50_000 + age }))).toEqual({
          action: { kind: 'renew' },
          leading: true,
        });
      }
    });

    it('is still renewed after the renew deadline, but we step down until a renew succeeds', () => {
      for (const age of [R, R + 1, D, 10 * D]) {
        expect(decideElection(view({ lease: held('me'), lastRenewAtMs: 50_000, nowMs: 50_000 + age }))).toEqual({
          action: { kind: 'renew' },
          leading: false,
        });
      }
    });

    it('is renewed but not led on when this replica never wrote it in this life (a restart with the same identity)', () => {
      expect(decideElection(view({ lease: held('me'), lastRenewAtMs: undefined, nowMs: 1 }))).toEqual({
        action: { kind: 'renew' },
        leading: false,
      });
    });
  });

  it('never lets two identities lead on one Lease version', () => {
    for (const holder of ['', 'a', 'b']) {
      for (const nowMs of [0, R - 1, R, D, 2 * D]) {
        const leaders = ['a', 'b'].filter(
          (identity) =>
            decideElection(view({ identity, lease: held(holder), observedAtMs: 0, lastRenewAtMs: 0, nowMs })).leading,
        );
        expect(leaders.length).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe('withinRenewDeadline', () => {
  it('is open from a successful renew until renewDeadline later, and closed without one', () => {
    expect(withinRenewDeadline(1_000, R, 1_000)).toBe(true);
    expect(withinRenewDeadline(1_000, R, 1_000 + R - 1)).toBe(true);
    expect(withinRenewDeadline(1_000, R, 1_000 + R)).toBe(false);
    expect(withinRenewDeadline(undefined, R, 0)).toBe(false);
  });
});

describe('checkElectionTimings', () => {
  it('accepts client-go-like timings', () => {
    expect(() =>
      checkElectionTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }),
    ).not.toThrow();
  });

  it('refuses timings under which a stuck leader could overlap its successor', () => {
    expect(() =>
      checkElectionTimings({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }),
    ).toThrow(/must exceed renewDeadlineMs/);
    expect(() =>
      checkElectionTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }),
    ).toThrow(/must exceed retryPeriodMs/);
    expect(() => checkElectionTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 0 })).toThrow(
      /positive/,
    );
    expect(() =>
      checkElectionTimings({ leaseDurationMs: 15_500, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }),
    ).toThrow(/whole seconds/);
  });
});
