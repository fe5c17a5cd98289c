import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { DashboardError } from './errors.ts';
import { rolloutListQuery, rolloutStreamQuery, schemaProblem } from './routeSchemas.ts';

/** Fastify with the dashboard's schemas and its way of answering a refused one (as server.ts sets it up). */
function app() {
  const server = Fastify({ logger: false });
  server.setErrorHandler((err, request, reply) => {
    const refused = schemaProblem(err, request);
    if (refused === undefined) return reply.code(500).send({ code: 'other' });
    return reply.code(refused.status).send({ code: refused.code, message: refused.message });
  });
  server.get('/rollouts', { schema: { querystring: rolloutListQuery } }, (request) => request.query);
  server.get('/stream', { schema: { querystring: rolloutStreamQuery } }, (request) => request.query);
  server.get('/boom', () => {
    throw new Error('not a schema problem');
  });
  return server;
}

describe('dashboard route schemas', () => {
  it('refuse a bad parameter in the dashboard error format, naming the parameter', async () => {
    const server = app();
    const cases: [string, string][] = [
      ['/rollouts?limit=5000', 'limit must be a whole number from 0 to 1000'],
      ['/rollouts?limit=ten', 'limit must be a whole number from 0 to 1000'],
      ['/rollouts?offset=-1', `offset must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`],
      ['/rollouts?namespace=a&namespace=b', 'namespace must be one namespace'],
      ['/stream?rollout=nope', 'rollout must be <namespace>/<name>'],
    ];
    for (const [url, message] of cases) {
      const res = await server.inject(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json(), url).toEqual({ code: 'SLUICE_DASHBOARD_BAD_QUERY', message });
    }
  });

  it('pass good parameters on as numbers, and leave other errors alone', async () => {
    const server = app();
    expect((await server.inject('/rollouts?limit=0&offset=20&q=checkout')).json()).toEqual({
      limit: 0,
      offset: 20,
      q: 'checkout',
    });
    expect((await server.inject('/stream?rollout=')).json()).toEqual({ rollout: '' });
    expect((await server.inject('/boom')).json()).toEqual({ code: 'other' });
    expect(schemaProblem(new DashboardError(400, 'X', 'y'), {} as never)).toBeUndefined();
  });
});
