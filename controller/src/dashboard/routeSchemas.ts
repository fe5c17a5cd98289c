/**
 * The dashboard API's parameters as TypeBox schemas, checked by fastify before a handler runs. Each schema's
 * `description` is the sentence a refusal names ("limit must be a whole number from 0 to 1000"), so that the
 * schema and the message cannot drift apart; schemaProblem turns fastify's validation error into the
 * SLUICE_DASHBOARD_BAD_QUERY answer.
 */
import type { FastifyError, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { DashboardError, dashboardErrors } from './errors.ts';

export const maxLimit = 1_000;
export const defaultLimit = 100;

/** The filter the list and the stream share. Each may be given once: a repeated one is an array, and refused. */
const filterQuery = {
  namespace: Type.Optional(Type.String({ description: 'one namespace' })),
  // A comma-separated list: which names are phases is checked by readFilter, which names the unknown one.
  phase: Type.Optional(Type.String({ description: 'one comma-separated list of phases' })),
  q: Type.Optional(Type.String({ description: 'one search text' })),
};

export const rolloutListQuery = Type.Object({
  ...filterQuery,
  limit: Type.Optional(
    Type.Integer({ minimum: 0, maximum: maxLimit, description: `a whole number from 0 to ${maxLimit}` }),
  ),
  offset: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description: `a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`,
    }),
  ),
});
export type RolloutListQuery = Static<typeof rolloutListQuery>;

export const rolloutStreamQuery = Type.Object({
  ...filterQuery,
  // Empty means no detail, as when the parameter is left out.
  rollout: Type.Optional(Type.String({ pattern: '^([^/]+/[^/]+)?$', description: '<namespace>/<name>' })),
});
export type RolloutStreamQuery = Static<typeof rolloutStreamQuery>;

export const rolloutParams = Type.Object({ namespace: Type.String(), name: Type.String() });
export type RolloutParams = Static<typeof rolloutParams>;

// The action is checked in the handler, not here: its refusal comes after the read-only and origin checks, and
// names the known actions (SLUICE_DASHBOARD_UNKNOWN_ACTION).
export const actionParams = Type.Object({ namespace: Type.String(), name: Type.String(), action: Type.String() });
export type ActionParams = Static<typeof actionParams>;

/** The dashboard's answer to a request fastify's schema check refused, or undefined for any other error. */
export function schemaProblem(error: unknown, request: FastifyRequest): DashboardError | undefined {
  const err = error as Partial<FastifyError> | undefined;
  const first = err?.validation?.[0];
  if (first === undefined) return undefined;
  const param = first.instancePath.replace(/^\//, '').split('/')[0] ?? '';
  const part = err?.validationContext === 'params' ? 'params' : 'querystring';
  const schema = request.routeOptions.schema?.[part] as
    { properties?: Record<string, { description?: string }> } | undefined;
  const description = schema?.properties?.[param]?.description;
  if (param === '')
    return dashboardErrors.badQuery(`${err?.validationContext ?? 'request'} ${first.message ?? 'is invalid'}`);
  return dashboardErrors.badQuery(
    description === undefined ? `${param} ${first.message ?? 'is invalid'}` : `${param} must be ${description}`,
  );
}
