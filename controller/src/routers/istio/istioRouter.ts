/**
 * Istio: splits traffic with the destination weights of the user's VirtualService routes (HTTP, TLS and TCP).
 * Host-based, the two destinations are the -stable and -canary Services; subset-based, they are one host with the
 * stable and canary subsets of a DestinationRule, whose revision label Sluice keeps on the two revisions. Sluice
 * writes only the two weights, that one label, and its own managed HTTP routes, with JSON patches whose test
 * operations pin every index they touch, so an object edited meanwhile fails the patch instead of taking a wrong write.
 */
import type { Rollout } from '../../api/types.ts';
import type { TrafficObservation } from '../../planner/world.ts';
import { revisionLabel, serviceName } from '../../workload/names.ts';
import type { RouterDeps, TrafficIntent, TrafficRouter } from '../router.ts';
import type { DestinationRule, Subsets, SubsetState } from './destinationRule.ts';
import { readSubsets, subsetOps, subsetsDiffer } from './destinationRule.ts';
import { checkEntries, isSluiceEntry, type NamedEntry, type SpecError } from './entryChecks.ts';
import {
  type BaseRoute,
  canonicalJson,
  isManagedEntryName,
  managedEntry,
  managedRouteName,
  readManagedEntry,
} from './managedEntries.ts';
import type {
  Destination,
  DestinationMatcher,
  Section,
  SplitRoute,
  VirtualService,
  VsRoute,
} from './virtualService.ts';
import {
  canaryPercent,
  hostIsService,
  isServiceOf,
  qualifiedHost,
  routeNames,
  routesOf,
  sections,
  splitOf,
  weightOps,
} from './virtualService.ts';

type IstioSpec = NonNullable<NonNullable<Rollout['spec']['trafficRouting']>['istio']>;
type Invalid = Extract<TrafficObservation, { kind: 'invalid' }>;

const field = 'spec.trafficRouting.istio';
const listField: Record<Section, 'routes' | 'tlsRoutes' | 'tcpRoutes'> = {
  http: 'routes',
  tls: 'tlsRoutes',
  tcp: 'tcpRoutes',
};
const sectionName: Record<Section, string> = { http: 'HTTP', tls: 'TLS', tcp: 'TCP' };

/** The VirtualService as Sluice reads it: the split routes, its managed entries, and the subsets, subset-based. */
interface Reading {
  splits: SplitRoute[];
  base: BaseRoute | undefined;
  /** Sluice's own HTTP routes, in order (a user's route that carries the name is not among them). */
  managed: NamedEntry[];
  subsets: Subsets | undefined;
  /** Every HTTP route, as read. */
  http: VsRoute[];
  /** Why the managed routes cannot be carried out, if they cannot (the split still can). */
  problem: SpecError | undefined;
}

