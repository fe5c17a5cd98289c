/**
 * Gateway API: splits traffic with the weights of an HTTPRoute's (or GRPCRoute's: the same rules and backendRefs)
 * backendRefs, and adds Sluice's managed rules for header routes and mirroring (managedRules.ts). The route belongs
 * to the user; Sluice patches only the `weight` of the two backendRefs that name the -stable and -canary Services
 * and the rules named sluice.<rollout>.<route>, with JSON Patch `test` operations guarding each index it touches, so a route
 * edited meanwhile makes the patch fail instead of writing onto the wrong rule or backend.
 */
import type { Rollout } from '../../api/types.ts';
import type { TrafficObservation } from '../../planner/world.ts';
import { serviceName } from '../../workload/names.ts';
import type { ManagedRoute, RouterDeps, TrafficIntent, TrafficRouter } from '../router.ts';
import {
  managedRule,
  managedRouteOf,
  managedRuleOps,
  maxRules,
  readManagedRule,
  type BackendRef,
  type RouteRule,
  type WeightedRule,
} from './managedRules.ts';
import { checkManagedRoutes } from './routeChecks.ts';

export type { BackendRef, RouteRule } from './managedRules.ts';
export interface GatewayRoute {
  spec?: { rules?: RouteRule[] };
}

/** A rule that sends to both Services, with the indexes of the two backendRefs. */
export interface SplitRule {
  rule: number;
  stable: number;
  canary: number;
  stableWeight: number;
  canaryWeight: number;
}

/**
 * A backendRef to the Service `name` of the route's namespace. A ref naming another namespace (allowed by a
 * ReferenceGrant) is another namespace's Service, whatever its name: never this Rollout's to weigh.
 */
const isService = (ref: unknown, name: string, namespace: string): ref is BackendRef => {
  if (ref === null || typeof ref !== 'object') return false;
  const b = ref as BackendRef;
  return (
    (b.kind ?? 'Service') === 'Service' &&
    (b.group ?? '') === '' &&
    (b.namespace ?? namespace) === namespace &&
    b.name === name
  );
};

/** Gateway API: an omitted weight is 1. Anything but a non-negative number is not a share Sluice can read. */
function weightOf(ref: BackendRef): number | undefined {
  const weight: unknown = ref.weight;
  if (weight === undefined) return 1;
  return typeof weight === 'number' && Number.isFinite(weight) && weight >= 0 ? weight : undefined;
}

/** A split rule whose weight cannot be read: which backend, and what it holds. */
export interface UnreadableWeight {
  rule: number;
  index: number;
  backend: string;
  weight: unknown;
}

/** The route's rules, read defensively: a hand-edited route may hold anything. */
function rulesOf(route: GatewayRoute): RouteRule[] {
  const rules = route.spec?.rules;
  return Array.isArray(rules) ? rules.filter((r) => r !== null && typeof r === 'object') : [];
}

/**
 * The rules that split between the two Services of `namespace`; `skip` leaves out rules by index (Sluice's own).
 * A split rule whose weight cannot be read stops the search: no share is guessed.
 */
export function findSplitRules(
  route: GatewayRoute,
  namespace: string,
  stableName: string,
  canaryName: string,
  skip: (index: number) => boolean = () => false,
): SplitRule[] | UnreadableWeight {
  const found: SplitRule[] = [];
  for (const [r, rule] of rulesOf(route).entries()) {
    if (skip(r)) continue;
    const refs: unknown[] = Array.isArray(rule.backendRefs) ? rule.backendRefs : [];
    const stable = refs.findIndex((b) => isService(b, stableName, namespace));
    const canary = refs.findIndex((b) => isService(b, canaryName, namespace));
    if (stable < 0 || canary < 0) continue;
    const stableWeight = weightOf(refs[stable] as BackendRef);
    const canaryWeight = weightOf(refs[canary] as BackendRef);
    if (stableWeight === undefined)
      return { rule: r, index: stable, backend: stableName, weight: (refs[stable] as BackendRef).weight };
    if (canaryWeight === undefined)
      return { rule: r, index: canary, backend: canaryName, weight: (refs[canary] as BackendRef).weight };
    found.push({ rule: r, stable, canary, stableWeight, canaryWeight });
  }
  return found;
}

