/**
 * Whether a user's VirtualService can take the managed routes, read before anything is written: every HTTP route
 * named for this Rollout must be one Sluice writes (before the weighted route, sending only to the Rollout's two
 * destinations), header and mirror routes need a weighted HTTP route, and a step must not match a header the
 * weighted route already matches. A failed check concerns the managed routes only: the split can still be read and
 * written, so an abort (weight 0, no managed route) still goes through, and removes only Sluice's own entries.
 */
import { routeSteps } from '../../api/steps.ts';
import type { Rollout } from '../../api/types.ts';
import type { BaseRoute } from './managedEntries.ts';
import type { Destination, DestinationMatcher, VsRoute } from './virtualService.ts';
import { listOf } from './virtualService.ts';

/** A field of the Rollout to change, and why. */
export interface SpecError {
  field: string;
  message: string;
}

/** An HTTP route named sluice.<rollout>.<route> for this Rollout, where it was read. */
export interface NamedEntry {
  index: number;
  route: string;
  entry: VsRoute;
}

const managedRoutesField = 'spec.trafficRouting.managedRoutes';

const asObject = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const destinationOf = (v: unknown): Destination | undefined => asObject(v).destination as Destination | undefined;

/**
 * True when the entry sends only where Sluice's entries send: its destinations are the split's two, and what it
 * mirrors goes to the canary. Removing such an entry hands its requests back to the weighted route, to the same
 * Rollout; removing any other would take requests from whatever it sends them to.
 */
export function sendsOnlyToRollout(entry: VsRoute, stable: DestinationMatcher, canary: DestinationMatcher): boolean {
  const destinations = listOf(entry.route).map(destinationOf);
  const mirrors = [
    ...(entry.mirror === undefined ? [] : [entry.mirror as Destination]),
    ...listOf(entry.mirrors).map(destinationOf),
  ];
  return (
    destinations.length > 0 &&
    destinations.every((d) => stable.matches(d) || canary.matches(d)) &&
    mirrors.every((d) => canary.matches(d))
  );
}

/** True when the entry is Sluice's: before the weighted route (where Sluice adds them) and sending only to the Rollout. */
export function isSluiceEntry(
  named: NamedEntry,
  base: BaseRoute | undefined,
  stable: DestinationMatcher,
  canary: DestinationMatcher,
): boolean {
  return (base === undefined || named.index < base.split.index) && sendsOnlyToRollout(named.entry, stable, canary);
}

/**
 * Why the VirtualService cannot take the managed routes the Rollout asks for, if it cannot.
 * @param vsId "VirtualService shop/checkout", for messages
 * @param named every HTTP route named for this Rollout, as read
 * @param isSluices tells Sluice's entries from the user's routes that carry the name
 */
export function checkEntries(
  rollout: Rollout,
  vsId: string,
  named: readonly NamedEntry[],
  base: BaseRoute | undefined,
  isSluices: (named: NamedEntry) => boolean,
): SpecError | undefined {
  for (const n of named) {
    const name = String(n.entry.name);
    if (base !== undefined && n.index > base.split.index)
      return {
        field: managedRoutesField,
        message:
          `${vsId} has an HTTP route named ${name} after the weighted route: that name is how Sluice marks its ` +
          'managed routes (always before it), so the route is yours: rename it',
      };
    if (!isSluices(n))
      return {
        field: managedRoutesField,
        message:
          `${vsId} has an HTTP route named ${name} that sends elsewhere than the Rollout's stable and canary: that ` +
          'name is how Sluice marks its managed routes, so the route is yours: rename it',
      };
  }
  const steps = routeSteps(rollout.spec).filter((s) => s.route !== undefined);
  if (steps.length === 0) return undefined;
  if (base === undefined)
    return {
      field: managedRoutesField,
      message:
        `${vsId} has no weighted HTTP route, and header and mirror routes (${steps[0]!.field}) are HTTP routes ` +
        'added before one: split an HTTP route, or remove those steps',
    };
  const blocks = listOf(base.route.match).map(asObject);
  const matched = new Set(blocks.flatMap((b) => Object.keys(asObject(b.headers)).map((h) => h.toLowerCase())));
  for (const step of steps)
    for (const m of step.route!.match)
      if (matched.has(m.headerName))
        return {
          field: step.field,
          message:
            `${vsId}'s weighted route ${JSON.stringify(base.route.name ?? '')} already matches header ` +
            `${m.headerName}: a managed route cannot match it too; match another header`,
        };
  return undefined;
}
