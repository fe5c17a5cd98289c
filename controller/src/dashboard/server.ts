/**
 * The dashboard's HTTP server (its own port, --dashboard-port): the built page, the JSON API and the stream, all
 * under the base path so that it can sit behind a proxy at, say, /sluice/. Reads come from the controller's
 * informer caches (no API call per request); actions are off unless --dashboard-actions, and then each needs a
 * bearer token that the API server authenticates and authorizes (auth.ts), from a same-origin page (crossSite.ts).
 * Every request must name a Host the dashboard is served as (hostCheck.ts: DNS rebinding). Each client address
 * may send so many actions a second and hold so many streams, and the server holds so many streams in all
 * (clientLimits.ts): what one client spends (API server reviews, memory, CPU) must not be taken from the others.
 *
 * Routes, under the base path:
 *   GET  /                                         the page (and assets/*)
 *   GET  api/config                                version, whether actions are on, the watched namespace
 *   GET  api/rollouts?namespace=&phase=&q=&limit=&offset=   list rows, filtered and paged
 *   GET  api/rollouts/:namespace/:name             one rollout in detail
 *   GET  api/stream?namespace=&phase=&q=&rollout=ns/name    server-sent events: snapshot, changes, detail
 *   POST api/rollouts/:namespace/:name/actions/:action      promote | promote-full | abort | retry | pause | resume
 */
