/**
 * The executor: applies a Plan to the cluster, writing only what differs from the cache. The order is the safety
 * argument:
 *   1. status first: the plan's decisions (an abort, a step reached, a flag's previous state) are recorded before
 *      any of their effects, so that a failure later in the reconcile can lose no decision: the next reconcile
 *      reads it from status and carries it out again. Their Events are queued then (they are sent in the
 *      background and, like client-go's, are best effort: status is the record);
 *   2. Services before traffic (the canary Service must select the canary before it gets a request), pods up before
 *      traffic, traffic before pods down; an abort needs none of the first two, so its traffic move (and its flag
 *      restores) are the first thing after its status;
 *   3. Unleash operations are handed to the background (they never hold this reconcile), after traffic has moved;
 *   4. the manual request is removed only after status records what was done with it (a retried reconcile sees
 *      status.handledAction and does not act twice), and the record is dropped right after.
 * Every write is fenced at the wire (kube/apiMetrics.ts, flags/unleashAdmin.ts): a replica that is no longer leader
 * sends nothing. A write that fails is reported in status (condition WriteFailed) and the key is retried.
 */
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import {
  PatchStrategy,
  type AppsClient,
  type CoreClient,
  type CustomObjectsClient,
  type PolicyClient,
} from '../kube/resourceClients.ts';
import { actionAnnotation } from '../api/controls.ts';
import { apiGroup, apiVersionName, type Condition, type Rollout, type RolloutStatus } from '../api/types.ts';
import type { PlannedFlagOperation } from '../flags/flagSteps.ts';
import { revisionOf } from '../planner/revision.ts';
import type { EvictionAnswer, Plan } from '../planner/world.ts';
import type { TrafficRouter } from '../routers/router.ts';
import { recordedReplicasAnnotation, revisionLabel, serviceName } from '../workload/names.ts';
import { buildReplicaSet } from '../workload/objects.ts';
import { numberOfNew, pruneReplicaSets, renumberReplicaSet, writeUndoTemplate } from './revisionWrites.ts';
import { applyService, stableServiceSelectsOther } from './services.ts';
import { applyPodDisruptionBudget } from './pdb.ts';
import { evictPod } from './evictions.ts';
import { isConflict } from '../kube/apiErrors.ts';
import { step, WriteError } from './writeError.ts';
import { notLeaderCause } from '../kube/writeFence.ts';
import type { Caches } from './caches.ts';
import type { EventSink } from './eventRecorder.ts';
import type { NotificationSink } from '../notify/notifier.ts';
import { sameJson } from './sameJson.ts';

export interface Clients {
  apps: AppsClient;
  core: CoreClient;
  custom: CustomObjectsClient;
  policy: PolicyClient;
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
  /** Hears of a plan once its status is written (spec.notifications); it only enqueues, delivery is elsewhere. */
  notifications?: NotificationSink;
  /** Told the Rollout's resourceVersion after each write to it, as it happens (see expectations.ts). */
  onRolloutWritten: (resourceVersion: string) => void;
  /** Told of an old ReplicaSet that could not be deleted: housekeeping, so it never fails the reconcile. */
  onPruneFailed: (name: string, err: unknown) => void;
  /** Told of a metrics or notifications hook that threw after a status write (the plan goes on without it). */
  onHookFailed?: (hook: 'metrics' | 'notifications', err: unknown) => void;
  /** Told each answer of the Eviction API (spec.restartAt), for the next plan to say it as it was. */
  onEvictionAnswered?: (answer: EvictionAnswer) => void;
  /**
   * Told the plan's status once its write succeeded, with the status it replaced (the write is fenced by that
   * status's resourceVersion, so the change between the two happened in this write): the outcome metrics.
   */
  onStatusWritten?: (before: RolloutStatus | undefined, after: RolloutStatus) => void;
  /** Hands Unleash operations to the background; called once status is written and traffic has moved. */
  dispatchFlagOperations?: (operations: readonly PlannedFlagOperation[]) => void;
}

export const rolloutRef = { group: apiGroup, version: apiVersionName, plural: 'rollouts' };
const merge = PatchStrategy.MergePatch;
const jsonPatch = PatchStrategy.JsonPatch;

export { WriteError } from './writeError.ts';

/** The condition the executor sets when a write failed, and clears once a whole plan was carried out. */
export const writeFailedCondition = 'WriteFailed';

function bestEffort(ctx: ExecuteContext, hook: 'metrics' | 'notifications', run: () => void): void {
  try {
    run();
  } catch (err) {
    ctx.onHookFailed?.(hook, err);
  }
}

