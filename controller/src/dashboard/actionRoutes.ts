/**
 * POST rollouts/:namespace/:name/actions/:action, registered under the API prefix. Everything that decides
 * whether the request may act runs in a preHandler before the handler: actions on (--dashboard-actions), the
 * client's action rate, a same-origin page, a known action, a bearer token, and the API server's word on who the
 * token is and whether it may patch this Rollout. The handler only writes, as the user the hook found.
 */
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { isNotFound, statusCode } from '../kube/apiErrors.ts';
import { actionMessage, type RolloutWriter } from './actions.ts';
import type { Authorizer } from './auth.ts';
import type { RequestRateLimiter } from './clientLimits.ts';
import { bearerToken, checkSameOrigin } from './crossSite.ts';
import { dashboardErrors } from './errors.ts';
import { dashboardActions, isDashboardAction } from './model.ts';
import { actionParams, type ActionParams } from './routeSchemas.ts';
import type { RolloutViews } from './view.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The user the API server said an action's token belongs to; set by the actions preHandler. */
    dashboardUser: string | undefined;
  }
}

export interface ActionRoutesOptions {
  views: RolloutViews;
  authorizer: Authorizer;
  writer: RolloutWriter;
  log: Logger;
  actions: boolean;
  actionRate: RequestRateLimiter;
  /** Token checks waiting on the API server at once; more get 503 rather than queue behind the rate limit. */
  authInFlightLimit: number;
}

type ActionRequest = FastifyRequest<{ Params: ActionParams }>;

export const actionRoutes: FastifyPluginCallback<ActionRoutesOptions> = (app, options, done) => {
  const { views, authorizer, writer, log } = options;
  let authInFlight = 0;

  async function authorize(request: ActionRequest, reply: FastifyReply): Promise<void> {
    const { namespace, name, action } = request.params;
    if (!options.actions) throw dashboardErrors.readOnly();
    const waitMs = options.actionRate.take(request.ip);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      reply.header('Retry-After', String(seconds));
      throw dashboardErrors.tooManyRequests(seconds);
    }
    const sameOrigin = checkSameOrigin({
      host: request.headers.host,
      origin: request.headers.origin,
      'sec-fetch-site': header(request.headers['sec-fetch-site']),
    });
    if (!sameOrigin.ok) throw dashboardErrors.crossSite(sameOrigin.reason);
    if (!isDashboardAction(action)) throw dashboardErrors.unknownAction(action, dashboardActions);
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) {
      reply.header('WWW-Authenticate', 'Bearer realm="sluice"');
      throw dashboardErrors.noToken();
    }
    if (authInFlight >= options.authInFlightLimit) {
      reply.header('Retry-After', '2');
      throw dashboardErrors.authBusy();
    }
    let decision;
    authInFlight++;
    try {
      decision = await authorizer.authorize(token, { namespace, name });
    } catch (err) {
      log.warn({ err: redactedError(err) }, 'dashboard: TokenReview or SubjectAccessReview failed');
      throw dashboardErrors.authUnavailable();
    } finally {
      authInFlight--;
    }
    if (decision.kind === 'unauthenticated') {
      reply.header('WWW-Authenticate', 'Bearer realm="sluice", error="invalid_token"');
      log.info({ namespace, name, action }, 'dashboard: refused an action with a token the API server did not accept');
      throw dashboardErrors.badToken(decision.reason);
    }
    if (decision.kind === 'forbidden') {
      log.info(
        { namespace, name, action, user: decision.user.username },
        'dashboard: refused an action the user may not do',
      );
      throw dashboardErrors.forbidden(decision.reason);
    }
    request.dashboardUser = decision.user.username;
  }

  app.decorateRequest('dashboardUser', undefined);
  app.addHook('preHandler', authorize);

  app.post<{ Params: ActionParams }>(
    '/rollouts/:namespace/:name/actions/:action',
    { schema: { params: actionParams } },
    async (request, reply) => {
      const { namespace, name, action } = request.params;
      const user = request.dashboardUser;
      // The preHandler let it through, so both hold; checked again so that the types say so.
      if (user === undefined || !isDashboardAction(action)) throw new Error('the actions preHandler did not run');
      const rollout = views.rollout(`${namespace}/${name}`);
      if (rollout === undefined) throw dashboardErrors.notFound(namespace, name);
      try {
        await writer.request(rollout, action);
      } catch (err) {
        if (isNotFound(err)) throw dashboardErrors.notFound(namespace, name);
        log.warn({ err: redactedError(err), namespace, name, action, user }, 'dashboard: action write failed');
        const code = statusCode(err);
        throw dashboardErrors.writeFailed(
          namespace,
          name,
          code === undefined ? 'the API server could not be reached' : `the API server answered ${code}`,
        );
      }
      const message = actionMessage(action, user);
      let recorded = true;
      try {
        await writer.recordAction(rollout, message);
      } catch (err) {
        recorded = false;
        log.error(
          { err: redactedError(err), namespace, name, action, user },
          'dashboard: the action was written but its Event was not',
        );
      }
      log.info({ namespace, name, action, user }, 'dashboard action');
      return reply.code(202).send({ action, rollout: `${namespace}/${name}`, user, message, eventRecorded: recorded });
    },
  );
  done();
};

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
