/**
 * The PodDisruptionBudget of a Rollout (spec.pdb): one per Rollout, named after it, owned by it, selecting the pods
 * of every revision by the sluice.dev/rollout label, so that it follows stable, canary and preview as they come and
 * go. A PodDisruptionBudget of that name that is not Sluice's is never taken over: the write fails, naming it.
 */
import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import { PatchStrategy } from '../kube/resourceClients.ts';
import { isNotFound } from '../kube/apiErrors.ts';
import type { PdbBudget } from '../planner/world.ts';
import { ownedBy, rolloutLabel } from '../workload/names.ts';
import type { ExecuteContext } from './execute.ts';
import { sameJson } from './sameJson.ts';

const merge = PatchStrategy.MergePatch;

/** The budget as the API server keeps it: exactly the field the spec sets, the other one absent. */
function budgetOf(spec: V1PodDisruptionBudget['spec']): PdbBudget {
  return {
    ...(spec?.minAvailable === undefined ? {} : { minAvailable: spec.minAvailable }),
    ...(spec?.maxUnavailable === undefined ? {} : { maxUnavailable: spec.maxUnavailable }),
  };
}

export async function applyPodDisruptionBudget(
  ctx: Pick<ExecuteContext, 'rollout' | 'clients' | 'fence' | 'caches'>,
  budget: PdbBudget | undefined,
): Promise<void> {
  const { rollout } = ctx;
  const namespace = rollout.metadata.namespace!;
  const name = rollout.metadata.name!;
  const cached = ctx.caches.podDisruptionBudgets.get(namespace, name);
  const ours = cached?.metadata?.ownerReferences?.some((o) => o.uid === rollout.metadata.uid) === true;
  if (budget === undefined) {
    if (cached === undefined || !ours) return;
    ctx.fence();
    await ctx.clients.policy
      .deleteNamespacedPodDisruptionBudget({ namespace, name, body: { preconditions: { uid: cached.metadata!.uid! } } })
      .catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    return;
  }
  const wanted = budgetOf(budget);
  if (cached !== undefined) {
    if (!ours)
      throw new Error(`spec.pdb: PodDisruptionBudget ${name} exists and is not this Rollout's: rename or delete it`);
    if (sameJson(budgetOf(cached.spec), wanted)) return;
    ctx.fence();
    await ctx.clients.policy.patchNamespacedPodDisruptionBudget(
      {
        namespace,
        name,
        body: { spec: { minAvailable: wanted.minAvailable ?? null, maxUnavailable: wanted.maxUnavailable ?? null } },
      },
      merge,
    );
    return;
  }
  ctx.fence();
  await ctx.clients.policy
    .createNamespacedPodDisruptionBudget({
      namespace,
      body: {
        metadata: { name, namespace, labels: { [rolloutLabel]: name }, ownerReferences: ownedBy(rollout) },
        spec: { selector: { matchLabels: { [rolloutLabel]: name } }, ...wanted },
      },
    })
    .catch((err: unknown) => {
      // The cache sees only labelled ones: an unlabelled one of that name is someone else's.
      if ((err as { code?: number }).code === 409)
        throw new Error(`spec.pdb: PodDisruptionBudget ${name} exists and is not this Rollout's: rename or delete it`);
      throw err;
    });
}
