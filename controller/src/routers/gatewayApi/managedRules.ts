/**
 * Sluice's managed rules in the user's HTTPRoute or GRPCRoute: one rule per managed route in force, appended after
 * the user's rules in the order of spec.trafficRouting.managedRoutes, and named `sluice.<rollout>.<route>` (the rule
 * `name` field, served since Gateway API v1.2). The name is how Sluice tells its rules from the user's and from
 * another Rollout's splitting in the same route: every rule named for this Rollout is its own, whether or not
 * managedRoutes still lists the route (so a route dropped from it mid-canary is removed, not left behind), and
 * nothing else is. A user's rule by that name that does not look like one Sluice writes makes the spec invalid
 * rather than being overwritten.
 *
 * Precedence: the Gateway API picks among rules by how specific their matches are, not by their order. A managed
 * rule has the weighted rule's matches plus its header matches, so for the same path it is more specific and wins
 * over the weighted rule, which keeps every request the managed rules do not match. Between two managed rules the
 * one with more header matches wins; on a tie, implementations fall back to rule order, hence the order above.
 *
 * Filters: none of the weighted rule's filters are copied. Some would be safe (header modifiers), others would not
 * (a redirect or a rewrite tied to its one match, a second mirror), and telling them apart would mean tracking every
 * filter type the Gateway API adds; a rule Sluice writes does only what the step says.
 */
import type { ManagedRoute } from '../managedRoutes.ts';
import { fromGatewayHeader, toGatewayHeader, type GatewayHeaderMatch } from './headerMatches.ts';

export interface BackendRef {
  name?: string;
  namespace?: string;
  kind?: string;
  group?: string;
  port?: number;
  weight?: number;
}
export interface RouteMatch {
  headers?: GatewayHeaderMatch[];
  [field: string]: unknown;
}
export interface RouteFilter {
  type?: string;
  requestMirror?: { backendRef?: BackendRef; percent?: number };
  [field: string]: unknown;
}
export interface RouteRule {
  name?: string;
  matches?: RouteMatch[];
  filters?: RouteFilter[];
  backendRefs?: BackendRef[];
  [field: string]: unknown;
}

/** Limits of the Gateway API v1 CRDs (HTTPRoute and GRPCRoute alike). */
export const maxRules = 16;
export const maxMatchesPerRule = 64;
/** The CRD's CEL rule: fewer than 128 matches across all rules. */
export const maxMatchesPerRoute = 127;
export const maxHeadersPerMatch = 16;

/**
 * `sluice.<rollout>.<route>`: a SectionName (dot-separated DNS labels, at most 253 characters). A route name is one
 * DNS label of at most 63 characters and a Rollout name at most 63 (its label value), so the name always fits; the
 * route is the last label, so the name cannot be read as another Rollout's (Rollout `a` route `b` vs `a.b`'s).
 */
export const managedRuleName = (rollout: string, route: string) => `sluice.${rollout}.${route}`;

const routeNamePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The managed route a rule's name stands for if the rule is this Rollout's, else undefined. */
export function managedRouteOf(rollout: string, ruleName: unknown): string | undefined {
  const prefix = `sluice.${rollout}.`;
  if (typeof ruleName !== 'string' || !ruleName.startsWith(prefix)) return undefined;
  const route = ruleName.slice(prefix.length);
  return routeNamePattern.test(route) ? route : undefined;
}

/** What a managed rule is derived from: the weighted rule and its two Services' backendRefs. */
export interface WeightedRule {
  rule: RouteRule;
  stable: BackendRef;
  canary: BackendRef;
}

const ref = (b: BackendRef, weight: number): BackendRef => {
  // Only the fields that say which backend; the weighted rule's per-backend filters are not copied.
  const { group, kind, name, namespace, port } = b;
  return JSON.parse(JSON.stringify({ group, kind, name, namespace, port, weight })) as BackendRef;
};

/** The weighted rule's matches, each with the route's header matches added; one match of them alone if none. */
function matchesWith(weighted: RouteRule, route: ManagedRoute): RouteMatch[] {
  const headers = route.match.map(toGatewayHeader);
  const matches = weighted.matches !== undefined && weighted.matches.length > 0 ? weighted.matches : [{}];
  if (headers.length === 0) return matches;
  return matches.map((m) => ({ ...m, headers: [...(m.headers ?? []), ...headers] }));
}