/** The canary's share in whole percent; weights are proportions, and 0/0 sends nothing to the canary. */
export function canaryPercent(rule: SplitRule): number {
  const total = rule.stableWeight + rule.canaryWeight;
  return total === 0 ? 0 : Math.round((rule.canaryWeight * 100) / total);
}

/** The route Sluice splits: which kind, its name, and the field of the spec that names it. */
export interface RouteTarget {
  kind: 'HTTPRoute' | 'GRPCRoute';
  name: string;
  field: string;
}

/** The route as read: its rules, the split rules, the weighted rule managed rules derive from, Sluice's rules. */
interface RouteState {
  rules: RouteRule[];
  split: SplitRule[];
  weighted: WeightedRule;
  /**
   * The rules named for this Rollout; route undefined: one that does not read back as Sluice would write it now
   * (the weighted rule was edited since, or it is the user's). `mine`: it sends only to this Rollout's Services, so
   * removing it takes no request from anything else.
   */
  managed: { index: number; name: string; route: ManagedRoute | undefined; mine: boolean }[];
  /** Why the managed routes cannot be carried out, if they cannot (the split still can). */
  problem: { field: string; message: string } | undefined;
}

export function gatewayRouteRouter(rollout: Rollout, deps: RouterDeps, target: RouteTarget): TrafficRouter {
  const namespace = rollout.metadata.namespace!;
  const { kind, name, field } = target;
  const what = `${kind} ${namespace}/${name}`;
  const stableName = serviceName(rollout, 'stable');
  const canaryName = serviceName(rollout, 'canary');
  const rolloutName = rollout.metadata.name!;
  const listed = rollout.spec.trafficRouting?.managedRoutes ?? [];

  const read = (): RouteState | TrafficObservation => {
    if (deps.served(kind) === undefined)
      return {
        kind: 'invalid',
        field,
        message: `the Gateway API ${kind} kind is not served by this cluster: install the Gateway API CRDs`,
      };
    const route = deps.cached(kind, namespace, name) as GatewayRoute | undefined;
    if (route === undefined) return { kind: 'invalid', field, message: `${what} not found: create it or fix the name` };
    const rules = rulesOf(route);
    // This Rollout's rules, listed in managedRoutes or not any more: no other rule is ever touched.
    const isOwned = (i: number) => managedRouteOf(rolloutName, rules[i]!.name) !== undefined;
    const split = findSplitRules(route, namespace, stableName, canaryName, isOwned);
    if (!Array.isArray(split))
      return {
        kind: 'invalid',
        field,
        message:
          `${what} spec.rules[${split.rule}].backendRefs[${split.index}] (${split.backend}) has weight ` +
          `${JSON.stringify(split.weight) ?? String(split.weight)}: set a whole number from 0 (or remove it: 1)`,
      };
    if (split.length === 0) {
      return {
        kind: 'invalid',
        field,
        message:
          `${what} has no rule with backendRefs to both ${stableName} and ${canaryName}: ` +
          `add {name: ${canaryName}, port: ${rollout.spec.service?.port ?? 80}, weight: 0} beside ${stableName}`,
      };
    }
    const first = rules[split[0]!.rule]!;
    const refs = first.backendRefs!;
    const weighted = { rule: first, stable: refs[split[0]!.stable]!, canary: refs[split[0]!.canary]! };
    // From here on the split can be read and written: a problem with the managed routes refuses what the canary
    // asks, never an abort's weight 0 without managed rules (which also removes this Rollout's rules by name).
    const managed: RouteState['managed'] = [];
    let problem: RouteState['problem'];
    for (const [index, rule] of rules.entries()) {
      if (!isOwned(index)) continue;
      const ruleName = rule.name!;
      const routeName = managedRouteOf(rolloutName, ruleName)!;
      const read = readManagedRule(rule, routeName, weighted);
      if (read === undefined)
        problem ??= {
          field: 'spec.trafficRouting.managedRoutes',
          message: `${what} has a rule named ${ruleName} that is not one Sluice writes: rename that rule, or the managed route ${routeName}`,
        };
      const refs: unknown[] = Array.isArray(rule.backendRefs) ? rule.backendRefs : [];
      const mine =
        read !== undefined ||
        (refs.length > 0 &&
          refs.every((b) => isService(b, stableName, namespace) || isService(b, canaryName, namespace)));
      managed.push({ index, name: ruleName, route: read, mine });
    }
    const userRules = rules.filter((_, i) => !isOwned(i));
    problem ??= checkManagedRoutes(rollout, what, userRules, first);
    if (split.length > 1 && (managed.length > 0 || listed.length > 0))
      problem ??= {
        field,
        message: `${what} has ${split.length} rules with backendRefs to both ${stableName} and ${canaryName}, and managed routes derive from one: keep one such rule`,
      };
    return { rules, split, weighted, managed, problem };
  };

  /** An abort's intent (or a promotion's end): weight 0 and no managed rule, which the split can always take. */
  const takesTrafficOff = (intent: TrafficIntent) => intent.canaryWeight === 0 && intent.routes.length === 0;

  /** The patch from the route as read to the intent: the weights, then Sluice's rules. Empty when nothing differs. */
  const opsFor = (state: RouteState, intent: TrafficIntent): object[] => {
    const weight = intent.canaryWeight;
    const weightOps = state.split.flatMap((rule) => {
      if (rule.canaryWeight === weight && rule.stableWeight === 100 - weight) return [];
      const base = `/spec/rules/${rule.rule}/backendRefs`;
      return [
        { op: 'test', path: `${base}/${rule.stable}/name`, value: stableName },
        { op: 'test', path: `${base}/${rule.canary}/name`, value: canaryName },
        { op: 'add', path: `${base}/${rule.stable}/weight`, value: 100 - weight },
        { op: 'add', path: `${base}/${rule.canary}/weight`, value: weight },
      ];
    });
    const wanted = intent.routes.map((route) => managedRule(rolloutName, route, state.weighted, weight));
    // A rule that bears this Rollout's naming but sends elsewhere is the user's: never removed.
    const mine = state.managed.filter((m) => m.mine);
    return [...weightOps, ...managedRuleOps(state.rules, mine, wanted)];
  };

  return {
    kind: 'gatewayAPI',
    observe() {
      const r = read();
      if ('kind' in r) return r;
      if (r.problem !== undefined) return { kind: 'invalid', ...r.problem, abortable: true };
      const canary = canaryPercent(r.split[0]!);
      const routes = r.managed.flatMap((m) => (m.route === undefined ? [] : [m.route]));
      return { kind: 'weights', canary, stable: 100 - canary, routes };
    },
    differs(intent: TrafficIntent) {
      const r = read();
      if ('kind' in r || (r.problem !== undefined && !takesTrafficOff(intent))) return false;
      return opsFor(r, intent).length > 0;
    },
    async apply(intent: TrafficIntent) {
      const r = read();
      if ('kind' in r) throw new Error(r.kind === 'invalid' ? r.message : `${kind} has no split to patch`);
      if (r.problem !== undefined && !takesTrafficOff(intent)) throw new Error(r.problem.message);
      const users = r.rules.length - r.managed.length;
      if (users + intent.routes.length > maxRules)
        throw new Error(
          `${what}: ${users} rules and ${intent.routes.length} managed rules exceed the ${maxRules} allowed`,
        );
      const ops = opsFor(r, intent);
      if (ops.length > 0) await deps.jsonPatch(kind, namespace, name, ops);
    },
  };
}
