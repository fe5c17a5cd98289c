/**
 * Reading a VirtualService: which of its routes send to both the stable and the canary destination, at which
 * indexes, and with which weights. Everything is read defensively: the object is the user's, edited by hand.
 */

/** An Istio Destination: a host (a Service name, short or qualified), and for subset-based splits a subset. */
export interface Destination {
  host?: unknown;
  subset?: unknown;
  port?: unknown;
}
export interface RouteDestination {
  destination?: Destination;
  weight?: unknown;
}
/** An entry of spec.http, spec.tls or spec.tcp; only http entries have a name, only tls and tcp a sniHosts/port. */
export interface VsRoute {
  name?: unknown;
  match?: unknown;
  route?: unknown;
  [field: string]: unknown;
}
export interface VirtualService {
  metadata?: { name?: string; namespace?: string };
  spec?: { http?: unknown; tls?: unknown; tcp?: unknown };
}

export type Section = 'http' | 'tls' | 'tcp';
export const sections: readonly Section[] = ['http', 'tls', 'tcp'];

/** How one side of the split is recognised: by Service host (host-based) or by host and subset (subset-based). */
export interface DestinationMatcher {
  /** A human description for messages, e.g. "checkout-canary" or "subset canary". */
  describe: string;
  matches(destination: Destination | undefined): boolean;
}

/** A route with destinations to both sides, with their indexes in `route` and their weights. */
export interface SplitRoute {
  section: Section;
  index: number;
  stable: number;
  canary: number;
  stableDestination: Destination;
  canaryDestination: Destination;
  stableWeight: number;
  canaryWeight: number;
  /** A destination whose weight is set but is not a non-negative number: the split cannot be read. */
  unreadable?: { destination: Destination; weight: unknown };
}

/** A list in the user's object, or none when the field is missing or not a list. */
export function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function routesOf(vs: VirtualService, section: Section): VsRoute[] {
  return listOf(vs.spec?.[section]).map((r) => (typeof r === 'object' && r !== null ? (r as VsRoute) : {}));
}

function destinationsOf(route: VsRoute): RouteDestination[] {
  return listOf(route.route).map((d) => (typeof d === 'object' && d !== null ? (d as RouteDestination) : {}));
}

/**
 * True when `host` names the Service `service` of `namespace`: the short name, name.ns, name.ns.svc or the fully
 * qualified name.ns.svc.cluster.local, as Istio resolves them from a VirtualService in that namespace.
 */
export function hostIsService(host: unknown, service: string, namespace: string): boolean {
  if (typeof host !== 'string') return false;
  const qualified = `${service}.${namespace}`;
  return [service, qualified, `${qualified}.svc`, `${qualified}.svc.cluster.local`].includes(host.toLowerCase());
}

/** The fully qualified form of a Service host written in `namespace`, to compare two spellings of one host. */
export function qualifiedHost(host: string, namespace: string): string {
  const parts = host.toLowerCase().split('.');
  if (parts.length === 1) return `${parts[0]}.${namespace}.svc.cluster.local`;
  if (parts.length === 2) return `${parts.join('.')}.svc.cluster.local`;
  if (parts.length === 3 && parts[2] === 'svc') return `${parts.join('.')}.cluster.local`;
  return parts.join('.');
}

/**
 * Istio's weight: an omitted one is 100 for a lone destination and 0 beside others. One that is set but is not a
 * non-negative number is undefined: reading it as 0 would report a canary share nobody set.
 */
function weightOf(d: RouteDestination, count: number): number | undefined {
  if (d.weight === undefined) return count === 1 ? 100 : 0;
  return typeof d.weight === 'number' && Number.isFinite(d.weight) && d.weight >= 0 ? d.weight : undefined;
}

export function splitOf(
  section: Section,
  index: number,
  route: VsRoute,
  stable: DestinationMatcher,
  canary: DestinationMatcher,
): SplitRoute | undefined {
  const destinations = destinationsOf(route);
  const s = destinations.findIndex((d) => stable.matches(d.destination));
  const c = destinations.findIndex((d) => canary.matches(d.destination));
  if (s < 0 || c < 0 || s === c) return undefined;
  const stableWeight = weightOf(destinations[s]!, destinations.length);
  const canaryWeight = weightOf(destinations[c]!, destinations.length);
  const bad = stableWeight === undefined ? s : canaryWeight === undefined ? c : undefined;
  return {
    section,
    index,
    stable: s,
    canary: c,
    stableDestination: destinations[s]!.destination!,
    canaryDestination: destinations[c]!.destination!,
    stableWeight: stableWeight ?? 0,
    canaryWeight: canaryWeight ?? 0,
    ...(bad === undefined
      ? {}
      : { unreadable: { destination: destinations[bad]!.destination!, weight: destinations[bad]!.weight } }),
  };
}

/** The canary's share in whole percent; 0/0 sends nothing to the canary. */
export function canaryPercent(split: SplitRoute): number {
  const total = split.stableWeight + split.canaryWeight;
  return total === 0 ? 0 : Math.round((split.canaryWeight * 100) / total);
}

/**
 * The name a route goes by in spec.trafficRouting.istio: an http route's name, a tls route's first match's first
 * sniHosts entry (every entry of it counts), a tcp route's first match's port as a string.
 */
export function routeNames(section: Section, route: VsRoute): string[] {
  if (section === 'http') return typeof route.name === 'string' ? [route.name] : [];
  const first = listOf(route.match)[0] as { sniHosts?: unknown; port?: unknown } | undefined;
  if (typeof first !== 'object' || first === null) return [];
  if (section === 'tls') return listOf(first.sniHosts).filter((h): h is string => typeof h === 'string');
  return typeof first.port === 'number' ? [String(first.port)] : [];
}

/** True when `host`, written in `namespace`, names a Service of that namespace (no wildcard, no other namespace). */
export function isServiceOf(host: string, namespace: string): boolean {
  const parts = qualifiedHost(host, namespace).split('.');
  return !host.includes('*') && parts.length >= 4 && parts[1] === namespace.toLowerCase() && parts[2] === 'svc';
}

/** JSON Pointer escaping of one path segment (a label key has a slash). */
export function pointerSegment(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** The test operations that pin a destination where it was read: its host, and its subset when it has one. */
export function destinationTests(path: string, destination: Destination): object[] {
  const ops: object[] = [{ op: 'test', path: `${path}/destination/host`, value: destination.host }];
  if (destination.subset !== undefined)
    ops.push({ op: 'test', path: `${path}/destination/subset`, value: destination.subset });
  return ops;
}

/** Weight ops for one split route, each index pinned by a test of the destination it must still hold. */
export function weightOps(split: SplitRoute, canaryWeight: number): object[] {
  const base = `/spec/${split.section}/${split.index}/route`;
  return [
    ...destinationTests(`${base}/${split.stable}`, split.stableDestination),
    ...destinationTests(`${base}/${split.canary}`, split.canaryDestination),
    { op: 'add', path: `${base}/${split.stable}/weight`, value: 100 - canaryWeight },
    { op: 'add', path: `${base}/${split.canary}/weight`, value: canaryWeight },
  ];
}
