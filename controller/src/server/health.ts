/**
 * The controller's operational HTTP endpoints: /metrics for Prometheus, /healthz (the process is alive and its
 * loop is not wedged) and /readyz (caches synced, so it is safe to route work here).
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
  app.get('/readyz', async (_req, reply) => (sources.ready() ? reply.send('ok') : reply.code(503).send('caches not synced yet')));
  return app;
}
