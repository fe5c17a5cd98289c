/**
 * Managed routes: the routes Sluice adds to the user's router object besides the weighted split, for header-based
 * routing (matching requests go to the canary) and mirroring (matching requests are copied to it). The steps
 * setHeaderRoute and setMirrorRoute set or remove them; spec.trafficRouting.managedRoutes names them and orders
 * them (first wins). Promotion and abort remove them all. This file is the shape every router reads back into,
 * so that the planner compares one form whatever the router.
 */

/** A request header and how its value must match; exactly one of exact, prefix and regex is set. */
export interface HeaderMatch {
  /** Lowercase: HTTP header names are case-insensitive, and Istio accepts only lowercase ones. */
  headerName: string;
  headerValue: { exact?: string; prefix?: string; regex?: string };
}

export type ManagedRoute =
  | { kind: 'header'; name: string; match: HeaderMatch[] }
  /** percentage: share of the matching requests copied to the canary; match empty: every request. */
  | { kind: 'mirror'; name: string; percentage: number; match: HeaderMatch[] };

/**
 * The match in one canonical form (lowercase names, one key per value, sorted by name), so that equal routes
 * compare equal. Sorted, because all headers must match whatever their order, and a router may not keep it: Istio
 * holds them in a map, which the API server stores with its keys sorted.
 */
export function canonicalMatch(match: readonly HeaderMatch[]): HeaderMatch[] {
  return match
    .map((m) => {
      const { exact, prefix, regex } = m.headerValue;
      const value = exact !== undefined ? { exact } : prefix !== undefined ? { prefix } : { regex: regex ?? '' };
      return { headerName: m.headerName.toLowerCase(), headerValue: value };
    })
    .sort((a, b) => (a.headerName < b.headerName ? -1 : a.headerName > b.headerName ? 1 : 0));
}

function canonical(route: ManagedRoute): string {
  const match = canonicalMatch(route.match);
  return JSON.stringify(
    route.kind === 'header' ? [route.kind, route.name, match] : [route.kind, route.name, route.percentage, match],
  );
}

/** True when two lists hold the same routes in the same order (the order is their precedence). */
export function sameRoutes(a: readonly ManagedRoute[], b: readonly ManagedRoute[]): boolean {
  return a.length === b.length && a.every((route, i) => canonical(route) === canonical(b[i]!));
}

/** "header route internal (x-user exact qa)" and the like, for status messages. */
export function describeRoute(route: ManagedRoute): string {
  const match = canonicalMatch(route.match).map((m) => {
    const [how, value] = Object.entries(m.headerValue)[0]!;
    return `${m.headerName} ${how} ${JSON.stringify(value)}`;
  });
  const what =
    route.kind === 'header' ? `header route ${route.name}` : `mirror route ${route.name} ${route.percentage}%`;
  return match.length === 0 ? what : `${what} (${match.join(', ')})`;
}
