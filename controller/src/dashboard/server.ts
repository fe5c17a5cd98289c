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
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { actionMessage, type RolloutWriter } from './actions.ts';
import type { Asset } from './assets.ts';
import type { Authorizer } from './auth.ts';
import { OpenCounter, RequestRateLimiter, type RequestRate } from './clientLimits.ts';
import { bearerToken, checkSameOrigin } from './crossSite.ts';
import { DashboardError, dashboardErrors } from './errors.ts';
import { checkHost } from './hostCheck.ts';
import {
  dashboardActions, isDashboardAction, matchesFilter, rolloutPhases,
  type DashboardInfo, type RolloutDetail, type RolloutFilter, type RolloutList,
} from './model.ts';
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
  /** Seconds between keep-alive comments on the stream, so proxies do not close a quiet one. */
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

const maxLimit = 1_000;
const defaultLimit = 100;
/** A page whose stream cannot take what is sent (a stalled network) is dropped; it reconnects to a fresh snapshot. */
const maxBufferedBytes = 4 * 1024 * 1024;

// Only this origin's own script, styles and API; no framing. uPlot sets styles through the CSSOM, which CSP allows.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function send(reply: FastifyReply, err: DashboardError): FastifyReply {
  return reply.code(err.status).send({ code: err.code, message: err.message });
}

