/**
 * Sluice's managed routes in a VirtualService: HTTP routes it adds to spec.http just before the weighted route they
 * derive from (Istio evaluates HTTP routes in order, so they win over the split), in managedRoutes order. A header
 * route sends its matching requests to the canary; a mirror route splits its matching requests like the weighted
 * route and copies a share of them to the canary. Each is named `sluice.<rollout>.<route>`: the name is the only
 * thing that tells Sluice's entries from the user's (a Rollout name with a Service has no dot, and a managed route
 * name never has one, so the name cannot be read two ways, and two Rollouts sharing a VirtualService do not meet).
 */
import type { HeaderMatch, ManagedRoute } from '../managedRoutes.ts';
import { canonicalMatch } from '../managedRoutes.ts';
import type { Destination, SplitRoute, VsRoute } from './virtualService.ts';
import { listOf } from './virtualService.ts';

const routeNamePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function managedEntryName(rollout: string, route: string): string {
  return `sluice.${rollout}.${route}`;
}

/** The managed route an HTTP route's name stands for, or undefined when the route is not Sluice's. */
export function managedRouteName(rollout: string, name: unknown): string | undefined {
  const prefix = `sluice.${rollout}.`;
  if (typeof name !== 'string' || !name.startsWith(prefix)) return undefined;
  const route = name.slice(prefix.length);
  return routeNamePattern.test(route) ? route : undefined;
}

const entryNamePattern = /^sluice\.[a-z0-9]([-a-z0-9]*[a-z0-9])?\.[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** True when an HTTP route's name is that of a managed entry of some Rollout (this one's or another's). */
export function isManagedEntryName(name: unknown): boolean {
  return typeof name === 'string' && entryNamePattern.test(name);
}

/** The weighted route the managed routes derive from: its match and its other settings are theirs too. */
export interface BaseRoute {
  route: VsRoute;
  split: SplitRoute;
  /** Where a mirror sends its copies: the canary's host (and subset, subset-based). */
  mirror: Destination;
}

// Fields of the weighted route a managed route must not copy: its own identity, destinations and mirroring.
const notCopied = new Set([
  'name',
  'match',
  'route',
  'mirror',
  'mirrors',
  'mirrorPercentage',
  'mirrorPercent',
  'redirect',
  'directResponse',
  'delegate',
]);

type Headers = Record<string, unknown>;
const asObject = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** The match blocks of the weighted route (OR-ed); one empty block when it matches everything. */
function baseBlocks(base: VsRoute): Record<string, unknown>[] {
  const blocks = listOf(base.match).map(asObject);
  return blocks.length === 0 ? [{}] : blocks;
}

/**
 * The managed route's match: every block of the weighted route's match with the route's headers added (AND), so it
 * captures only requests the weighted route would have taken. Throws when a header is already matched there.
 */
function entryMatch(base: VsRoute, match: readonly HeaderMatch[]): Record<string, unknown>[] | undefined {
  const headers: Headers = Object.fromEntries(canonicalMatch(match).map((m) => [m.headerName, m.headerValue]));
  const blocks = baseBlocks(base).map((block) => {
    const own = asObject(block.headers);
    const clash = Object.keys(headers).find((h) => Object.keys(own).some((o) => o.toLowerCase() === h));
    if (clash !== undefined)
      throw new Error(
        `the weighted route ${JSON.stringify(base.name ?? '')} already matches header ${clash}: a managed route cannot match it too`,
      );
    return Object.keys(headers).length === 0 ? block : { ...block, headers: { ...own, ...headers } };
  });
  return blocks.length === 1 && Object.keys(blocks[0]!).length === 0 ? undefined : blocks;
}

const copy = <T>(value: T): T => structuredClone(value);

/** The HTTP route Sluice writes for a managed route, at the given canary weight. */
export function managedEntry(rollout: string, route: ManagedRoute, base: BaseRoute, canaryWeight: number): VsRoute {
  const settings = Object.fromEntries(Object.entries(base.route).filter(([k]) => !notCopied.has(k)));
  const match = entryMatch(base.route, route.match);
  const entry: VsRoute = {
    ...copy(settings),
    name: managedEntryName(rollout, route.name),
    ...(match === undefined ? {} : { match }),
  };
  const { stableDestination, canaryDestination } = base.split;
  if (route.kind === 'header') return { ...entry, route: [{ destination: copy(canaryDestination), weight: 100 }] };
  return {
    ...entry,
    route: [
      { destination: copy(stableDestination), weight: 100 - canaryWeight },
      { destination: copy(canaryDestination), weight: canaryWeight },
    ],
    mirror: copy(base.mirror),
    mirrorPercentage: { value: route.percentage },
  };
}

function headerMatchOf(name: string, value: unknown): HeaderMatch | undefined {
  const v = asObject(value);
  for (const how of ['exact', 'prefix', 'regex'] as const)
    if (typeof v[how] === 'string') return { headerName: name.toLowerCase(), headerValue: { [how]: v[how] } };
  return undefined;
}

/** A managed entry read back as the planner compares it: the headers it adds to the weighted route's match. */
export function readManagedEntry(route: string, entry: VsRoute, base: VsRoute): ManagedRoute {
  const first = asObject(listOf(entry.match)[0]);
  const own = asObject(baseBlocks(base)[0]!.headers);
  const match = Object.entries(asObject(first.headers))
    .filter(([name, value]) => JSON.stringify(own[name]) !== JSON.stringify(value))
    .flatMap(([name, value]) => headerMatchOf(name, value) ?? []);
  if (entry.mirror === undefined) return { kind: 'header', name: route, match };
  const percentage = asObject(entry.mirrorPercentage).value;
  // Istio mirrors every request when mirrorPercentage is omitted.
  return { kind: 'mirror', name: route, percentage: typeof percentage === 'number' ? percentage : 100, match };
}

/** A JSON form with sorted keys, so that an entry read back from the API server compares equal to the one written. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
