/** spec.trafficRouting.istio: the user's VirtualService (and, subset-based, DestinationRule). */
import { Type } from 'typebox';
import { object, objectName } from '../../api/common.schema.ts';

const routeNames = (description: string) =>
  Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { description, maxItems: 16 }));

export const istioSchema = object('Istio: Sluice sets the destination weights of your VirtualService routes.', {
  virtualService: objectName("Name of the VirtualService in the Rollout's namespace."),
  routes: routeNames(
    'Names of the HTTP routes to split. Omitted: every HTTP route with destinations to both the stable and the canary.',
  ),
  tlsRoutes: routeNames(
    'SNI hosts of the TLS routes to split (a route is named by its first match sniHosts). Omitted: every TLS route with both destinations.',
  ),
  tcpRoutes: routeNames(
    'Ports of the TCP routes to split, as strings (a route is named by its first match port). Omitted: every TCP route with both destinations.',
  ),
  destinationRule: Type.Optional(
    object(
      'Subset-based splitting: the destinations are one host with the stable and canary subsets of this DestinationRule, whose labels Sluice points at the two revisions.',
      {
        name: objectName("Name of the DestinationRule in the Rollout's namespace."),
        stableSubsetName: Type.Optional(
          Type.String({ description: 'Name of the stable subset.', minLength: 1, maxLength: 253, default: 'stable' }),
        ),
        canarySubsetName: Type.Optional(
          Type.String({ description: 'Name of the canary subset.', minLength: 1, maxLength: 253, default: 'canary' }),
        ),
      },
    ),
  ),
});
