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
  name?: string;
  kind?: string;
  group?: string;
  weight?: number;
}
export interface RouteRule {
  backendRefs?: BackendRef[];
}
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

const isService = (ref: BackendRef) => (ref.kind ?? 'Service') === 'Service' && (ref.group ?? '') === '';

export function findSplitRules(route: GatewayRoute, stableName: string, canaryName: string): SplitRule[] {
  const found: SplitRule[] = [];
  (route.spec?.rules ?? []).forEach((rule, r) => {
    const refs = rule.backendRefs ?? [];
    const stable = refs.findIndex((b) => isService(b) && b.name === stableName);
    const canary = refs.findIndex((b) => isService(b) && b.name === canaryName);
    // Gateway API: an omitted weight is 1.
    if (stable >= 0 && canary >= 0)
      found.push({
        rule: r,
        stable,
        canary,
        stableWeight: refs[stable]!.weight ?? 1,
        canaryWeight: refs[canary]!.weight ?? 1,
      });
  });
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
    const rules = findSplitRules(route, stableName, canaryName);
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
