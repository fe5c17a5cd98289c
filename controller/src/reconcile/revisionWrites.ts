/**
 * The executor's writes for revision history (issue 16): a ReplicaSet's revision number, an undo's pod template
 * written into the Deployment, and old ReplicaSets pruned beyond revisionHistoryLimit. Both are decided by the planner (plan.revisionNumber, plan.undoTemplate); these only
 * carry them out. Errors are the caller's to name (execute.ts wraps each write).
 */
import type { V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { PatchStrategy } from '../kube/resourceClients.ts';
import { maxRevisionNumber, revisionLabel, revisionNumberAnnotation, rolloutLabel } from '../workload/names.ts';
import { revisionNumberOf } from '../workload/objects.ts';
import { revisionOf } from '../planner/revision.ts';
import type { Plan } from '../planner/world.ts';
import type { ExecuteContext } from './execute.ts';
import { isConflict, isNotFound } from '../kube/apiErrors.ts';

const merge = PatchStrategy.MergePatch;
const jsonPatch = PatchStrategy.JsonPatch;

type Writer = Pick<ExecuteContext, 'clients' | 'fence'>;

/** The number a ReplicaSet created now carries: the plan's for the current template, else the next free one. */
export function numberOfNew(existing: readonly V1ReplicaSet[], planned: Plan['revisionNumber'], revision: string) {
  if (planned?.revision === revision) return planned.number;
  // As the planner counts (planner/revisionNumbers.ts): the largest number is no number, so the next fits undo:N.
  return Math.max(0, ...existing.map(revisionNumberOf).filter((n) => n < maxRevisionNumber)) + 1;
}

/** Gives the existing ReplicaSet of the current template the number the plan decided (a revision that came back). */
export async function renumberReplicaSet(
  ctx: Writer & Pick<ExecuteContext, 'replicaSets'>,
  planned: NonNullable<Plan['revisionNumber']>,
): Promise<void> {
  const rs = ctx.replicaSets.find((r) => r.metadata?.labels?.[revisionLabel] === planned.revision);
  if (rs === undefined || revisionNumberOf(rs) === planned.number) return; // created with it, or numbered already
  ctx.fence();
  await ctx.clients.apps.patchNamespacedReplicaSet(
    {
      namespace: rs.metadata!.namespace!,
      name: rs.metadata!.name!,
      body: { metadata: { annotations: { [revisionNumberAnnotation]: String(planned.number) } } },
    },
    merge,
  );
}

/**
 * The Deployment's pod template as it was when `rs` was built from it: Sluice's own labels (and a Deployment's
 * pod-template-hash, as kubectl rollout undo drops it) taken off, so that it is the same revision again.
 */
export function templateOf(rs: V1ReplicaSet): V1PodTemplateSpec | undefined {
  const template = rs.spec?.template;
  if (template === undefined) return undefined;
  const copy = structuredClone(template);
  const labels = { ...copy.metadata?.labels };
  for (const own of [rolloutLabel, revisionLabel, 'pod-template-hash']) delete labels[own];
  copy.metadata = { ...copy.metadata, labels };
  return copy;
}

/**
 * Replaces the Deployment's pod template with the undo's. The patch carries the resourceVersion the planner saw: if
 * the Deployment changed since (a newer template from someone else), the API server refuses it with a conflict,
 * and the next reconcile decides again from what is there now; it never overwrites a change it has not seen.
 */
export async function writeUndoTemplate(
  ctx: Writer & Pick<ExecuteContext, 'deployment' | 'replicaSets'>,
  undo: { replicaSet: string; revision: string },
): Promise<void> {
  const rs = ctx.replicaSets.find((r) => r.metadata?.name === undo.replicaSet);
  const template = rs === undefined ? undefined : templateOf(rs);
  const d = ctx.deployment;
  if (template === undefined || d?.metadata?.resourceVersion === undefined)
    throw new Error(`ReplicaSet ${undo.replicaSet} or the Deployment is not in the cache`);
  // Labels, number and owner reference are anyone's to write who may edit ReplicaSets: only the content is the
  // revision. Status and the UndoRequested Event named this revision; any other template is not written.
  const content = revisionOf(template);
  if (content !== undo.revision)
    throw new Error(
      `ReplicaSet ${undo.replicaSet} claims revision ${undo.revision} but its pod template is revision ${content} (edited, or not made by Sluice): the Deployment is left as it is; undo to another revision, or set the template in the Deployment yourself`,
    );
  ctx.fence();
  await ctx.clients.apps.patchNamespacedDeployment(
    {
      namespace: d.metadata.namespace!,
      name: d.metadata.name!,
      body: [
        { op: 'replace', path: '/metadata/resourceVersion', value: d.metadata.resourceVersion },
        { op: 'replace', path: '/spec/template', value: template },
      ],
    },
    jsonPatch,
  );
}

/** Deletes the old ReplicaSets the plan prunes (beyond spec.revisionHistoryLimit). */
export async function pruneReplicaSets(
  ctx: Writer & Pick<ExecuteContext, 'replicaSets' | 'onPruneFailed'>,
  names: readonly string[],
): Promise<void> {
  for (const name of names) {
    const rs = ctx.replicaSets.find((r) => r.metadata?.name === name);
    if (rs === undefined) continue;
    ctx.fence();
    // Preconditions: a ReplicaSet recreated under the same name, or changed since the cache saw it (kubectl scale,
    // a status update), is not deleted: the 409 is routine, and the watch event of that change brings the next
    // reconcile, which looks again. Gone already (404) is done.
    const preconditions = { uid: rs.metadata!.uid!, resourceVersion: rs.metadata!.resourceVersion! };
    await ctx.clients.apps
      .deleteNamespacedReplicaSet({
        namespace: rs.metadata!.namespace!,
        name,
        body: { preconditions, propagationPolicy: 'Background' },
      })
      .catch((err: unknown) => {
        if (!isNotFound(err) && !isConflict(err)) ctx.onPruneFailed(name, err);
      });
  }
}
