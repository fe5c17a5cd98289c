/** spec.trafficRouting.gatewayAPI: the user's HTTPRoute or GRPCRoute whose backendRef weights Sluice sets. */
import { Type } from 'typebox';
import { celRules, object, objectName } from '../../api/common.schema.ts';

export const gatewayApiSchema = object(
  'Gateway API: Sluice sets only the backendRef weights of your HTTPRoute or GRPCRoute, and adds the managed routes.',
  {
    httpRoute: Type.Optional(
      objectName(
        "Name of the HTTPRoute in the Rollout's namespace; its rule must have backendRefs to the -stable and -canary Services.",
      ),
    ),
    grpcRoute: Type.Optional(
      objectName(
        "Name of the GRPCRoute in the Rollout's namespace; its rule must have backendRefs to the -stable and -canary Services.",
      ),
    ),
  },
  celRules({
    rule: '(has(self.httpRoute) ? 1 : 0) + (has(self.grpcRoute) ? 1 : 0) == 1',
    message: 'gatewayAPI names exactly one route: httpRoute or grpcRoute',
  }),
);
