/** The one write a restart (spec.restartAt) makes: a pod's eviction, which the PodDisruptionBudgets may refuse. */
import { isConflict, isNotFound, statusCode } from '../kube/apiErrors.ts';
import type { EvictionAnswer } from '../planner/world.ts';
import type { ExecuteContext } from './execute.ts';

/**
 * Evicts a stable pod for spec.restartAt through the Eviction API, so that every PodDisruptionBudget decides. 429 (a
 * budget allows no disruption now) is "not now", not a failure: the plan's requeue asks again, and nothing is
 * reported. Gone already (404), or another pod under that name (409 on the uid precondition): nothing to evict. A pod
 * that more than one budget selects gets a 500 from the API server (it cannot choose): that one is reported. Every
 * answer goes to `answered`, so that the next plan says what the API server said, not what it might have said.
 */
export async function evictPod(
  ctx: Pick<ExecuteContext, 'rollout' | 'clients' | 'fence'>,
  pod: { name: string; uid: string },
  answered: (answer: EvictionAnswer) => void = () => undefined,
): Promise<void> {
  const namespace = ctx.rollout.metadata.namespace!;
  ctx.fence();
  await ctx.clients.core
    .createNamespacedPodEviction({
      namespace,
      name: pod.name,
      body: { metadata: { name: pod.name, namespace }, deleteOptions: { preconditions: { uid: pod.uid } } },
    })
    .then(
      () => answered({ pod: pod.name, uid: pod.uid, code: 201, message: 'evicted' }),
      (err: unknown) => {
        const code = statusCode(err);
        answered({ pod: pod.name, uid: pod.uid, code, message: saidBy(err) });
        if (code !== 429 && !isNotFound(err) && !isConflict(err)) throw err;
      },
    );
}

/** The API server's own words: a refusing budget is named in details.causes ("The disruption budget x needs ..."). */
function saidBy(err: unknown): string {
  const body = (err as { body?: unknown } | undefined)?.body;
  let parsed: unknown = body;
  if (typeof body === 'string')
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
  const status = parsed as { message?: unknown; details?: { causes?: { message?: unknown }[] } } | undefined;
  const words = [status?.message, ...(status?.details?.causes ?? []).map((c) => c.message)].filter(
    (m): m is string => typeof m === 'string' && m !== '',
  );
  const text = words.length > 0 ? words.join(' ') : err instanceof Error ? err.message : String(err);
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}