function readFilter(query: Record<string, string | undefined>): RolloutFilter {
  const phases = (query.phase ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
  const unknown = phases.filter((p) => !(rolloutPhases as readonly string[]).includes(p));
  if (unknown.length > 0) throw dashboardErrors.badQuery(`unknown phase ${unknown.join(', ')}: use ${rolloutPhases.join(', ')}`);
  return { namespace: query.namespace, phases, text: query.q };
}

function readWhole(text: string | undefined, name: string, fallback: number, max: number): number {
  if (text === undefined || text === '') return fallback;
  if (!/^[0-9]+$/.test(text) || Number(text) > max) throw dashboardErrors.badQuery(`${name} must be a whole number from 0 to ${max}`);
  return Number(text);
}

export function dashboardServer(deps: DashboardServerDeps): FastifyInstance {
  const base = normalizeBasePath(deps.basePath);
  // No request logging: an Authorization header must never reach a log line. Actions are logged below, by hand.
  const app = Fastify({ logger: false });
  const streams = new Set<ServerResponse>();
  const limits = { ...defaultDashboardLimits, ...deps.limits };
  const actionRate = new RequestRateLimiter(limits.actions);
  const openStreams = new OpenCounter({ perClient: limits.streamsPerClient, total: limits.streamsTotal });
  let authInFlight = 0;

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
    if (request.url.startsWith(`${base}api/`)) reply.header('Cache-Control', 'no-store');
    else reply.header('Content-Security-Policy', contentSecurityPolicy);
    done(null, payload);
  });
  app.setErrorHandler((err, _request, reply) => {
    if (err instanceof DashboardError) return send(reply, err);
    deps.log.error({ err }, 'dashboard request failed');
    return reply.code(500).send({ code: 'SLUICE_DASHBOARD_INTERNAL', message: 'the dashboard failed to answer; see the controller log' });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ code: 'SLUICE_DASHBOARD_NO_ROUTE', message: `no such page or API route: the dashboard is under ${base}` }));
  app.addHook('preClose', (done) => {
    for (const res of streams) res.end();
    done();
  });

  // The page. Hash routing (#/rollouts/ns/name) keeps every page URL at the base path, so relative URLs just work.
  if (base !== '/') app.get(base.slice(0, -1), (_request, reply) => reply.redirect(base, 308));
  const page = (path: string, reply: FastifyReply) => {
    if (deps.assets === undefined) return send(reply, dashboardErrors.noAssets());
    const asset = deps.assets.get(path);
    if (asset === undefined) return send(reply, new DashboardError(404, 'SLUICE_DASHBOARD_NO_ROUTE', `no such file: ${path}`));
    return reply
      .header('Content-Type', asset.contentType)
      .header('Cache-Control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .send(asset.body);
  };
  app.get(base, (_request, reply) => page('index.html', reply));
  app.get<{ Params: { '*': string } }>(`${base}assets/*`, (request, reply) => page(`assets/${request.params['*']}`, reply));

  app.get(`${base}api/config`, (_request, reply) => reply.send({ version: deps.version, actions: deps.actions, namespace: deps.namespace } satisfies DashboardInfo));

  app.get<{ Querystring: Record<string, string | undefined> }>(`${base}api/rollouts`, (request, reply) => {
    const filter = readFilter(request.query);
    const limit = readWhole(request.query.limit, 'limit', defaultLimit, maxLimit);
    const offset = readWhole(request.query.offset, 'offset', 0, Number.MAX_SAFE_INTEGER);
    if (!deps.ready()) throw dashboardErrors.notSynced();
    const matching = views.summaries().filter((s) => matchesFilter(s, filter));
    return reply.send({ items: matching.slice(offset, offset + limit), total: matching.length, offset, limit } satisfies RolloutList);
  });

  app.get<{ Params: { namespace: string; name: string } }>(`${base}api/rollouts/:namespace/:name`, (request, reply) => {
    const { namespace, name } = request.params;
    if (!deps.ready()) throw dashboardErrors.notSynced();
    const found = views.detail(`${namespace}/${name}`);
    if (found === undefined) throw dashboardErrors.notFound(namespace, name);
    return reply.send(found satisfies RolloutDetail);
  });

  app.get<{ Querystring: Record<string, string | undefined> }>(`${base}api/stream`, (request, reply) => {
    const filter = readFilter(request.query);
    const detailKey = request.query.rollout === undefined || request.query.rollout === '' ? undefined : request.query.rollout;
    if (detailKey !== undefined && !/^[^/]+\/[^/]+$/.test(detailKey)) throw dashboardErrors.badQuery('rollout must be <namespace>/<name>');
    if (!deps.ready()) throw dashboardErrors.notSynced();
    const opened = openStreams.open(request.ip);
    if (opened.kind !== 'ok') {
      throw opened.kind === 'perClient' ? dashboardErrors.tooManyStreams(limits.streamsPerClient) : dashboardErrors.streamsFull(limits.streamsTotal);
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
  });

  app.post<{ Params: { namespace: string; name: string; action: string } }>(`${base}api/rollouts/:namespace/:name/actions/:action`, async (request, reply) => {
    const { namespace, name, action } = request.params;
    if (!deps.actions) throw dashboardErrors.readOnly();
    const waitMs = actionRate.take(request.ip);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      reply.header('Retry-After', String(seconds));
      throw dashboardErrors.tooManyRequests(seconds);
    }
    const sameOrigin = checkSameOrigin({ host: request.headers.host, origin: request.headers.origin, 'sec-fetch-site': header(request.headers['sec-fetch-site']) });
    if (!sameOrigin.ok) throw dashboardErrors.crossSite(sameOrigin.reason);
    if (!isDashboardAction(action)) throw dashboardErrors.unknownAction(action, dashboardActions);
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) {
      reply.header('WWW-Authenticate', 'Bearer realm="sluice"');
      throw dashboardErrors.noToken();
    }
    if (authInFlight >= limits.authInFlight) {
      reply.header('Retry-After', '2');
      throw dashboardErrors.authBusy();
    }
    let decision;
    authInFlight++;
    try {
      decision = await deps.authorizer.authorize(token, { namespace, name });
    } catch (err) {
      deps.log.warn({ err: redactedError(err) }, 'dashboard: TokenReview or SubjectAccessReview failed');
      throw dashboardErrors.authUnavailable();
    } finally {
      authInFlight--;
    }
    if (decision.kind === 'unauthenticated') {
      reply.header('WWW-Authenticate', 'Bearer realm="sluice", error="invalid_token"');
      deps.log.info({ namespace, name, action }, 'dashboard: refused an action with a token the API server did not accept');
      throw dashboardErrors.badToken(decision.reason);
    }
    if (decision.kind === 'forbidden') {
      deps.log.info({ namespace, name, action, user: decision.user.username }, 'dashboard: refused an action the user may not do');
      throw dashboardErrors.forbidden(decision.reason);
    }
    const rollout = views.rollout(`${namespace}/${name}`);
    if (rollout === undefined) throw dashboardErrors.notFound(namespace, name);
    const user = decision.user.username;
    try {
      await deps.writer.request(rollout, action);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 404) throw dashboardErrors.notFound(namespace, name);
      deps.log.warn({ err: redactedError(err), namespace, name, action, user }, 'dashboard: action write failed');
      throw dashboardErrors.writeFailed(namespace, name, typeof code === 'number' ? `the API server answered ${code}` : 'the API server could not be reached');
    }
    const message = actionMessage(action, user);
    let recorded = true;
    try {
      await deps.writer.recordAction(rollout, message);
    } catch (err) {
      recorded = false;
      deps.log.error({ err: redactedError(err), namespace, name, action, user }, 'dashboard: the action was written but its Event was not');
    }
    deps.log.info({ namespace, name, action, user }, 'dashboard action');
    return reply.code(202).send({ action, rollout: `${namespace}/${name}`, user, message, eventRecorded: recorded });
  });

  return app;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * client-node's errors carry the request, headers included; a failed TokenReview's request body holds the token.
 * Log only the code and message.
 */
function redactedError(err: unknown): { message: string; code?: unknown } {
  if (err instanceof Error) return { message: err.message.slice(0, 500), code: (err as { code?: unknown }).code };
  return { message: String(err).slice(0, 500) };
}
