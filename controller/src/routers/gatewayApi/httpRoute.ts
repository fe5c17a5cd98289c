/**
 * Gateway API: splits traffic with the weights of an HTTPRoute's (or GRPCRoute's: the same rules and backendRefs)
 * backendRefs. The route belongs to the user; Sluice patches only the `weight` of the two backendRefs that name the
 * -stable and -canary Services, with JSON Patch `test` operations guarding each index, so a route edited meanwhile
 * makes the patch fail instead of writing a weight onto the wrong backend.
 */
import type { Rollout } from '../../api/types.ts';
import type { TrafficObservation } from '../../planner/world.ts';
import { serviceName } from '../../workload/names.ts';
import type { RouterDeps, TrafficIntent, TrafficRouter } from '../router.ts';

export interface BackendRef {
  name?: unknown;
  namespace?: unknown;
  kind?: unknown;
  group?: unknown;
  weight?: unknown;
}
export interface GatewayRoute {
  spec?: { rules?: unknown };
}

/** A rule that sends to both Services, with the indexes of the two backendRefs. */
export interface SplitRule {
  rule: number;
  stable: number;
  canary: number;
  stableWeight: number;
  canaryWeight: number;
}

const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asRecord = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/**
 * A backendRef to the Service `name` of the route's namespace. A ref naming another namespace (allowed by a
 * ReferenceGrant) is another namespace's Service, whatever its name: never this Rollout's to weigh.
 */
const isService = (ref: BackendRef, name: string, namespace: string) =>
  (ref.kind ?? 'Service') === 'Service' &&
  (ref.group ?? '') === '' &&
  (ref.namespace ?? namespace) === namespace &&
  ref.name === name;

/** Gateway API: an omitted weight is 1. Anything but a non-negative number is not a share Sluice can read. */
function weightOf(ref: BackendRef): number | undefined {
  if (ref.weight === undefined) return 1;
  return typeof ref.weight === 'number' && Number.isFinite(ref.weight) && ref.weight >= 0 ? ref.weight : undefined;
}

/** A split rule whose weight cannot be read: which backend, and what it holds. */
export interface UnreadableWeight {
  rule: number;
  index: number;
  backend: string;
  weight: unknown;
}

export function findSplitRules(
  route: GatewayRoute,
  namespace: string,
  stableName: string,
  canaryName: string,
): SplitRule[] | UnreadableWeight {
  const found: SplitRule[] = [];
  const rules = listOf(route.spec?.rules);
  for (const [r, rule] of rules.entries()) {
    const refs: BackendRef[] = listOf(asRecord(rule).backendRefs).map(asRecord);
    const stable = refs.findIndex((b) => isService(b, stableName, namespace));
    const canary = refs.findIndex((b) => isService(b, canaryName, namespace));
    if (stable < 0 || canary < 0) continue;
    const stableWeight = weightOf(refs[stable]!);
    const canaryWeight = weightOf(refs[canary]!);
    if (stableWeight === undefined)
      return { rule: r, index: stable, backend: stableName, weight: refs[stable]!.weight };
    if (canaryWeight === undefined)
      return { rule: r, index: canary, backend: canaryName, weight: refs[canary]!.weight };
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

export function gatewayRouteRouter(rollout: Rollout, deps: RouterDeps, target: RouteTarget): TrafficRouter {
  const namespace = rollout.metadata.namespace!;
  const { kind, name, field } = target;
  const stableName = serviceName(rollout, 'stable');
  const canaryName = serviceName(rollout, 'canary');

  const read = (): { rules: SplitRule[] } | TrafficObservation => {
    if (deps.served(kind) === undefined)
      return {
        kind: 'invalid',
        field,
        message: `the Gateway API ${kind} kind is not served by this cluster: install the Gateway API CRDs`,
      };
    const route = deps.cached(kind, namespace, name) as GatewayRoute | undefined;
    if (route === undefined)
      return { kind: 'invalid', field, message: `${kind} ${namespace}/${name} not found: create it or fix the name` };
    const rules = findSplitRules(route, namespace, stableName, canaryName);
    if (!Array.isArray(rules))
      return {
        kind: 'invalid',
        field,
        message:
          `${kind} ${namespace}/${name} spec.rules[${rules.rule}].backendRefs[${rules.index}] (${rules.backend}) has weight ` +
          `${JSON.stringify(rules.weight) ?? 'unset'}, which is not a non-negative number: set it to 0`,
      };
    if (rules.length === 0) {
      return {
        kind: 'invalid',
        field,
        message:
          `${kind} ${namespace}/${name} has no rule with backendRefs to both ${stableName} and ${canaryName}: ` +
          `add {name: ${canaryName}, port: ${rollout.spec.service?.port ?? 80}, weight: 0} beside ${stableName}`,
      };
    }
    return { rules };
  };

  return {
    kind: 'gatewayAPI',
    observe() {
      const r = read();
      if ('kind' in r) return r;
      const canary = canaryPercent(r.rules[0]!);
      return { kind: 'weights', canary, stable: 100 - canary, routes: [] };
    },
    differs(intent: TrafficIntent) {
      const r = read();
      if ('kind' in r) return false;
      const weight = intent.canaryWeight;
      return r.rules.some((rule) => rule.canaryWeight !== weight || rule.stableWeight !== 100 - weight);
    },
    async apply(intent: TrafficIntent) {
      const r = read();
      if ('kind' in r) throw new Error(r.kind === 'invalid' ? r.message : `${kind} has no split to patch`);
      const weight = intent.canaryWeight;
      const ops = r.rules.flatMap((rule) => {
        const base = `/spec/rules/${rule.rule}/backendRefs`;
        return [
          { op: 'test', path: `${base}/${rule.stable}/name`, value: stableName },
          { op: 'test', path: `${base}/${rule.canary}/name`, value: canaryName },
          { op: 'add', path: `${base}/${rule.stable}/weight`, value: 100 - weight },
          { op: 'add', path: `${base}/${rule.canary}/weight`, value: weight },
        ];
      });
      await deps.jsonPatch(kind, namespace, name, ops);
    },
  };
}
