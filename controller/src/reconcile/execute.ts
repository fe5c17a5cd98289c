/**
 * The executor: applies a Plan to the cluster, writing only what differs from the cache. Order matters for
 * safety: Services before traffic (the canary Service must select the canary before it gets a request), pods
 * up before traffic, traffic before pods down (an abort takes traffic off the canary first), status last.
 * Every write first checks the fence: a replica that is no longer leader stops before it writes. Events are the
 * exception, as in client-go: they report, they change nothing, and they are sent in the background.
 */
import type { AppsV1Api, CoreV1Api, CustomObjectsApi, V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { actionAnnotation } from '../api/controls.ts';
import { apiGroup, apiVersionName, type Rollout } from '../api/types.ts';
import type { Plan } from '../planner/world.ts';
import type { TrafficRouter } from '../routers/router.ts';
import { recordedReplicasAnnotation, revisionLabel, sequenceAnnotation, serviceName } from '../workload/names.ts';
import { buildReplicaSet, buildService, nextSequence, sequenceOf } from '../workload/objects.ts';
import type { Caches } from './caches.ts';
import type { EventSink } from './eventRecorder.ts';
import { sameJson } from './sameJson.ts';

export interface Clients {
  apps: AppsV1Api;
  core: CoreV1Api;
  custom: CustomObjectsApi;
}

export interface ExecuteContext {
  rollout: Rollout;
  deployment: V1Deployment | undefined;
  replicaSets: V1ReplicaSet[];
  router: TrafficRouter | undefined;
  caches: Caches;
  clients: Clients;
  /** Throws when this replica may not write (not the leader). */
  fence: () => void;
  /** Where the plan's Events go; they are written in the background, after this reconcile. */
  events: EventSink;
  /** Told the Rollout's resourceVersion after each write to it, as it happens (see expectations.ts). */
  onRolloutWritten: (resourceVersion: string) => void;
  /** Told of an old ReplicaSet that could not be deleted: housekeeping, so it never fails the reconcile. */
  onPruneFailed: (name: string, err: unknown) => void;
  /**
   * Runs once traffic has moved and before status is written, so that what it changes in the plan (flags still
   * to restore) lands in the same status write, and so that an abort's traffic shift never waits for Unleash.
   */
  afterTraffic?: (plan: Plan) => Promise<void>;
}

export const rolloutRef = { group: apiGroup, version: apiVersionName, plural: 'rollouts' };
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

export async function executePlan(ctx: ExecuteContext, plan: Plan): Promise<void> {
  const { rollout, clients, fence } = ctx;
  const namespace = rollout.metadata.namespace!;

  // Each write to the Rollout returns its new resourceVersion; the status write must build on the latest one.
  let resourceVersion = rollout.metadata.resourceVersion;
  if (plan.clearAction) {
    const written = await clearAction(ctx);
    if (written !== undefined) ctx.onRolloutWritten(written);
    resourceVersion = written ?? resourceVersion;
  }
  if (plan.services !== undefined && rollout.spec.service !== undefined) {
    for (const role of ['stable', 'canary'] as const) await applyService(ctx, role, plan.services[role]);
  }

  const current = new Map(ctx.replicaSets.map((rs) => [rs.metadata!.labels![revisionLabel]!, rs]));
  const wanted = new Map(plan.replicaSets.map((d) => [d.revision, d.replicas]));
  let sequence = nextSequence(ctx.replicaSets);
  for (const [revision, replicas] of wanted) {
    const rs = current.get(revision);
    if (rs === undefined) {
      if (ctx.deployment === undefined) continue;
      fence();
      await clients.apps.createNamespacedReplicaSet({ namespace, body: buildReplicaSet(rollout, ctx.deployment, revision, replicas, sequence++) });
    } else if ((rs.spec?.replicas ?? 0) < replicas) {
      // An old ReplicaSet brought back (the template reverted to it) is the newest again: the history keeps it.
      const revived = (rs.spec?.replicas ?? 0) === 0 && sequenceOf(rs) < sequence - 1 ? sequence++ : undefined;
      await scale(ctx, rs, replicas, revived);
    }
  }

  if (plan.canaryWeight !== undefined && ctx.router?.differs(plan.canaryWeight) === true) {
    fence();
    await ctx.router.setWeight(plan.canaryWeight);
  }

  for (const rs of ctx.replicaSets) {
    const revision = rs.metadata!.labels![revisionLabel]!;
    const replicas = wanted.get(revision) ?? 0;
    if ((rs.spec?.replicas ?? 0) > replicas) await scale(ctx, rs, replicas);
  }

  await ctx.afterTraffic?.(plan);

  if (plan.takeOverDeployment !== undefined && ctx.deployment !== undefined) {
    fence();
    await clients.apps.patchNamespacedDeployment({
      namespace,
      name: ctx.deployment.metadata!.name!,
      body: { metadata: { annotations: { [recordedReplicasAnnotation]: String(plan.takeOverDeployment.recordReplicas) } }, spec: { replicas: 0 } },
    }, merge);
  }

  if (!sameJson(rollout.status ?? {}, plan.status)) {
    fence();
    // A PUT with the cached resourceVersion: if the Rollout changed meanwhile, the write fails with a conflict
    // and the key is retried against the newer object, instead of overwriting what we have not seen.
    const updated = (await clients.custom.replaceNamespacedCustomObjectStatus({
      ...rolloutRef, namespace, name: rollout.metadata.name!,
      body: { ...rollout, metadata: { ...rollout.metadata, resourceVersion }, status: plan.status },
    })) as { metadata?: { resourceVersion?: string } };
    if (updated.metadata?.resourceVersion !== undefined) ctx.onRolloutWritten(updated.metadata.resourceVersion);
  }

  for (const event of plan.events) ctx.events.record(rollout, event);

  for (const name of plan.deleteReplicaSets) {
    const rs = ctx.replicaSets.find((r) => r.metadata?.name === name);
    if (rs === undefined) continue;
    fence();
    // Preconditions: a ReplicaSet recreated under the same name, or changed since the cache saw it (kubectl scale,
    // a status update), is not deleted: the 409 is routine, and the watch event of that change brings the next
    // reconcile, which looks again. Gone already (404) is done.
    const preconditions = { uid: rs.metadata!.uid!, resourceVersion: rs.metadata!.resourceVersion! };
    await clients.apps.deleteNamespacedReplicaSet({ namespace, name, body: { preconditions, propagationPolicy: 'Background' } })
      .catch((err: unknown) => {
        const code = (err as { code?: unknown }).code;
        if (code !== 404 && code !== 409) ctx.onPruneFailed(name, err);
      });
  }
}

async function scale(ctx: ExecuteContext, rs: V1ReplicaSet, replicas: number, sequence?: number): Promise<void> {
  ctx.fence();
  const renumber = sequence === undefined ? {} : { metadata: { annotations: { [sequenceAnnotation]: String(sequence) } } };
  await ctx.clients.apps.patchNamespacedReplicaSet(
    { namespace: rs.metadata!.namespace!, name: rs.metadata!.name!, body: { ...renumber, spec: { replicas } } },
    merge,
  );
}

async function applyService(ctx: ExecuteContext, role: 'stable' | 'canary', revision: string): Promise<void> {
  const desired = buildService(ctx.rollout, role, revision);
  const cached = ctx.caches.services.get(ctx.rollout.metadata.namespace, serviceName(ctx.rollout, role));
  if (cached !== undefined && sameJson(cached.spec?.selector, desired.spec?.selector) && sameJson(
    cached.spec?.ports?.map((p) => [p.port, p.targetPort]),
    desired.spec?.ports?.map((p) => [p.port, p.targetPort]),
  )) return;
  ctx.fence();
  const { core } = ctx.clients;
  if (cached === undefined) {
    await core.createNamespacedService({ namespace: ctx.rollout.metadata.namespace!, body: desired });
  } else {
    await core.patchNamespacedService({ namespace: ctx.rollout.metadata.namespace!, name: desired.metadata!.name!, body: { spec: { selector: desired.spec!.selector, ports: desired.spec!.ports } } }, merge);
  }
}

/**
 * Removes the sluice.dev/action annotation before the plan's effects: a JSON Patch that first tests the value,
 * so a newer, different request that arrived meanwhile is not thrown away (the patch fails and the key retries).
 */
async function clearAction(ctx: ExecuteContext): Promise<string | undefined> {
  const value = ctx.rollout.metadata.annotations?.[actionAnnotation];
  if (value === undefined) return undefined;
  const path = `/metadata/annotations/${actionAnnotation.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  ctx.fence();
  const updated = (await ctx.clients.custom.patchNamespacedCustomObject(
    { ...rolloutRef, namespace: ctx.rollout.metadata.namespace!, name: ctx.rollout.metadata.name!, body: [{ op: 'test', path, value }, { op: 'remove', path }] },
    jsonPatch,
  )) as { metadata?: { resourceVersion?: string } };
  return updated.metadata?.resourceVersion;
}