export function istioRouter(rollout: Rollout, deps: RouterDeps): TrafficRouter {
  const spec: IstioSpec = rollout.spec.trafficRouting!.istio!;
  const namespace = rollout.metadata.namespace!;
  const rolloutName = rollout.metadata.name!;
  const vsName = spec.virtualService;
  const rule = spec.destinationRule;
  const stableSubset = rule?.stableSubsetName ?? 'stable';
  const canarySubset = rule?.canarySubsetName ?? 'canary';
  const invalid = (at: string, message: string): Invalid => ({ kind: 'invalid', field: `${field}${at}`, message });
  const vsId = `VirtualService ${namespace}/${vsName}`;

  const hostMatcher = (service: string): DestinationMatcher => ({
    describe: service,
    matches: (d?: Destination) => hostIsService(d?.host, service, namespace),
  });
  const subsetMatcher = (host: string, subset: string): DestinationMatcher => ({
    describe: `${host} subset ${subset}`,
    matches: (d?: Destination) =>
      typeof d?.host === 'string' &&
      qualifiedHost(d.host, namespace) === qualifiedHost(host, namespace) &&
      d.subset === subset,
  });

  const readSubsetSide = (): Subsets | Invalid | undefined => {
    if (rule === undefined) return undefined;
    const id = `DestinationRule ${namespace}/${rule.name}`;
    if (deps.served('DestinationRule') === undefined)
      return invalid('.destinationRule', "Istio's DestinationRule kind is not served by this cluster: install Istio");
    const object = deps.cached('DestinationRule', namespace, rule.name) as DestinationRule | undefined;
    if (object === undefined) return invalid('.destinationRule.name', `${id} not found: create it or fix the name`);
    const subsets = readSubsets(object, stableSubset, canarySubset);
    if (subsets.host === undefined) return invalid('.destinationRule.name', `${id} has no spec.host: set it`);
    // The subsets select the Rollout's pods by Sluice's revision label, and those pods are in this namespace: a
    // host of another namespace (or a wildcard) would send the canary's share to that namespace's pods.
    if (!isServiceOf(subsets.host, namespace))
      return invalid(
        '.destinationRule.name',
        `${id} is for host ${subsets.host}, which is not a Service of namespace ${namespace} where the Rollout's ` +
          'pods run: set its spec.host to the Service the VirtualService sends to',
      );
    for (const [side, name] of [
      ['stable', stableSubset],
      ['canary', canarySubset],
    ] as const)
      if (subsets[side] === undefined)
        return invalid(
          `.destinationRule.${side}SubsetName`,
          `${id} has no subset named ${name}: add {name: ${name}} to spec.subsets (Sluice sets its labels)`,
        );
    return subsets;
  };

  const read = (): Reading | Invalid => {
    if (deps.served('VirtualService') === undefined)
      return invalid('', "Istio's VirtualService kind is not served by this cluster: install Istio (its CRDs)");
    const vs = deps.cached('VirtualService', namespace, vsName) as VirtualService | undefined;
    if (vs === undefined) return invalid('.virtualService', `${vsId} not found: create it or fix the name`);
    const subsets = readSubsetSide();
    if (subsets !== undefined && 'kind' in subsets) return subsets;
    const stable = subsets ? subsetMatcher(subsets.host!, stableSubset) : hostMatcher(serviceName(rollout, 'stable'));
    const canary = subsets ? subsetMatcher(subsets.host!, canarySubset) : hostMatcher(serviceName(rollout, 'canary'));
    const both = `destinations to both ${stable.describe} and ${canary.describe}`;

    const entries: NamedEntry[] = [];
    const splits: SplitRoute[] = [];
    for (const section of sections) {
      const routes = routesOf(vs, section);
      const candidates = routes.flatMap((route, index) => {
        const own = section === 'http' ? managedRouteName(rolloutName, route.name) : undefined;
        if (own !== undefined) entries.push({ index, route: own, entry: route });
        return own === undefined ? [{ route, index }] : [];
      });
      const named = spec[listField[section]];
      const what = `${sectionName[section]} route`;
      if (named === undefined) {
        splits.push(...candidates.flatMap((c) => splitOf(section, c.index, c.route, stable, canary) ?? []));
        continue;
      }
      for (const name of named) {
        const at = `.${listField[section]}`;
        if (managedRouteName(rolloutName, name) !== undefined)
          return invalid(at, `${name} is the name of a Sluice managed route: name one of your own ${what}s`);
        const found = candidates.find((c) => routeNames(section, c.route).includes(name));
        if (found === undefined) return invalid(at, `${vsId} has no ${what} named ${name}: add it or fix the name`);
        const split = splitOf(section, found.index, found.route, stable, canary);
        if (split === undefined)
          return invalid(at, `the ${what} ${name} of ${vsId} has no ${both}: add the missing one with weight 0`);
        if (!splits.some((s) => s.section === section && s.index === split.index)) splits.push(split);
      }
    }
    if (splits.length === 0)
      return invalid('.virtualService', `${vsId} has no route with ${both}: add the missing one with weight 0`);
    const unreadable = splits.find((s) => s.unreadable !== undefined);
    if (unreadable !== undefined) {
      const { destination, weight } = unreadable.unreadable!;
      return invalid(
        '.virtualService',
        `${vsId} spec.${unreadable.section}[${unreadable.index}] sends to ${String(destination.host)} with weight ` +
          `${JSON.stringify(weight) ?? 'unset'}, which is not a non-negative number: set it to 0`,
      );
    }

    const first = splits.find((s) => s.section === 'http');
    const base =
      first === undefined
        ? undefined
        : { route: routesOf(vs, 'http')[first.index]!, split: first, mirror: first.canaryDestination };
    // From here on the split can be read and written: a problem with the managed routes refuses what the canary
    // asks, never an abort's weight 0 without managed routes (which removes only Sluice's own entries).
    const isSluices = (n: NamedEntry) => isSluiceEntry(n, base, stable, canary);
    const problem = checkEntries(rollout, vsId, entries, base, isSluices);
    return { splits, base, managed: entries.filter(isSluices), subsets, http: routesOf(vs, 'http'), problem };
  };

  /** The managed entries the intent wants, or the reason the VirtualService cannot take them. */
  const desiredEntries = (r: Reading, intent: TrafficIntent): VsRoute[] => {
    if (intent.routes.length === 0) return [];
    if (r.base === undefined)
      throw new Error(`${vsId} has no weighted HTTP route: managed routes (header, mirror) need one`);
    return intent.routes.map((route) => managedEntry(rolloutName, route, r.base!, intent.canaryWeight));
  };

  /**
   * True when Sluice's entries are the desired ones, in order, before the weighted route with none of the user's
   * routes between them. Another Rollout's managed entries may sit among them (two Rollouts sharing the weighted
   * route): each Rollout moving its own entries next to the route would move the other's away, a write each.
   */
  const entriesInPlace = (r: Reading, desired: VsRoute[]): boolean => {
    if (r.managed.length !== desired.length) return false;
    if (desired.length === 0) return true;
    const baseIndex = r.base!.split.index;
    const first = r.managed[0]!.index;
    const between = r.http.slice(first, baseIndex);
    return (
      r.managed.every((m, k) => m.index < baseIndex && canonicalJson(m.entry) === canonicalJson(desired[k])) &&
      between.every((route) => isManagedEntryName(route.name))
    );
  };

  /** Removes Sluice's entries (each guarded by its name) and adds the desired ones before the weighted route. */
  const entryOps = (r: Reading, desired: VsRoute[]): object[] => {
    const removals = [...r.managed]
      .sort((a, b) => b.index - a.index)
      .flatMap((m) => [
        { op: 'test', path: `/spec/http/${m.index}/name`, value: m.entry.name },
        { op: 'remove', path: `/spec/http/${m.index}` },
      ]);
    if (desired.length === 0) return removals;
    const baseIndex = r.base!.split.index;
    const at = baseIndex - r.managed.filter((m) => m.index < baseIndex).length;
    return [...removals, ...desired.map((entry, k) => ({ op: 'add', path: `/spec/http/${at + k}`, value: entry }))];
  };

  /** An abort's intent (or a promotion's end): weight 0 and no managed route, which the split can always take. */
  const takesAllTrafficOff = (intent: TrafficIntent) => intent.canaryWeight === 0 && intent.routes.length === 0;

  const weightsDiffer = (r: Reading, weight: number) =>
    r.splits.some((s) => s.canaryWeight !== weight || s.stableWeight !== 100 - weight);

  return {
    kind: 'istio',
    observe() {
      const r = read();
      if ('kind' in r) return r;
      if (r.problem !== undefined) return { kind: 'invalid', ...r.problem, abortable: true };
      const canary = canaryPercent(r.splits[0]!);
      const routes =
        r.base === undefined ? [] : r.managed.map((m) => readManagedEntry(m.route, m.entry, r.base!.route));
      const selects = (s: SubsetState | undefined) => {
        const revision = s?.labels?.[revisionLabel];
        return typeof revision === 'string' ? revision : undefined;
      };
      const revisions =
        r.subsets === undefined
          ? {}
          : { revisions: { stable: selects(r.subsets.stable), canary: selects(r.subsets.canary) } };
      return { kind: 'weights', canary, stable: 100 - canary, routes, ...revisions };
    },
    differs(intent: TrafficIntent) {
      const r = read();
      if ('kind' in r || (r.problem !== undefined && !takesAllTrafficOff(intent))) return false;
      if (weightsDiffer(r, intent.canaryWeight)) return true;
      if (r.subsets !== undefined && subsetsDiffer(r.subsets, intent.revisions)) return true;
      try {
        return !entriesInPlace(r, desiredEntries(r, intent));
      } catch {
        return true; // apply() says why the VirtualService cannot take the routes
      }
    },
    async apply(intent: TrafficIntent) {
      const r = read();
      if ('kind' in r) throw new Error(r.message);
      if (r.problem !== undefined && !takesAllTrafficOff(intent)) throw new Error(r.problem.message);
      const desired = desiredEntries(r, intent);
      const subsets = r.subsets !== undefined && subsetsDiffer(r.subsets, intent.revisions);
      const writeSubsets = async () => {
        if (subsets)
          await deps.jsonPatch('DestinationRule', namespace, rule!.name, subsetOps(r.subsets!, intent.revisions));
      };
      // A weight must never send traffic to a subset that selects pods it was not meant for. Going up (or adding
      // routes to the canary), the subsets move first; going down to no route (a lower weight, or the same one
      // with Sluice's entries removed), the weights and entries do, while the subset still selects the pods that
      // had the share (a superseded canary's: the new one's are not ready yet).
      const now = canaryPercent(r.splits[0]!);
      const w = intent.canaryWeight;
      const takesTrafficOff = intent.routes.length === 0 && (w < now || (w === now && r.managed.length > 0));
      if (!takesTrafficOff) await writeSubsets();
      // The weights at the indexes read, then the entries: removing and adding entries shifts the indexes after them.
      const ops = [
        ...(weightsDiffer(r, intent.canaryWeight) ? r.splits.flatMap((s) => weightOps(s, intent.canaryWeight)) : []),
        ...(entriesInPlace(r, desired) ? [] : entryOps(r, desired)),
      ];
      if (ops.length > 0) await deps.jsonPatch('VirtualService', namespace, vsName, ops);
      if (takesTrafficOff) await writeSubsets();
    },
  };
}
