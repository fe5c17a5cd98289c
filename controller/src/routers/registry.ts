/**
 * The traffic routers, one module each (routers/<name>/index.ts), registered here and nowhere else: the
 * controller starts their informers from `watches`, the manifests grant their `rbac` (npm run gen:crds), the
 * schema takes their part from schemas.ts, and routerFor picks the one a Rollout's trafficRouting names.
 */
import { routeSteps } from '../api/steps.ts';
import type { Rollout } from '../api/types.ts';
import type { KubeObject } from '../kube/objectStore.ts';
import { gatewayApiRouter } from './gatewayApi/index.ts';
import { istioRouterModule } from './istio/index.ts';
import { nginxRouter } from './nginx/index.ts';
import { replicaRatioRouter } from './replicaRatio.ts';
import type { RouterDeps, RouterModule, RouterWatch, TrafficRouter } from './router.ts';
import { smiRouter } from './smi/index.ts';

export const routerModules: readonly RouterModule[] = [gatewayApiRouter, istioRouterModule, nginxRouter, smiRouter];

/** Every kind the routers read, with the module that reads it. */
export function routerWatches(): { module: RouterModule; watch: RouterWatch }[] {
  return routerModules.flatMap((module) => module.watches.map((watch) => ({ module, watch })));
}

/** A spec the router cannot carry out, with the field to fix. */
export interface RouterSpecError {
  field: string;
  message: string;
}

/**
 * The router that spec.trafficRouting names, and why the spec cannot be carried out if it cannot. A step the router
 * cannot carry out still leaves the router: an abort must be able to move the traffic back through it.
 */
export function routerFor(
  rollout: Rollout,
  deps: RouterDeps,
): { router: TrafficRouter | undefined; invalid: RouterSpecError | undefined } {
  const routing = rollout.spec.trafficRouting;
  const module = routerModules.find((m) => routing?.[m.name] !== undefined);
  if (routing !== undefined && module === undefined) {
    const named = Object.keys(routing).filter((k) => k !== 'managedRoutes');
    return {
      router: undefined,
      invalid: {
        field: 'spec.trafficRouting',
        message: `trafficRouting names ${named.join(', ') || 'no router'}: name exactly one of ${routerModules.map((m) => m.name).join(', ')}, or omit trafficRouting to split by replica ratio`,
      },
    };
  }
  return {
    router: module === undefined ? replicaRatioRouter() : module.create(rollout, deps),
    invalid: unsupportedRouteStep(rollout, module) ?? module?.specError?.(rollout),
  };
}

/** A setHeaderRoute or setMirrorRoute step that the router (or the replica ratio) cannot carry out. */
function unsupportedRouteStep(rollout: Rollout, module: RouterModule | undefined): RouterSpecError | undefined {
  for (const step of routeSteps(rollout.spec)) {
    const what = step.kind === 'setHeaderRoute' ? 'header' : 'mirror';
    if (module === undefined)
      return {
        field: step.field,
        message: `${step.kind} needs a traffic router: the replica ratio cannot route by ${what === 'header' ? 'header' : 'mirroring'}; set spec.trafficRouting`,
      };
    if (!module.supports[what])
      return {
        field: step.field,
        message: `the ${module.name} router cannot ${what === 'header' ? 'route by header' : 'mirror requests'}: remove the ${step.kind} step or use a router that can`,
      };
  }
  return undefined;
}

/** The Rollouts of the object's namespace that read it through the router that watches `kind`. */
export function routerReaders(kind: string, object: KubeObject, rollouts: readonly Rollout[]): Rollout[] {
  const found = routerWatches().find((w) => w.watch.resource.kind === kind);
  return found === undefined ? [] : found.watch.readers(object, rollouts);
}
