/**
 * Whether a user's HTTPRoute or GRPCRoute can take the managed routes the Rollout's steps ask for, checked before
 * anything is written: the Gateway API's bounds (rules per route, matches, headers per match) and what it cannot
 * express (an empty exact header value, a header the weighted rule already matches on). A failed check is an
 * InvalidSpec naming the field to change, so the planner holds the rollout rather than the write failing later.
 */
import { routeSteps } from '../../api/steps.ts';
import type { Rollout } from '../../api/types.ts';
import { maxHeadersPerMatch, maxMatchesPerRoute, maxRules, type RouteRule } from './managedRules.ts';

/** A field of the Rollout to change, and why. */
export interface SpecError {
  field: string;
  message: string;
}

const managedRoutesField = 'spec.trafficRouting.managedRoutes';

export function hasRouteSteps(rollout: Rollout): boolean {
  return routeSteps(rollout.spec).length > 0;
}

/**
 * @param what "HTTPRoute shop/web", for messages
 * @param userRules the route's rules that are not Sluice's
 * @param weighted the rule that splits between stable and canary
 */
export function checkManagedRoutes(
  rollout: Rollout,
  what: string,
  userRules: readonly RouteRule[],
  weighted: RouteRule,
): SpecError | undefined {
  const steps = routeSteps(rollout.spec);
  const listed = new Set((rollout.spec.trafficRouting?.managedRoutes ?? []).map((r) => r.name));
  const used = new Set(steps.filter((s) => s.route !== undefined && listed.has(s.name)).map((s) => s.name));
  if (userRules.length + used.size > maxRules)
    return {
      field: managedRoutesField,
      message:
        `${what} has ${userRules.length} rules and the steps add ${used.size} managed rules: the Gateway API allows ` +
        `at most ${maxRules} rules in a route; use fewer managed routes or merge rules of the route`,
    };
  const weightedMatches = Math.max(1, weighted.matches?.length ?? 0);
  const userMatches = userRules.reduce((n, r) => n + Math.max(1, r.matches?.length ?? 0), 0);
  if (userMatches + used.size * weightedMatches > maxMatchesPerRoute)
    return {
      field: managedRoutesField,
      message:
        `${what} has ${userMatches} matches and each managed rule repeats the weighted rule's ${weightedMatches}: ` +
        `the Gateway API allows fewer than ${maxMatchesPerRoute + 1} matches in a route; use fewer managed routes`,
    };
  const matches = weighted.matches ?? [];
  const mostHeaders = Math.max(0, ...matches.map((m) => m.headers?.length ?? 0));
  const weightedNames = new Set(matches.flatMap((m) => (m.headers ?? []).map((h) => String(h.name).toLowerCase())));
  for (const step of steps) {
    const route = step.route;
    if (route === undefined) continue;
    if (mostHeaders + route.match.length > maxHeadersPerMatch)
      return {
        field: step.field,
        message: `${what}'s weighted rule matches ${mostHeaders} headers and the step adds ${route.match.length}: the Gateway API allows at most ${maxHeadersPerMatch} per match`,
      };
    for (const m of route.match) {
      if (weightedNames.has(m.headerName))
        return {
          field: step.field,
          message: `${what}'s weighted rule already matches header ${m.headerName}, and the Gateway API reads only the first match of a header: match another header`,
        };
      if (m.headerValue.exact === '')
        return {
          field: step.field,
          message: `the Gateway API cannot match an empty header value (${m.headerName}): use regex "^$" instead`,
        };
    }
  }
  return undefined;
}
