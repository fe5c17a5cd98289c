/**
 * Fencing, checked by simulation: two replicas run the election's decision against a model API server with
 * optimistic concurrency, random latencies, lost requests and partitions that last longer than the lease. At no
 * instant may both replicas consider themselves leader. The same simulation with a renew deadline longer than the
 * lease duration finds overlaps, which shows that it can catch a broken rule.
 */
import { describe, expect, it } from 'vitest';
import { decideElection, withinRenewDeadline, type ObservedLease } from './leaseDecision.ts';

interface Timings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

interface ServerLease {
  holder: string;
  rv: number;
}

type Request =
  | { kind: 'get'; sentAt: number; landsAt: number; respondsAt: number; seen?: ServerLease | undefined }
  | {
      kind: 'write';
      sentAt: number;
      landsAt: number;
      respondsAt: number;
      expectRv: number | undefined;
      holder: string;
      written?: ServerLease;
    };

interface Replica {
  id: string;
  nextTickAt: number;
  inFlight: Request | undefined;
  cached: ObservedLease | undefined;
  observedAtMs: number;
  lastRenewAtMs: number | undefined;
  partitionedUntil: number;
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function simulate(
  seed: number,
  t: Timings,
  durationMs: number,
): { overlapMs: number; leaderChanges: number; ledMs: number } {
  const random = mulberry32(seed);
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo));
  const step = 10;
  const timeoutMs = t.retryPeriodMs;
  let server: ServerLease | undefined;
  let rvCounter = 0;
  const replicas: Replica[] = ['a', 'b'].map((id, i) => ({
    id,
    nextTickAt: i * 700,
    inFlight: undefined,
    cached: undefined,
    observedAtMs: 0,
    lastRenewAtMs: undefined,
    partitionedUntil: 0,
  }));
  const leading = (r: Replica, now: number) =>
    r.cached?.holderIdentity === r.id && withinRenewDeadline(r.lastRenewAtMs, t.renewDeadlineMs, now);
  const send = (
    r: Replica,
    now: number,
    req: { kind: 'get' } | { kind: 'write'; expectRv: number | undefined; holder: string },
  ): void => {
    const lost = now < r.partitionedUntil;
    // A request sent into a partition may still land when it heals, but its answer is lost: the sender times out.
    const landsAt = lost ? (random() < 0.5 ? Infinity : r.partitionedUntil + between(0, 500)) : now + between(0, 800);
    const respondsAt = lost ? Infinity : landsAt + between(0, 800);
    r.inFlight = { ...req, sentAt: now, landsAt, respondsAt };
  };
  const observe = (r: Replica, lease: ServerLease | undefined, now: number) => {
    const seen =
      lease === undefined
        ? undefined
        : { holderIdentity: lease.holder, leaseDurationMs: t.leaseDurationMs, resourceVersion: String(lease.rv) };
    if (seen?.resourceVersion !== r.cached?.resourceVersion) r.observedAtMs = now;
    r.cached = seen;
  };
  const act = (r: Replica, now: number) => {
    const d = decideElection({
      identity: r.id,
      lease: r.cached,
      observedAtMs: r.observedAtMs,
      lastRenewAtMs: r.lastRenewAtMs,
      nowMs: now,
      ...t,
    });
    if (d.action.kind === 'wait') return;
    send(r, now, {
      kind: 'write',
      expectRv: r.cached === undefined ? undefined : Number(r.cached.resourceVersion),
      holder: r.id,
    });
  };

  let overlapMs = 0;
  let ledMs = 0;
  let leaderChanges = 0;
  let lastLeader = '';
  for (let now = 0; now < durationMs; now += step) {
    for (const r of replicas) {
      if (now >= r.partitionedUntil && random() < step / 20_000)
        r.partitionedUntil = now + between(1_000, 3 * t.leaseDurationMs);
      const req = r.inFlight;
      if (req !== undefined && now >= req.landsAt && req.landsAt !== -1) {
        if (req.kind === 'get') req.seen = server === undefined ? undefined : { ...server };
        else {
          if (server?.rv === req.expectRv) {
            server = { holder: req.holder, rv: ++rvCounter };
            req.written = server;
          }
        }
        req.landsAt = -1;
      }
      if (req !== undefined && (now >= req.respondsAt || now >= req.sentAt + timeoutMs)) {
        r.inFlight = undefined;
        if (now >= req.respondsAt && req.landsAt === -1) {
          if (req.kind === 'get') {
            observe(r, req.seen, now);
            act(r, now);
          } else if (req.written !== undefined) {
            r.lastRenewAtMs = req.sentAt;
            observe(r, req.written, now);
          } else {
            r.cached = undefined; // conflict: read again
          }
        }
      }
      if (r.inFlight === undefined && now >= r.nextTickAt) {
        r.nextTickAt = now + t.retryPeriodMs;
        // The leader renews from what it wrote last; everyone else reads first.
        if (r.cached?.holderIdentity === r.id) act(r, now);
        else send(r, now, { kind: 'get' });
      }
    }
    const leaders = replicas.filter((r) => leading(r, now));
    if (leaders.length > 1) overlapMs += step;
    if (leaders.length === 1) {
      ledMs += step;
      if (leaders[0]!.id !== lastLeader) {
        leaderChanges++;
        lastLeader = leaders[0]!.id;
      }
    }
  }
  return { overlapMs, leaderChanges, ledMs };
}

describe('leader election fencing (simulated)', () => {
  const safe: Timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

  it('never has two leaders at once, through latency, lost answers and long partitions', () => {
    let changes = 0;
    let led = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const run = simulate(seed, safe, 600_000);
      expect(run.overlapMs, `seed ${seed}`).toBe(0);
      changes += run.leaderChanges;
      led += run.ledMs;
    }
    // Not vacuous: leadership was held most of the time and changed hands many times.
    expect(changes).toBeGreaterThan(40);
    expect(led).toBeGreaterThan(0.5 * 40 * 600_000);
  });

  it('stays safe with a margin far below the network latency', () => {
    // The leader times its renew from when it sent it; a follower times a Lease version from when the answer that
    // carried it arrived. Both err on the safe side, so in this model (clocks that run at the same rate) the margin
    // leaseDuration - renewDeadline does not have to cover latency at all.
    const thin: Timings = { leaseDurationMs: 15_000, renewDeadlineMs: 14_990, retryPeriodMs: 2_000 };
    for (let seed = 1; seed <= 40; seed++) expect(simulate(seed, thin, 600_000).overlapMs, `seed ${seed}`).toBe(0);
  });

  it('finds overlaps when the renew deadline outlasts the lease (the check can fail)', () => {
    const unsafe: Timings = { leaseDurationMs: 15_000, renewDeadlineMs: 25_000, retryPeriodMs: 2_000 };
    const overlap = [1, 2, 3, 4, 5].map((seed) => simulate(seed, unsafe, 600_000).overlapMs).reduce((a, b) => a + b, 0);
    expect(overlap).toBeGreaterThan(0);
  });
});
