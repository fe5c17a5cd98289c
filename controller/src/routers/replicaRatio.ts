/** No traffic router: requests are split by the ratio of stable to canary pods behind the user's own Service. */
import type { TrafficRouter } from './router.ts';

export function replicaRatioRouter(): TrafficRouter {
  return {
    kind: 'replicaRatio',
    observe: () => undefined,
    differs: () => false,
    apply: () => Promise.resolve(),
  };
}
