/**
 * Gateway API: splits traffic with the weights of an HTTPRoute's backendRefs. The route belongs to the user;
 * Sluice patches only the `weight` of the two backendRefs that name the -stable and -canary Services, with JSON
 * Patch `test` operations guarding each index, so a route edited meanwhile makes the patch fail instead of
 * writing a weight onto the wrong backend.
 */
import type { Rollout } from '../api/types.ts';
import type { TrafficObservation } from '../planner/world.ts';
import { serviceName } from '../workload/names.ts';
import type { RouterDeps, TrafficRouter } from './router.ts';

interface BackendRef {
  name?: string;
  kind?: string;
  group?: string;
  weight?: number;
}
interface HttpRoute {
  spec?: { rules?: { backendRefs?: BackendRef[] }[] };
}

const field = 'spec.trafficRouting.gatewayAPI.httpRoute';
export const httpRouteRef = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' };

/** A rule that sends to both Services, with the indexes of the two backendRefs. */
interface SplitRule {
  rule: number;
  stable: number;
  canary: number;
  stableWeight: number;
  canaryWeight: number;
}

const isService = (ref: BackendRef) => (ref.kind ?? 'Service') === 'Service' && (ref.group ?? '') === '';

export function findSplitRules(route: HttpRoute, stableName: string, canaryName: string): SplitRule[] {
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

export function gatewayApiRouter(rollout: Rollout, deps: RouterDeps): TrafficRouter {
  const namespace = rollout.metadata.namespace!;
  const name = rollout.spec.trafficRouting!.gatewayAPI!.httpRoute;
  const stableName = serviceName(rollout, 'stable');
  const canaryName = serviceName(rollout, 'canary');

  const read = (): { rules: SplitRule[] } | TrafficObservation => {
    const route = deps.cached('HTTPRoute', namespace, name) as HttpRoute | undefined;
    if (route === undefined)
      return { kind: 'invalid', field, message: `HTTPRoute ${namespace}/${name} not found: create it or fix the name` };
    const rules = findSplitRules(route, stableName, canaryName);
    if (rules.length === 0) {
      return {
        kind: 'invalid',
        field,
        message:
          `HTTPRoute ${namespace}/${name} has no rule with backendRefs to both ${stableName} and ${canaryName}: ` +
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
      return { kind: 'weights', canary, stable: 100 - canary };
    },
    differs(canaryWeight) {
      const r = read();
      if ('kind' in r) return false;
      return r.rules.some((rule) => rule.canaryWeight !== canaryWeight || rule.stableWeight !== 100 - canaryWeight);
    },
    async setWeight(canaryWeight) {
      const r = read();
      if ('kind' in r) throw new Error(r.kind === 'invalid' ? r.message : 'HTTPRoute has no split to patch');
      const ops = r.rules.flatMap((rule) => {
        const base = `/spec/rules/${rule.rule}/backendRefs`;
        return [
          { op: 'test', path: `${base}/${rule.stable}/name`, value: stableName },
          { op: 'test', path: `${base}/${rule.canary}/name`, value: canaryName },
          { op: 'add', path: `${base}/${rule.stable}/weight`, value: 100 - canaryWeight },
          { op: 'add', path: `${base}/${rule.canary}/weight`, value: canaryWeight },
        ];
      });
      await deps.jsonPatch({ ...httpRouteRef, namespace, name }, ops);
    },
  };
}
