/**
 * How many pods each revision runs. Stable keeps its full size while a canary is in flight, whatever the router:
 * an abort then only moves traffic and never has to start a pod. The canary runs ceil(N × weight%) pods, at
 * least one once it gets any traffic. With the replica-ratio router the traffic share therefore follows the pod
 * ratio canary / (stable + canary), a little under the weight; a traffic router gets the exact weight.
 */

export function canaryReplicas(desired: number, weight: number): number {
  if (weight <= 0 || desired <= 0) return 0;
  return Math.min(desired, Math.max(1, Math.ceil((desired * weight) / 100)));
}

/** The canary's share of pods under the replica-ratio router, in whole percent (what status reports as its weight). */
export function podShare(stable: number, canary: number): number {
  const total = stable + canary;
  return total === 0 ? 0 : Math.round((canary * 100) / total);
}
