/**
 * Two electors on one Lease against the real API server: exactly one leads; a leader cut off from the API server
 * stops acting within its renew deadline, and the other takes over only after the lease duration, so the two
 * never overlap; release() hands over at once. Timings are short (lease 6 s, renew deadline 4 s, retry 1 s) and the
 * assertions leave slack for two busy cores on every bound that a slow machine could stretch.
 */
import { CoordinationV1Api, CoreV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { instrumentKubeConfig } from '../../controller/src/kube/apiMetrics.ts';
import { LeaderElector } from '../../controller/src/kube/leaderElection.ts';
import { leaderFence, NotLeaderError } from '../../controller/src/kube/writeFence.ts';
import { waitFor } from '../support/wait.ts';
import { FaultyNetwork } from './faultyNetwork.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('election');
const D = 6_000;
const R = 4_000;
const P = 1_000;
/** What a 10 ms sampler on a busy machine may add to a measured instant. */
const slack = 400;

interface Candidate {
  identity: string;
  elector: LeaderElector;
  /** onStartedLeading / onStoppedLeading, with monotonic times. */
  callbacks: { what: 'started' | 'stopped'; at: number }[];
  stop: AbortController;
  done: Promise<void>;
}

const running: Candidate[] = [];
const samplers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const s of samplers.splice(0)) clearInterval(s);
  for (const c of running) c.stop.abort();
  await Promise.all(running.splice(0).map((c) => c.done));
});

function campaign(kc: KubeConfig, lease: string, identity: string): Candidate {
  const callbacks: Candidate['callbacks'] = [];
  const elector = new LeaderElector(kc, {
    namespace: ns.name,
    name: lease,
    identity,
    leaseDurationMs: D,
    renewDeadlineMs: R,
    retryPeriodMs: P,
    onStartedLeading: () => callbacks.push({ what: 'started', at: performance.now() }),
    onStoppedLeading: () => callbacks.push({ what: 'stopped', at: performance.now() }),
  });
  const stop = new AbortController();
  const candidate = { identity, elector, callbacks, stop, done: elector.run(stop.signal) };
  running.push(candidate);
  return candidate;
}

/**
 * Samples isLeader() of every candidate every 10 ms: records when each one's answer flips, and every instant at
 * which more than one said yes (which must never happen).
 */
function sampleLeadership(candidates: Candidate[]) {
  const flips: { identity: string; leading: boolean; at: number }[] = [];
  const overlaps: number[] = [];
  const last = new Map<string, boolean>();
  samplers.push(
    setInterval(() => {
      const at = performance.now();
      let leaders = 0;
      for (const c of candidates) {
        const leading = c.elector.isLeader();
        if (leading) leaders++;
        if (last.get(c.identity) !== leading) flips.push({ identity: c.identity, leading, at });
        last.set(c.identity, leading);
      }
      if (leaders > 1) overlaps.push(at);
    }, 10),
  );
  const flipAt = (identity: string, leading: boolean, after: number) =>
    flips.find((f) => f.identity === identity && f.leading === leading && f.at >= after)?.at;
  /** Waits until the sampler saw `identity` turn `leading` after `after`; resolves with that instant. */
  const flipped = (identity: string, leading: boolean, after: number) =>
    waitFor(() => flipAt(identity, leading, after), {
      timeoutMs: 30_000,
      intervalMs: 10,
      what: `${identity} to turn ${leading ? 'leader' : 'follower'}`,
    });
  return { overlaps, flipped };
}

async function readLease(name: string): Promise<V1Lease> {
  return adminKubeConfig().makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: ns.name, name });
}

const leads = (c: Candidate, what: string) =>
  waitFor(() => c.elector.isLeader(), { timeoutMs: 30_000, intervalMs: 10, what });