import Fastify, { type FastifyInstance, type FastifyPluginCallback, type FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { actionRoutes } from './actionRoutes.ts';
import type { RolloutWriter } from './actions.ts';
import type { Asset } from './assets.ts';
import type { Authorizer } from './auth.ts';
import { OpenCounter, RequestRateLimiter, type RequestRate } from './clientLimits.ts';
import { DashboardError, dashboardErrors } from './errors.ts';
import { checkHost } from './hostCheck.ts';
import {
  matchesFilter,
  rolloutPhases,
  type DashboardInfo,
  type RolloutDetail,
  type RolloutFilter,
  type RolloutList,
} from './model.ts';
import {
  defaultLimit,
  rolloutListQuery,
  rolloutParams,
  rolloutStreamQuery,
  schemaProblem,
  type RolloutListQuery,
  type RolloutParams,
  type RolloutStreamQuery,
} from './routeSchemas.ts';
import type { RolloutStream, StreamClient } from './stream.ts';
import type { RolloutViews } from './view.ts';

export interface DashboardServerDeps {
  views: RolloutViews;
  /** True once the caches have listed everything. */
  ready: () => boolean;
  stream: RolloutStream;
  authorizer: Authorizer;
  writer: RolloutWriter;
  /** The built page by URL path, or undefined when it is not built (the API still works). */
  assets: Map<string, Asset> | undefined;
  log: Logger;
  basePath: string;
  actions: boolean;
  namespace: string;
  version: string;
  /** Milliseconds between keep-alive comments on the stream, so proxies do not close a quiet one. Default 25 s. */
  keepAliveMs?: number;
  /** Host names (no port) requests may be sent to (hostCheck.ts allowedDashboardHosts). */
  allowedHosts: ReadonlySet<string>;
  limits?: Partial<DashboardLimits>;
}

export interface DashboardLimits {
  /** Action requests per client address; the rest get 429 before any TokenReview. */
  actions: RequestRate;
  /** Token checks waiting on the API server at once; more get 503 rather than queue behind the rate limit. */
  authInFlight: number;
  /** Open streams per client address (a page is one; behind port-forward every user is one address). */
  streamsPerClient: number;
  /** Open streams in all, on this replica. */
  streamsTotal: number;
}

export const defaultDashboardLimits: DashboardLimits = {
  actions: { perSecond: 1, burst: 10 },
  authInFlight: 16,
  streamsPerClient: 20,
  streamsTotal: 200,
};

/** "/", "/sluice" and "/sluice/" become "/" and "/sluice/". */
export function normalizeBasePath(path: string): string {
  const trimmed = path.trim().replace(/\/+$/, '');
  return trimmed === '' ? '/' : `${trimmed.startsWith('/') ? '' : '/'}${trimmed}/`;
}

/** A page whose stream cannot take what is sent (a stalled network) is dropped; it reconnects to a fresh snapshot. */
const maxBufferedBytes = 4 * 1024 * 1024;

// Only this origin's own script, styles and API; no framing. uPlot sets styles through the CSSOM, which CSP allows.
const contentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function send(reply: FastifyReply, err: DashboardError): FastifyReply {
  return reply.code(err.status).send({ code: err.code, message: err.message });
}

/** The filter of the list and the stream; the schema made each a single string, this checks the phases named. */
function readFilter(query: { namespace?: string; phase?: string; q?: string }): RolloutFilter {
  const phases = (query.phase ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const unknown = phases.filter((p) => !(rolloutPhases as readonly string[]).includes(p));
  if (unknown.length > 0)
    throw dashboardErrors.badQuery(`unknown phase ${unknown.join(', ')}: use ${rolloutPhases.join(', ')}`);
  return { namespace: query.namespace, phases, text: query.q };
}

export function dashboardServer(deps: DashboardServerDeps): FastifyInstance {
  const base = normalizeBasePath(deps.basePath);
  // No request logging: an Authorization header must never reach a log line. Actions are logged by hand.
  const app = Fastify({ logger: false });
  const streams = new Set<ServerResponse>();
  const limits = { ...defaultDashboardLimits, ...deps.limits };
  const openStreams = new OpenCounter({ perClient: limits.streamsPerClient, total: limits.streamsTotal });

  const { views } = deps;

  // Before routing, so that a page loaded through a rebound name reads nothing, not even the list.
  app.addHook('onRequest', (request, _reply, done) => {
    const verdict = checkHost(request.headers.host, deps.allowedHosts);
    done(verdict.ok ? undefined : dashboardErrors.badHost(verdict.reason));
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('X-Frame-Options', 'DENY');
    // By URL, not per route group: a 404 under api/ (no route, so no group's hook) must not be cached either.
    if (request.url.startsWith(`${base}api/`)) reply.header('Cache-Control', 'no-store');
    else reply.header('Content-Security-Policy', contentSecurityPolicy);
    done(null, payload);
  });
  app.setErrorHandler((err, request, reply) => {
    if (err instanceof DashboardError) return send(reply, err);
    const refused = schemaProblem(err, request);
    if (refused !== undefined) return send(reply, refused);
    deps.log.error({ err }, 'dashboard request failed');
    return reply
      .code(500)
      .send({ code: 'SLUICE_DASHBOARD_INTERNAL', message: 'the dashboard failed to answer; see the controller log' });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({
      code: 'SLUICE_DASHBOARD_NO_ROUTE',
      message: `no such page or API route: the dashboard is under ${base}`,
    }),
  );
  app.addHook('preClose', (done) => {
    for (const res of streams) res.end();
    done();
  });

  // The page. Hash routing (#/rollouts/ns/name) keeps every page URL at the base path, so relative URLs just work.
  const pageRoutes: FastifyPluginCallback = (page, _options, done) => {
    const file = (path: string, reply: FastifyReply) => {
      if (deps.assets === undefined) return send(reply, dashboardErrors.noAssets());
      const asset = deps.assets.get(path);
      if (asset === undefined)
        return send(reply, new DashboardError(404, 'SLUICE_DASHBOARD_NO_ROUTE', `no such file: ${path}`));
      return reply
        .header('Content-Type', asset.contentType)
        .header('Cache-Control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
        .send(asset.body);
    };
    // Only the base path with its slash serves the page; without it, a redirect (below) keeps relative URLs right.
    page.get('/', { prefixTrailingSlash: 'slash' }, (_request, reply) => file('index.html', reply));
    page.get<{ Params: { '*': string } }>('/assets/*', (request, reply) =>
      file(`assets/${request.params['*']}`, reply),
    );
    done();
  };

  const apiRoutes: FastifyPluginCallback = (api, _options, done) => {
    api.get('/config', (_request, reply) =>
      reply.send({ version: deps.version, actions: deps.actions, namespace: deps.namespace } satisfies DashboardInfo),
    );

    api.get<{ Querystring: RolloutListQuery }>(
      '/rollouts',
      { schema: { querystring: rolloutListQuery } },
      (request, reply) => {
        const filter = readFilter(request.query);
        const { limit = defaultLimit, offset = 0 } = request.query;
        if (!deps.ready()) throw dashboardErrors.notSynced();
        const matching = views.summaries().filter((s) => matchesFilter(s, filter));
        return reply.send({
          items: matching.slice(offset, offset + limit),
          total: matching.length,
          offset,
          limit,
        } satisfies RolloutList);
      },
    );

    api.get<{ Params: RolloutParams }>(
      '/rollouts/:namespace/:name',
      { schema: { params: rolloutParams } },
      (request, reply) => {
        const { namespace, name } = request.params;
        if (!deps.ready()) throw dashboardErrors.notSynced();
        const found = views.detail(`${namespace}/${name}`);
        if (found === undefined) throw dashboardErrors.notFound(namespace, name);
        return reply.send(found satisfies RolloutDetail);
      },
    );

    api.get<{ Querystring: RolloutStreamQuery }>(
      '/stream',
      { schema: { querystring: rolloutStreamQuery } },
      (request, reply) => {
        const filter = readFilter(request.query);
        const detailKey = request.query.rollout === '' ? undefined : request.query.rollout;
        if (!deps.ready()) throw dashboardErrors.notSynced();
        const opened = openStreams.open(request.ip);
        if (opened.kind !== 'ok') {
          throw opened.kind === 'perClient'
            ? dashboardErrors.tooManyStreams(limits.streamsPerClient)
            : dashboardErrors.streamsFull(limits.streamsTotal);
        }
        const { release } = opened;
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-store',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no', // nginx: pass each event on at once
          'X-Content-Type-Options': 'nosniff',
        });
        res.write('retry: 2000\n\n');
        streams.add(res);
        const client: StreamClient = {
          filter,
          detailKey,
          write(frame) {
            if (res.writableLength > maxBufferedBytes) {
              res.destroy();
              return;
            }
            res.write(frame);
          },
        };
        const remove = deps.stream.add(client);
        const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), deps.keepAliveMs ?? 25_000);
        res.on('close', () => {
          clearInterval(keepAlive);
          remove();
          streams.delete(res);
          release();
        });
      },
    );

    void api.register(actionRoutes, {
      views,
      authorizer: deps.authorizer,
      writer: deps.writer,
      log: deps.log,
      actions: deps.actions,
      actionRate: new RequestRateLimiter(limits.actions),
      authInFlightLimit: limits.authInFlight,
    });
    done();
  };

  // Route groups under the base path ("/" or "/sluice/"); fastify's prefix takes no trailing slash.
  const prefix = base.slice(0, -1);
  if (prefix !== '') app.get(prefix, (_request, reply) => reply.redirect(base, 308));
  void app.register(pageRoutes, { prefix });
  void app.register(apiRoutes, { prefix: `${prefix}/api` });

  return app;
}
