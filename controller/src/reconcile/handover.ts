/**
 * Deleting a Rollout never takes the application down, nor leaves a flag half rolled out. Sluice's ReplicaSets
 * belong to the Rollout and go with it, so a finalizer holds the Rollout until the flags it changed are back
 * (planner/plan.ts planDeletion) and its Deployment has been scaled back to the recorded replicas and has that many
 * pods available; only then does the garbage collector remove Sluice's pods.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { PatchStrategy } from '../kube/resourceClients.ts';
import type { Rollout } from '../api/types.ts';
import { handoverFinalizer, recordedReplicasAnnotation } from '../workload/names.ts';
import type { ExecuteContext } from './execute.ts';
import { rolloutRef } from './execute.ts';
import { releaseServices } from './services.ts';

const merge = PatchStrategy.MergePatch;
const jsonPatch = PatchStrategy.JsonPatch;

/**
 * Adds the finalizer to a Rollout that has a workload, or that has recorded a feature flag it is about to change (a
 * flag is recorded in status one reconcile before it is set, so the finalizer is there before any flag moves). True
 * when it wrote: the Rollout has a new resourceVersion, and the watch event of that write brings the next reconcile.
 */
export async function ensureFinalizer(
  ctx: Pick<ExecuteContext, 'rollout' | 'clients' | 'fence' | 'onRolloutWritten'>,
): Promise<boolean> {
  const { rollout } = ctx;
  const needed = rollout.spec.workloadRef !== undefined || (rollout.status?.flags?.length ?? 0) > 0;
  if (!needed || rollout.metadata.finalizers?.includes(handoverFinalizer)) return false;
  ctx.fence();
  const ops =
    rollout.metadata.finalizers === undefined
      ? [{ op: 'add', path: '/metadata/finalizers', value: [handoverFinalizer] }]
      : [{ op: 'add', path: '/metadata/finalizers/-', value: handoverFinalizer }];
  const updated = (await ctx.clients.custom.patchNamespacedCustomObject(
    { ...rolloutRef, namespace: rollout.metadata.namespace!, name: rollout.metadata.name!, body: ops },
    jsonPatch,
  )) as { metadata?: { resourceVersion?: string } };
  if (updated.metadata?.resourceVersion !== undefined) ctx.onRolloutWritten(updated.metadata.resourceVersion);
  return true;
}

/** Returns how long to wait before looking again, or undefined once the finalizer is gone. */
export async function handOver(
  ctx: Pick<ExecuteContext, 'rollout' | 'clients' | 'fence' | 'caches'>,
  deployment: V1Deployment | undefined,
): Promise<number | undefined> {
  const { rollout } = ctx;
  const index = rollout.metadata.finalizers?.indexOf(handoverFinalizer) ?? -1;
  if (index < 0) return undefined;
  const recorded = Number(deployment?.metadata?.annotations?.[recordedReplicasAnnotation]);
  if (deployment !== undefined && Number.isInteger(recorded) && recorded > 0) {
    if ((deployment.spec?.replicas ?? 0) === 0) {
      ctx.fence();
      await ctx.clients.apps.patchNamespacedDeployment(
        {
          namespace: deployment.metadata!.namespace!,
          name: deployment.metadata!.name!,
          body: { spec: { replicas: recorded } },
        },
        merge,
      );
      return 1_000;
    }
    if ((deployment.status?.availableReplicas ?? 0) < recorded) return 1_000;
  }
  // The Deployment's pods are up: the Services users call can select them again before Sluice's pods go.
  await releaseServices(ctx, podSelector(deployment));
  ctx.fence();
  await ctx.clients.custom.patchNamespacedCustomObject(
    {
      ...rolloutRef,
      namespace: rollout.metadata.namespace!,
      name: rollout.metadata.name!,
      body: [
        { op: 'test', path: `/metadata/finalizers/${index}`, value: handoverFinalizer },
        { op: 'remove', path: `/metadata/finalizers/${index}` },
      ],
    },
    jsonPatch,
  );
  return undefined;
}

/**
 * A Service selector for the Deployment's pods: its matchLabels, or, when it selects by expression (a Service cannot),
 * its pod template's labels, which every pod it runs carries and its selector matches by definition.
 */
function podSelector(deployment: V1Deployment | undefined): Record<string, string> | undefined {
  const selector = deployment?.spec?.selector;
  if (selector?.matchLabels !== undefined && (selector.matchExpressions ?? []).length === 0)
    return selector.matchLabels;
  return deployment?.spec?.template?.metadata?.labels;
}

export function isDeleting(rollout: Rollout): boolean {
  return rollout.metadata.deletionTimestamp !== undefined && rollout.metadata.deletionTimestamp !== null;
}