export async function executePlan(ctx: ExecuteContext, plan: Plan): Promise<void> {
  // Each write to the Rollout returns its new resourceVersion; a status write must build on the latest one.
  const rv = { current: ctx.rollout.metadata.resourceVersion };
  let status = ctx.rollout.status ?? {};

  // 1. The decisions, before any of their effects.
  if (!sameJson(status, plan.status)) {
    await writeStatus(ctx, rv, plan.status);
    // Metrics and notifications are best effort and sit between an abort's record and its traffic move: a throw
    // there is logged, never lets the move wait for a retry (which would throw the same way).
    const before = ctx.rollout.status;
    bestEffort(ctx, 'metrics', () => ctx.onStatusWritten?.(before, plan.status));
    // Only once the decision is recorded: a notification never announces what a failed write could take back.
    bestEffort(ctx, 'notifications', () => ctx.notifications?.notify(ctx.rollout, before, plan));
    status = plan.status;
  }
  for (const event of plan.events) ctx.events.record(ctx.rollout, event);

  // 2. The effects; a failure is reported in status and the key retried, the decisions stay recorded. The undo's
  // template write depends on none of the others, nor they on it: it starts first and runs beside them, so that a
  // refused traffic write never holds an on-call engineer's undo back, nor a failed undo the rest.
  const undoWrite = startUndoWrite(ctx, plan);
  let failure: Error | undefined;
  try {
    await applyEffects(ctx, plan, undoWrite);
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err));
  }
  const undoFailure = await undoWrite;
  failure ??= undoFailure;

  // 3. The manual request, now that status says what was done with it (also when an effect failed: the request
  // is recorded, and status.handledAction keeps a retry from acting on it twice meanwhile).
  if (plan.clearAction) {
    const written = await clearAction(ctx);
    if (written !== undefined) {
      ctx.onRolloutWritten(written);
      rv.current = written;
    }
    if (status.handledAction !== undefined) {
      status = { ...status };
      delete status.handledAction;
      await dropHandledAction(ctx, rv);
    }
  }

  if (failure !== undefined) {
    await reportWriteFailure(ctx, rv, status, failure);
    throw failure;
  }
  const failed = status.conditions?.find((c) => c.type === writeFailedCondition);
  if (failed !== undefined)
    await writeStatus(ctx, rv, { ...status, conditions: status.conditions!.filter((c) => c !== failed) }).catch(
      () => undefined,
    );
}

