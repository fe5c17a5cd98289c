/**
 * The Gateway API router: the weights of the user's HTTPRoute or GRPCRoute (gateway.networking.k8s.io/v1), and the
 * managed rules Sluice adds to it for header routes and mirroring.
 */
import { readersNamingIt, type RouterModule, type RouterWatch } from '../router.ts';
import { gatewayRouteRouter } from './httpRoute.ts';

const group = 'gateway.networking.k8s.io';

function routeWatch(kind: 'HTTPRoute' | 'GRPCRoute', plural: string, field: 'httpRoute' | 'grpcRoute'): RouterWatch {
  return {
    resource: { group, version: 'v1', plural, kind, namespaced: true },
    readers: readersNamingIt((r) => r.spec.trafficRouting?.gatewayAPI?.[field]),
  };
}

export const gatewayApiRouter: RouterModule = {
  name: 'gatewayAPI',
  watches: [routeWatch('HTTPRoute', 'httproutes', 'httpRoute'), routeWatch('GRPCRoute', 'grpcroutes', 'grpcRoute')],
  rbac: [
    {
      apiGroups: [group],
      resources: ['httproutes', 'grpcroutes'],
      verbs: ['list', 'watch', 'patch'],
      why:
        "The user's route is read from the cache and only its backendRef weights (and Sluice's managed rules) are " +
        'patched, with JSON patches guarded by test operations. The list also tells the controller at start whether ' +
        'the Gateway API is installed.',
    },
  ],
  // Both kinds take header matches and the RequestMirror filter (with percent) in the same shape.
  supports: { header: true, mirror: true },
  notServed: 'the Gateway API is not installed: Rollouts with trafficRouting.gatewayAPI will report InvalidSpec',
  create(rollout, deps) {
    const spec = rollout.spec.trafficRouting!.gatewayAPI!;
    const base = 'spec.trafficRouting.gatewayAPI';
    return spec.grpcRoute !== undefined
      ? gatewayRouteRouter(rollout, deps, { kind: 'GRPCRoute', name: spec.grpcRoute, field: `${base}.grpcRoute` })
      : gatewayRouteRouter(rollout, deps, { kind: 'HTTPRoute', name: spec.httpRoute!, field: `${base}.httpRoute` });
  },
};
