/** The one write a restart (spec.restartAt) makes: a pod's eviction, which the PodDisruptionBudgets may refuse. */
import { isConflict, isNotFound, statusCode } from '../kube/apiErrors.ts';
import type { ExecuteContext } from './execute.ts';

/**
 * Evicts a stable pod for spec.restartAt through the Eviction API, so that every PodDisruptionBudget decides. 429 (a
 * budget allows no disruption now) is "not now", not a failure: the plan's requeue asks again, and nothing is
 * reported. Gone already (404), or another pod under that name (409 on the uid precondition): nothing to evict. A pod
 * that more than one budget selects gets a 500 from the API server (it cannot choose): that one is reported.
 */
export async function evictPod(
  ctx: Pick<ExecuteContext, 'rollout' | 'clients' | 'fence'>,
  pod: { name: string; uid: string },
): Promise<void> {
  const namespace = ctx.rollout.metadata.namespace!;
  ctx.fence();
  await ctx.clients.core
    .createNamespacedPodEviction({
      namespace,
      name: pod.name,
      body: { metadata: { name: pod.name, namespace }, deleteOptions: { preconditions: { uid: pod.uid } } },
    })
    .catch((err: unknown) => {
      const code = statusCode(err);
      if (code !== 429 && !isNotFound(err) && !isConflict(err)) throw err;
    });
}
