/**
 * ingress-nginx: the user's stable Ingress is never written. Sluice keeps a second Ingress, owned by the Rollout,
 * with the same hosts and paths sending to the canary Service and marked canary; its canary-weight annotation is
 * the split and its canary-by-header annotations the header route. ingress-nginx evaluates the header rule before
 * the weight (canary-by-header, then canary-by-cookie, then canary-weight), which is the precedence Sluice
 * promises for managed routes.
 *
 * Promotion and abort set the weight to 0 and remove the header route; the canary Ingress stays (as in Argo
 * Rollouts): ingress-nginx sends nothing to a canary at weight 0, the next canary starts from the same object
 * with one patch, and no delete can race the informer. The garbage collector removes it with the Rollout.
 */
import type { Rollout } from '../../api/types.ts';
import type { TrafficObservation } from '../../planner/world.ts';
import { serviceName } from '../../workload/names.ts';
import type { RouterDeps, TrafficIntent, TrafficRouter } from '../router.ts';
import {
  buildCanaryIngress,
  canaryAnnotation,
  canaryIngressName,
  canaryRules,
  canaryWeightOf,
  desiredAnnotations,
  headerRouteOf,
  isManagedAnnotation,
  legacyClassAnnotation,
  sameJson,
  type Ingress,
  type IngressRule,
} from './canaryIngress.ts';
import { nginxSpecError } from './nginxSpec.ts';

export const stableIngressField = 'spec.trafficRouting.nginx.stableIngress';

interface Found {
  stable: Ingress;
  rules: IngressRule[];
  /** Absent until Sluice creates it. */
  canary: Ingress | undefined;
  /** Index of the canary Ingress's ownerReference to this Rollout. */
  owner: number;
}

/** One JSON Pointer token (RFC 6901): annotation keys hold slashes. */
const pointer = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

const stringMap = (value: unknown): Record<string, string> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string'))
    : {};