describe('leader election on a Lease', () => {
  it('lets exactly one of two replicas lead, and writes a proper Lease', async () => {
    const a = campaign(adminKubeConfig(), 'one-of-two', 'replica-a');
    const b = campaign(adminKubeConfig(), 'one-of-two', 'replica-b');
    const sampled = sampleLeadership([a, b]);
    await waitFor(() => a.elector.isLeader() || b.elector.isLeader(), {
      timeoutMs: 30_000,
      intervalMs: 10,
      what: 'a leader',
    });
    const [leader, follower] = a.elector.isLeader() ? [a, b] : [b, a];
    for (let i = 0; i < 30; i++) {
      expect(leader.elector.isLeader()).toBe(true);
      expect(follower.elector.isLeader()).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(sampled.overlaps).toEqual([]);

    const lease = await readLease('one-of-two');
    expect(lease.spec?.holderIdentity).toBe(leader.identity);
    expect(lease.spec?.leaseDurationSeconds).toBe(D / 1000);
    expect(lease.spec?.leaseTransitions).toBe(0);
    // MicroTime on the wire: the API server rejects other formats, so a successful write already proves it;
    // the read-back shows it (client-node leaves MicroTime fields as strings).
    expect(String(lease.spec?.renewTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(follower.callbacks).toEqual([]);
    expect(leader.callbacks.map((c) => c.what)).toEqual(['started']);
  });

  it('fences a leader cut off from the API server: it stops before the other may take over', async () => {
    const network = await FaultyNetwork.start(adminKubeConfig());
    try {
      const a = campaign(network.kubeConfig(adminKubeConfig()), 'partition', 'replica-a');
      await leads(a, 'replica-a to lead');
      const b = campaign(adminKubeConfig(), 'partition', 'replica-b');
      const sampled = sampleLeadership([a, b]);
      await new Promise((resolve) => setTimeout(resolve, 2 * P)); // b is watching a renew
      // a's reconciler client is not cut off (only its Lease renewals are), with one token every 8 s: a write queued
      // now would leave after b has taken over, unless the fence drops it when a stops leading.
      const writes = instrumentKubeConfig(adminKubeConfig(), () => undefined, {
        rateLimit: { qps: 1 / 8, burst: 1 },
        fence: leaderFence(a.elector),
      }).makeApiClient(CoreV1Api);
      const configMap = (name: string) => ({ namespace: ns.name, body: { metadata: { name } } });
      await writes.createNamespacedConfigMap(configMap('while-leading'));
      const queuedAt = performance.now();
      const queued = writes.createNamespacedConfigMap(configMap('after-leading')).then(
        () => 'sent',
        (err: unknown) => err,
      );

      const partitionedAt = performance.now();
      network.blackhole(); // a's renewals now hang and time out; a itself runs on, unaware
      const aStopped = await sampled.flipped('replica-a', false, partitionedAt);
      // Dropped when a's term ended (the timer at its renew deadline), not when its token came, 8 s after it asked.
      const dropped = await queued;
      expect(dropped).toBeInstanceOf(NotLeaderError);
      expect(a.elector.leadershipLost().aborted).toBe(true);
      const bStarted = await sampled.flipped('replica-b', true, partitionedAt);
      const facts = `a stopped ${(aStopped - partitionedAt).toFixed(0)} ms after the partition, b started ${(bStarted - partitionedAt).toFixed(0)} ms after it`;
      console.info(`partition: ${facts}`);
      expect(sampled.overlaps, facts).toEqual([]);
      // a's last renew was sent before the partition, so a stops within renewDeadline of it.
      expect(aStopped - partitionedAt, facts).toBeLessThanOrEqual(R + slack);
      // b could only take over a full lease duration after that renew: at least D - R after a stopped.
      expect(bStarted - aStopped, facts).toBeGreaterThanOrEqual(D - R - slack);
      expect(bStarted - partitionedAt, facts).toBeLessThanOrEqual(D + 3 * P + 3_000);
      expect(a.callbacks.map((c) => c.what)).toEqual(['started', 'stopped']);
      expect(a.callbacks[1]!.at).toBeLessThan(b.callbacks[0]!.at);

      // When the network heals, a finds b's Lease and stays a follower.
      network.heal();
      await new Promise((resolve) => setTimeout(resolve, 3 * P));
      expect(a.elector.isLeader()).toBe(false);
      expect(b.elector.isLeader()).toBe(true);
      const lease = await readLease('partition');
      expect(lease.spec?.holderIdentity).toBe('replica-b');
      expect(lease.spec?.leaseTransitions).toBe(1);
      // Past the queued write's turn: it never reached the API server.
      expect(performance.now() - queuedAt).toBeGreaterThan(8_000);
      const names = (
        await adminKubeConfig().makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: ns.name })
      ).items.map((c) => c.metadata?.name);
      expect(names).toContain('while-leading');
      expect(names).not.toContain('after-leading');
    } finally {
      await network.close();
    }
  });

  it('hands over at once on release(), without waiting out the lease', async () => {
    const a = campaign(adminKubeConfig(), 'release', 'replica-a');
    await leads(a, 'replica-a to lead');
    const b = campaign(adminKubeConfig(), 'release', 'replica-b');
    const sampled = sampleLeadership([a, b]);
    await new Promise((resolve) => setTimeout(resolve, 2 * P));

    const releasedAt = performance.now();
    await a.elector.release();
    expect(a.elector.isLeader()).toBe(false);
    const handover = (await sampled.flipped('replica-b', true, releasedAt)) - releasedAt;
    console.info(`release: replica-b led ${handover.toFixed(0)} ms after replica-a released`);
    // At b's next retry (P plus up to 20 % jitter), far sooner than the lease duration.
    expect(handover).toBeLessThan(D - 2 * P);
    expect(sampled.overlaps).toEqual([]);
    expect(a.callbacks.map((c) => c.what)).toEqual(['started', 'stopped']);
    expect((await readLease('release')).spec?.leaseTransitions).toBe(1);
  });

  it('stops leading the moment its run ends without release, and the other waits out the lease', async () => {
    const a = campaign(adminKubeConfig(), 'abandoned', 'replica-a');
    await leads(a, 'replica-a to lead');
    const b = campaign(adminKubeConfig(), 'abandoned', 'replica-b');
    const sampled = sampleLeadership([a, b]);
    await new Promise((resolve) => setTimeout(resolve, 2 * P));

    const abortedAt = performance.now();
    a.stop.abort(); // as if the process stopped renewing without a graceful shutdown
    await a.done;
    expect(a.elector.isLeader()).toBe(false);
    const takeover = (await sampled.flipped('replica-b', true, abortedAt)) - abortedAt;
    console.info(`abandoned: replica-b led ${takeover.toFixed(0)} ms after replica-a stopped renewing`);
    // a's last renew was at most one retry period before; b waits a lease duration from it.
    expect(takeover).toBeGreaterThanOrEqual(D - P - slack);
    expect(takeover).toBeLessThanOrEqual(D + 3 * P + 3_000);
    expect(sampled.overlaps).toEqual([]);
  });
});
