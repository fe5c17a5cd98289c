/**
 * The controller's operational HTTP endpoints: /metrics for Prometheus, /healthz (the process is alive and its
 * reconcile loop is not wedged, see wedgedReconcile) and /readyz (caches synced, so it is safe to route work here).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface HealthSources {
  registry: Registry;
  /** True once every informer has listed its kind. */
  ready: () => boolean;
  /** Why the process is unhealthy, or undefined when it is fine. */
  problem: () => string | undefined;
}

export function healthServer(sources: HealthSources): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/metrics', async (_req, reply) => {
    const body = await sources.registry.metrics();
    return reply.header('Content-Type', sources.registry.contentType).send(body);
  });
  app.get('/healthz', async (_req, reply) => {
    const problem = sources.problem();
    return problem === undefined ? reply.send('ok') : reply.code(500).send(problem);
  });
  app.get('/readyz', async (_req, reply) =>
    sources.ready() ? reply.send('ok') : reply.code(503).send('caches not synced yet'),
  );
  return app;
}

/**
 * The longest a reconcile may run before the loop counts as wedged. A reconcile waits only on the API server (never
 * on Prometheus or Unleash: measurements and flag writes run in the background), every request it makes has a
 * 30 s deadline, and a failed write ends the reconcile; two minutes leaves room for a few slow writes and the rate
 * limiter's waits, and the probe's three failures add half a minute more before the kubelet restarts the process.
 */
export const reconcileHangLimitMs = 120_000;

/**
 * The /healthz problem of a reconcile loop: its oldest reconcile in flight has run longer than `limitMs`. An idle
 * loop is healthy, and so is a follower's (its queue does not run), so only a leader that hangs is restarted.
 */
export function wedgedReconcile(
  loop: { oldestRunMs(): number | undefined },
  limitMs = reconcileHangLimitMs,
): () => string | undefined {
  return () => {
    const runningMs = loop.oldestRunMs();
    if (runningMs === undefined || runningMs <= limitMs) return undefined;
    return `a reconcile has been running for ${Math.round(runningMs / 1000)}s (the limit is ${Math.round(limitMs / 1000)}s): the reconcile loop is wedged`;
  };
}