/** The rule that carries `route`, with the split at `canaryWeight` for a mirror route. */
export function managedRule(
  rollout: string,
  route: ManagedRoute,
  weighted: WeightedRule,
  canaryWeight: number,
): RouteRule {
  const name = managedRuleName(rollout, route.name);
  const matches = matchesWith(weighted.rule, route);
  if (route.kind === 'header') return { name, matches, backendRefs: [ref(weighted.canary, 1)] };
  const { weight: _weight, ...mirrorTo } = ref(weighted.canary, 0);
  return {
    name,
    matches,
    filters: [{ type: 'RequestMirror', requestMirror: { backendRef: mirrorTo, percent: route.percentage } }],
    backendRefs: [ref(weighted.stable, 100 - canaryWeight), ref(weighted.canary, canaryWeight)],
  };
}

const sameBackend = (a: BackendRef | undefined, b: BackendRef) =>
  a !== undefined && a.name === b.name && (a.kind ?? 'Service') === 'Service' && (a.group ?? '') === '';

/** The header matches the rule adds to the weighted rule's first match, in Sluice's form; undefined if unreadable. */
function addedHeaders(rule: RouteRule, weighted: RouteRule) {
  const first = rule.matches?.[0];
  if (first === undefined) return undefined;
  const base = weighted.matches?.[0]?.headers ?? [];
  const isBase = (h: GatewayHeaderMatch) => base.some((b) => b.name === h.name && b.value === h.value);
  const read = (first.headers ?? []).filter((h) => !isBase(h)).map(fromGatewayHeader);
  return read.every((h) => h !== undefined) ? read.map((h) => h) : undefined;
}

/**
 * The managed route a rule named sluice.<rollout>.<route> carries, or undefined when the rule does not have the shape Sluice
 * writes (the user's own rule by that name, or one edited past recognition).
 */
export function readManagedRule(rule: RouteRule, route: string, weighted: WeightedRule): ManagedRoute | undefined {
  const refs = rule.backendRefs ?? [];
  const filters = rule.filters ?? [];
  const match = addedHeaders(rule, weighted.rule);
  if (match === undefined) return undefined;
  if (filters.length === 0) {
    if (refs.length !== 1 || !sameBackend(refs[0], weighted.canary) || match.length === 0) return undefined;
    return { kind: 'header', name: route, match };
  }
  const mirror = filters[0]?.requestMirror;
  if (filters.length !== 1 || filters[0]?.type !== 'RequestMirror' || mirror === undefined) return undefined;
  if (!sameBackend(mirror.backendRef, weighted.canary)) return undefined;
  if (!refs.every((r) => sameBackend(r, weighted.stable) || sameBackend(r, weighted.canary))) return undefined;
  const percent = typeof mirror.percent === 'number' ? mirror.percent : 100;
  return { kind: 'mirror', name: route, percentage: percent, match };
}

/** Key order does not matter to the API server, so it does not to this comparison either. */
export function sameJson(a: unknown, b: unknown): boolean {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([, x]) => x !== undefined)
              .sort(([x], [y]) => (x < y ? -1 : 1))
              .map(([k, x]) => [k, sorted(x)]),
          )
        : v;
  return JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
}

/**
 * The JSON patch operations that turn the managed rules at `current` (their indexes and names, as read) into
 * `wanted`: a test of each current rule's name, then their removal from the last index down (so the earlier
 * indexes stay valid), then the wanted rules appended in order. None when they already are as wanted.
 */
export function managedRuleOps(
  rules: readonly RouteRule[],
  current: readonly { index: number; name: string }[],
  wanted: readonly RouteRule[],
): object[] {
  const same = current.length === wanted.length && current.every((c, i) => sameJson(rules[c.index], wanted[i]));
  if (same) return [];
  const tests = current.map((c) => ({ op: 'test', path: `/spec/rules/${c.index}/name`, value: c.name }));
  const removals = [...current]
    .sort((a, b) => b.index - a.index)
    .map((c) => ({ op: 'remove', path: `/spec/rules/${c.index}` }));
  const adds = wanted.map((rule) => ({ op: 'add', path: '/spec/rules/-', value: rule }));
  return [...tests, ...removals, ...adds];
}