export function nginxIngressRouter(rollout: Rollout, deps: RouterDeps): TrafficRouter {
  const namespace = rollout.metadata.namespace!;
  const spec = rollout.spec.trafficRouting!.nginx!;
  const stableService = serviceName(rollout, 'stable');
  const canaryService = serviceName(rollout, 'canary');
  const canaryName = canaryIngressName(rollout.metadata.name!, spec.stableIngress);
  const invalid = (field: string, message: string) => ({ kind: 'invalid' as const, field, message });

  const read = (): Found | TrafficObservation => {
    if (deps.served('Ingress') === undefined)
      return invalid(stableIngressField, 'the Ingress kind (networking.k8s.io/v1) is not served by this cluster');
    const stable: Ingress | undefined = deps.cached('Ingress', namespace, spec.stableIngress);
    if (stable === undefined)
      return invalid(
        stableIngressField,
        `Ingress ${namespace}/${spec.stableIngress} not found: create it or fix the name`,
      );
    const rules = canaryRules(stable, stableService, canaryService);
    if (rules.length === 0)
      return invalid(
        stableIngressField,
        `Ingress ${namespace}/${spec.stableIngress} has no path whose backend is the Service ${stableService}: add ` +
          `{path: /, pathType: Prefix, backend: {service: {name: ${stableService}, port: {number: ${rollout.spec.service?.port ?? 80}}}}} to its rules`,
      );
    const canary: Ingress | undefined = deps.cached('Ingress', namespace, canaryName);
    if (canary === undefined) return { stable, rules, canary, owner: -1 };
    const owners = Array.isArray(canary.metadata?.ownerReferences) ? canary.metadata.ownerReferences : [];
    const owner = owners.findIndex((o) => o?.uid === rollout.metadata.uid && o?.controller === true);
    if (owner < 0)
      return invalid(
        stableIngressField,
        `Ingress ${namespace}/${canaryName} exists and is not owned by Rollout ${rollout.metadata.name}: Sluice ` +
          'keeps its canary Ingress under that name and never overwrites one it did not create; delete or rename it',
      );
    return { stable, rules, canary, owner };
  };

  const desired = (intent: TrafficIntent, found: Found) => ({
    annotations: desiredAnnotations(
      intent.canaryWeight,
      intent.routes,
      spec.additionalIngressAnnotations ?? {},
      stringMap(found.stable.metadata?.annotations)[legacyClassAnnotation],
    ),
    className: typeof found.stable.spec?.ingressClassName === 'string' ? found.stable.spec.ingressClassName : undefined,
    rules: found.rules,
  });

  /** The JSON patch that takes the owned canary Ingress to the intent; empty when it is there already. */
  const changes = (intent: TrafficIntent, found: Found, canary: Ingress): object[] => {
    const want = desired(intent, found);
    const ops: object[] = [];
    const current = canary.metadata?.annotations;
    if (current === null || typeof current !== 'object') {
      ops.push({ op: 'add', path: '/metadata/annotations', value: want.annotations });
    } else {
      const have = stringMap(current);
      for (const [key, value] of Object.entries(want.annotations))
        if (have[key] !== value) ops.push({ op: 'add', path: `/metadata/annotations/${pointer(key)}`, value });
      for (const key of Object.keys(current))
        if (isManagedAnnotation(key) && !(key in want.annotations))
          ops.push({ op: 'remove', path: `/metadata/annotations/${pointer(key)}` });
    }
    const className = canary.spec?.ingressClassName;
    if (want.className !== undefined && className !== want.className)
      ops.push({ op: 'add', path: '/spec/ingressClassName', value: want.className });
    if (want.className === undefined && className !== undefined)
      ops.push({ op: 'remove', path: '/spec/ingressClassName' });
    // The canary mirrors the stable's routing: hosts or paths changed there are changed here.
    if (!sameJson(canary.spec?.rules, want.rules)) ops.push({ op: 'add', path: '/spec/rules', value: want.rules });
    return ops;
  };

  return {
    kind: 'nginx',
    observe() {
      const found = read();
      if ('kind' in found) return found;
      // Not created yet: nothing goes to the canary. apply() creates it.
      if (found.canary === undefined) return { kind: 'weights', canary: 0, stable: 100, routes: [] };
      const annotations = stringMap(found.canary.metadata?.annotations);
      const canary = canaryWeightOf(annotations);
      return { kind: 'weights', canary, stable: 100 - canary, routes: headerRouteOf(annotations) };
    },
    differs(intent: TrafficIntent) {
      const found = read();
      if ('kind' in found) return false;
      // An absent canary Ingress already sends nothing: it is created when the canary first takes traffic.
      if (found.canary === undefined) return intent.canaryWeight > 0 || intent.routes.length > 0;
      return changes(intent, found, found.canary).length > 0;
    },
    async apply(intent: TrafficIntent) {
      // A spec it cannot carry out is InvalidSpec (the module's specError), and the planner then asks only for an
      // abort's weight 0 with no route: that one is always written (it sets none of the additional annotations).
      const problem = nginxSpecError(rollout);
      if (problem !== undefined && (intent.canaryWeight > 0 || intent.routes.length > 0))
        throw new Error(`${problem.field}: ${problem.message}`);
      const found = read();
      if ('kind' in found) throw new Error(found.kind === 'invalid' ? found.message : 'no canary Ingress to write');
      const { canary } = found;
      if (canary === undefined) {
        const want = desired(intent, found);
        await deps.create(
          'Ingress',
          namespace,
          buildCanaryIngress(rollout, canaryName, found.stable, want.rules, want.annotations),
        );
        return;
      }
      const ops = changes(intent, found, canary);
      if (ops.length === 0) return;
      const uid = canary.metadata?.uid;
      if (typeof uid !== 'string') throw new Error(`Ingress ${namespace}/${canaryName} has no uid in the cache`);
      // Only the object read from the cache, still owned by this Rollout: one replaced meanwhile (another uid),
      // handed to another owner, or no longer marked canary makes the API server refuse the whole patch.
      const guards: object[] = [
        { op: 'test', path: '/metadata/uid', value: uid },
        { op: 'test', path: `/metadata/ownerReferences/${found.owner}/uid`, value: rollout.metadata.uid },
      ];
      if (stringMap(canary.metadata?.annotations)[canaryAnnotation] === 'true')
        guards.push({ op: 'test', path: `/metadata/annotations/${pointer(canaryAnnotation)}`, value: 'true' });
      await deps.jsonPatch('Ingress', namespace, canaryName, [...guards, ...ops]);
    },
  };
}