/** The undo's template write, settled to its failure (undefined: written, or nothing to write). */
function startUndoWrite(ctx: ExecuteContext, plan: Plan): Promise<Error | undefined> {
  const undo = plan.undoTemplate;
  if (undo === undefined) return Promise.resolve(undefined);
  const what = `write the pod template of ${undo.revision} into the Deployment`;
  return step(what, () => writeUndoTemplate(ctx, undo)).then(
    () => undefined,
    (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
  );
}

async function applyEffects(ctx: ExecuteContext, plan: Plan, undoWrite: Promise<Error | undefined>): Promise<void> {
  const { rollout, clients, fence } = ctx;
  const namespace = rollout.metadata.namespace!;
  const setWeight = async () => {
    if (plan.canaryWeight === undefined) return;
    const revisions = plan.services ?? {
      stable: plan.status.stableRevision ?? '',
      canary: plan.status.canaryRevision ?? '',
    };
    const intent = { canaryWeight: plan.canaryWeight, revisions, routes: plan.routes };
    if (ctx.router?.differs(intent) !== true) return;
    const routes = plan.routes.length === 0 ? '' : ` with ${plan.routes.length} managed route(s)`;
    await step(`set the canary weight to ${plan.canaryWeight}%${routes}`, () => {
      fence();
      return ctx.router!.apply(intent);
    });
  };
  const dispatchFlags = () => {
    if (plan.flagOperations.length > 0) ctx.dispatchFlagOperations?.(plan.flagOperations);
  };
  // An abort needs no Service change and no new pod (stable never shrank; with dynamicStableScale the weight it
  // writes is within what stable's ready pods carry already): its traffic move and its flag restores go first, so
  // that nothing else that fails or waits (a scale refused, a quota) can hold them back.
  const abortFirst = plan.status.abort === true;
  // A weight that goes down, or managed routes removed at the same weight, take traffic off the canary: they go
  // before the Services and pods change, while the canary Service still selects the pods that had the share (a
  // superseded canary's; the new one's are not ready). A weight that goes up goes after them, once its pods are there.
  // A promotion is the exception: the stable Service moves to the new revision as the weight goes back to stable,
  // so the Services go first, or the share handed back would reach the old revision's pods for a moment.
  const seen = ctx.router?.observe();
  const now = seen?.kind === 'weights' ? { weight: seen.canary, routes: seen.routes?.length ?? 0 } : undefined;
  const w = plan.canaryWeight ?? Infinity;
  // Services are named as the plan's status records them: a blue-green release keeps the names it started with,
  // also in its first reconcile, when the status read before planning does not hold them yet.
  const named = { ...rollout, status: plan.status };
  const stableMoves =
    plan.services !== undefined && stableServiceSelectsOther({ ...ctx, rollout: named }, plan.services.stable);
  const takesOff =
    now !== undefined && !stableMoves && (w < now.weight || (w === now.weight && plan.routes.length < now.routes));
  const weightFirst = abortFirst || takesOff;
  if (abortFirst) {
    // The restores first: they never fail here (they run in the background), and a refused route write must not
    // keep them from going out.
    dispatchFlags();
  }
  if (weightFirst) await setWeight();
  if (plan.services !== undefined && rollout.spec.service !== undefined) {
    for (const role of ['stable', 'canary'] as const)
      await step(`update Service ${serviceName(named, role)}`, () =>
        applyService({ ...ctx, rollout: named }, role, plan.services![role]),
      );
  }

  const current = new Map(ctx.replicaSets.map((rs) => [rs.metadata!.labels![revisionLabel]!, rs]));
  const wanted = new Map(plan.replicaSets.map((d) => [d.revision, d.replicas]));
  const numbered = plan.revisionNumber;
  if (numbered) await step(`number the ReplicaSet of ${numbered.revision}`, () => renumberReplicaSet(ctx, numbered));
  for (const [revision, replicas] of wanted) {
    const rs = current.get(revision);
    if (rs === undefined) {
      // Only the Deployment's current template can be built: a missing ReplicaSet of another revision (the stable
      // one, deleted by hand) must not be recreated from the canary's template under the stable revision's name.
      if (ctx.deployment === undefined) continue;
      if (ctx.deployment.spec?.template === undefined || revisionOf(ctx.deployment.spec.template) !== revision) {
        throw new WriteError(
          `create the ReplicaSet of revision ${revision}`,
          new Error(
            `it is missing and the Deployment's pod template is another revision, so it cannot be rebuilt: set the Deployment's template back to that revision`,
          ),
        );
      }
      const number = numberOfNew(ctx.replicaSets, plan.revisionNumber, revision);
      const body = buildReplicaSet(rollout, ctx.deployment, revision, replicas, number);
      await step(`create ReplicaSet ${body.metadata?.name}`, () => {
        fence();
        return clients.apps.createNamespacedReplicaSet({ namespace, body });
      });
    } else if ((rs.spec?.replicas ?? 0) < replicas) {
      await step(`scale ReplicaSet ${rs.metadata?.name} to ${replicas}`, () => scale(ctx, rs, replicas));
    }
  }

  if (!weightFirst) await setWeight();

  for (const rs of ctx.replicaSets) {
    const revision = rs.metadata!.labels![revisionLabel]!;
    const replicas = wanted.get(revision) ?? 0;
    if ((rs.spec?.replicas ?? 0) > replicas)
      await step(`scale ReplicaSet ${rs.metadata?.name} to ${replicas}`, () => scale(ctx, rs, replicas));
  }

  if (!abortFirst) dispatchFlags();

  if (plan.podDisruptionBudget !== undefined)
    await step('update the PodDisruptionBudget', () => applyPodDisruptionBudget(ctx, plan.podDisruptionBudget!.budget));

  // The take-over's write changes the Deployment's resourceVersion (the undo's write is fenced with it) and its
  // generation (a pending undo takes a moved one for a newer change): it waits until the undo's has landed.
  if (plan.takeOverDeployment !== undefined && ctx.deployment !== undefined && (await undoWrite) === undefined) {
    const d = ctx.deployment.metadata!.name!;
    await step(`scale Deployment ${d} to 0`, () => {
      fence();
      return clients.apps.patchNamespacedDeployment(
        {
          namespace,
          name: d,
          body: {
            metadata: {
              annotations: { [recordedReplicasAnnotation]: String(plan.takeOverDeployment!.recordReplicas) },
            },
            spec: { replicas: 0 },
          },
        },
        merge,
      );
    });
  }

  await pruneReplicaSets(ctx, plan.deleteReplicaSets);

  // Last: a restart's eviction waits for nothing above, and nothing above waits for it.
  for (const pod of plan.evictions)
    await step(`evict pod ${pod.name}`, () => evictPod(ctx, pod, ctx.onEvictionAnswered));
}

/** Says in status which write failed (best effort: the reconcile fails either way, and is retried). */
async function reportWriteFailure(
  ctx: ExecuteContext,
  rv: { current: string | undefined },
  status: RolloutStatus,
  err: unknown,
): Promise<void> {
  if (isFenceError(err) || isConflict(err)) return; // not ours to write, or routine
  const message = `${err instanceof Error ? err.message : String(err)}; retrying`;
  const previous = status.conditions?.find((c) => c.type === writeFailedCondition);
  if (previous?.message === message) return;
  const condition: Condition = {
    type: writeFailedCondition,
    status: 'True',
    reason: 'WriteFailed',
    message,
    lastTransitionTime: previous?.lastTransitionTime ?? new Date().toISOString(),
    ...(status.observedGeneration === undefined ? {} : { observedGeneration: status.observedGeneration }),
  };
  const conditions = [...(status.conditions ?? []).filter((c) => c.type !== writeFailedCondition), condition];
  await writeStatus(ctx, rv, { ...status, conditions }).catch(() => undefined);
}

function isFenceError(err: unknown): boolean {
  return notLeaderCause(err) !== undefined;
}

/**
 * A PUT with the cached resourceVersion: if the Rollout changed meanwhile, the write fails with a conflict and the
 * key is retried against the newer object, instead of overwriting what we have not seen.
 */
async function writeStatus(
  ctx: ExecuteContext,
  rv: { current: string | undefined },
  status: RolloutStatus,
): Promise<void> {
  ctx.fence();
  const { rollout } = ctx;
  const updated = (await ctx.clients.custom.replaceNamespacedCustomObjectStatus({
    ...rolloutRef,
    namespace: rollout.metadata.namespace!,
    name: rollout.metadata.name!,
    body: { ...rollout, metadata: { ...rollout.metadata, resourceVersion: rv.current }, status },
  })) as { metadata?: { resourceVersion?: string } };
  if (updated.metadata?.resourceVersion !== undefined) {
    ctx.onRolloutWritten(updated.metadata.resourceVersion);
    rv.current = updated.metadata.resourceVersion;
  }
}

/**
 * Removes status.handledAction with a merge patch and no resourceVersion: only this leader writes status, and a
 * user who annotates the next request meanwhile must not make this write conflict, or the marker would stay and
 * the new request would be taken for the old one.
 */
async function dropHandledAction(ctx: ExecuteContext, rv: { current: string | undefined }): Promise<void> {
  ctx.fence();
  const updated = (await ctx.clients.custom.patchNamespacedCustomObjectStatus(
    {
      ...rolloutRef,
      namespace: ctx.rollout.metadata.namespace!,
      name: ctx.rollout.metadata.name!,
      body: { status: { handledAction: null } },
    },
    merge,
  )) as { metadata?: { resourceVersion?: string } };
  if (updated.metadata?.resourceVersion !== undefined) {
    ctx.onRolloutWritten(updated.metadata.resourceVersion);
    rv.current = updated.metadata.resourceVersion;
  }
}

async function scale(ctx: ExecuteContext, rs: V1ReplicaSet, replicas: number): Promise<void> {
  ctx.fence();
  await ctx.clients.apps.patchNamespacedReplicaSet(
    { namespace: rs.metadata!.namespace!, name: rs.metadata!.name!, body: { spec: { replicas } } },
    merge,
  );
}

/**
 * Removes the sluice.dev/action annotation once status records what was done with it: a JSON Patch that first
 * tests the value, so a newer, different request that arrived meanwhile is not thrown away (the patch fails with
 * 422 and the key retries, and plans the newer request). The request is gone already (404 on the path): done.
 */
async function clearAction(ctx: ExecuteContext): Promise<string | undefined> {
  const value = ctx.rollout.metadata.annotations?.[actionAnnotation];
  if (value === undefined) return undefined;
  const path = `/metadata/annotations/${actionAnnotation.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  ctx.fence();
  const updated = (await ctx.clients.custom.patchNamespacedCustomObject(
    {
      ...rolloutRef,
      namespace: ctx.rollout.metadata.namespace!,
      name: ctx.rollout.metadata.name!,
      body: [
        { op: 'test', path, value },
        { op: 'remove', path },
      ],
    },
    jsonPatch,
  )) as { metadata?: { resourceVersion?: string } };
  return updated.metadata?.resourceVersion;
}
