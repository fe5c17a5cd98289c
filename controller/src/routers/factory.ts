/** Picks the traffic router that trafficRouting names; a new mesh is one new file and one line here. */
import type { Rollout } from '../api/types.ts';
import { gatewayApiRouter } from './gatewayApi.ts';
import { replicaRatioRouter } from './replicaRatio.ts';
import type { RouterDeps, TrafficRouter } from './router.ts';

export function routerFor(rollout: Rollout, deps: RouterDeps): TrafficRouter | { unsupported: string } {
  const routing = rollout.spec.trafficRouting;
  if (routing === undefined) return replicaRatioRouter();
  if (routing.gatewayAPI !== undefined) return gatewayApiRouter(rollout, deps);
  const named = Object.keys(routing).join(', ');
  return {
    unsupported: `trafficRouting.${named} is not supported by this controller yet: use gatewayAPI, or omit trafficRouting to split by replica ratio`,
  };
}
