/**
 * The outcome metrics count a release's outcome only when the executor's status write that records it succeeds:
 * not for a write refused by a conflict (then once, by the retry that lands), not for a replica that is not the
 * leader, not for a second replica racing with the same decision, not again on a later reconcile. The API server
 * here is a stand-in that keeps one status and refuses a write built on an older resourceVersion, as the real one
 * does for a PUT (no integration story runs this against the real API server yet).
 */
import { describe, expect, it } from 'vitest';
import type { Rollout, RolloutStatus } from '../api/types.ts';
import { NotLeaderError } from '../kube/writeFence.ts';
import { createMetrics } from '../metrics.ts';
import { executePlan, type ExecuteContext } from './execute.ts';
import { abortPlan, recorder, rollout } from './execute.test-support.ts';
import { reportTransitions } from './outcomes.ts';

const conflict = () =>
  Object.assign(new Error('Operation cannot be fulfilled: the object has been modified'), { code: 409 });

/** One Rollout's status as the API server keeps it; `loseAnswer` lands the next write but loses its answer. */
class StatusServer {
  status: RolloutStatus;
  resourceVersion = 10;
  writes = 0;
  loseAnswer = false;

  constructor(status: RolloutStatus) {
    this.status = structuredClone(status);
  }

  replace(body: { metadata: { resourceVersion?: string }; status: RolloutStatus }) {
    if (body.metadata.resourceVersion !== String(this.resourceVersion)) throw conflict();
    this.status = structuredClone(body.status);
    this.resourceVersion += 1;
    this.writes += 1;
    if (this.loseAnswer) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    return { metadata: { resourceVersion: String(this.resourceVersion) } };
  }

  /** The Rollout as an informer's cache shows it now. */
  cached(): Rollout {
    const { annotations: _, ...metadata } = rollout.metadata;
    return {
      ...rollout,
      metadata: { ...metadata, resourceVersion: String(this.resourceVersion) },
      status: this.status,
    };
  }
}

const started = '2026-11-30T09:58:00Z';
const inFlight: RolloutStatus = { ...rollout.status, releaseStartedAt: started };

/** A replica of the controller: its executor context, writing to `server`, counting into its own registry. */
function replica(server: StatusServer, fence: () => void = () => {}) {
  const metrics = createMetrics({ version: 'test' });
  const { ctx } = recorder({}, fence);
  const clock = () => new Date('2026-11-30T10:00:00Z');
  const context = (cached: Rollout): ExecuteContext => ({
    ...ctx,
    rollout: cached,
    clients: {
      ...ctx.clients,
      custom: {
        ...ctx.clients.custom,
        replaceNamespacedCustomObjectStatus: (p: { body: Parameters<StatusServer['replace']>[0] }) =>
          Promise.resolve().then(() => {
            fence();
            return server.replace(p.body);
          }),
      },
    } as unknown as ExecuteContext['clients'],
    onStatusWritten: reportTransitions((t) => metrics.countTransition('shop', t), clock),
  });
  const aborted = async () =>
    (await metrics.registry.getSingleMetric('sluice_rollout_outcomes_total')!.get()).values
      .filter((v) => v.labels.outcome === 'aborted_user')
      .reduce((n, v) => n + v.value, 0);
  const timed = async () =>
    (await metrics.registry.metrics()).match(
      /^sluice_rollout_duration_seconds_sum\{[^}]*outcome="aborted_user"\} (\S+)$/m,
    )?.[1];
  return { metrics, context, aborted, timed };
}

const userAbort = (status: Partial<RolloutStatus> = {}) =>
  abortPlan({ releaseStartedAt: started, abortCause: 'User', handledAction: undefined, ...status });
const quiet = (plan: ReturnType<typeof abortPlan>) => ({ ...plan, clearAction: false, flagOperations: [] });

describe('outcome metrics, counted by the status write that records the outcome', () => {
  it('counts once: not for the write refused by a conflict, once for the retry, not for later reconciles', async () => {
    const server = new StatusServer(inFlight);
    const leader = replica(server);
    const stale = { ...server.cached(), metadata: { ...server.cached().metadata, resourceVersion: '9' } };
    await expect(executePlan(leader.context(stale), quiet(userAbort()))).rejects.toThrow(/modified/);
    expect(await leader.aborted()).toBe(0);

    await executePlan(leader.context(server.cached()), quiet(userAbort()));
    expect(await leader.aborted()).toBe(1);
    expect(await leader.timed()).toBe('120');

    // The next reconciles plan from the status that records the abort: the same decision, or a newer message.
    await executePlan(leader.context(server.cached()), quiet(userAbort()));
    await executePlan(leader.context(server.cached()), quiet(userAbort({ message: 'aborted: still waiting' })));
    expect(server.writes).toBe(2);
    expect(await leader.aborted()).toBe(1);
  });

  it('counts nothing on a replica that is not the leader', async () => {
    const server = new StatusServer(inFlight);
    const follower = replica(server, () => {
      throw new NotLeaderError('status write');
    });
    await expect(executePlan(follower.context(server.cached()), quiet(userAbort()))).rejects.toThrow(/not the leader/);
    expect(server.writes).toBe(0);
    expect(await follower.aborted()).toBe(0);
  });

  it('counts once when two replicas decide the same abort from the same status', async () => {
    const server = new StatusServer(inFlight);
    const [first, second] = [replica(server), replica(server)];
    const seen = server.cached();
    const runs = await Promise.allSettled([
      executePlan(first.context(seen), quiet(userAbort())),
      executePlan(second.context(seen), quiet(userAbort())),
    ]);
    expect(runs.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(server.writes).toBe(1);
    expect((await first.aborted()) + (await second.aborted())).toBe(1);
  });

  it('under-counts rather than double-counts when the answer to the write is lost', async () => {
    const server = new StatusServer(inFlight);
    const leader = replica(server);
    server.loseAnswer = true;
    await expect(executePlan(leader.context(server.cached()), quiet(userAbort()))).rejects.toThrow(/hang up/);
    server.loseAnswer = false;
    await executePlan(leader.context(server.cached()), quiet(userAbort()));
    expect(server.status.abort).toBe(true);
    expect(await leader.aborted()).toBe(0);
  });
});
