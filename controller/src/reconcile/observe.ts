/**
 * Builds the planner's ObservedWorld from the caches: the Deployment reduced to its template revision and
 * replicas, the ReplicaSets this Rollout owns, what the router reads, the pending manual request, and the
 * controller-only spec checks.
 */
import type { V1ReplicaSet } from '@kubernetes/client-node';
import { readActionRequest } from '../api/controls.ts';
import { restartPending } from '../api/restartAt.ts';
import type { Rollout } from '../api/types.ts';
import { validateRollout, type SpecError } from '../api/validate.ts';
import { adoptionRefused } from './services.ts';
import { revisionOf } from '../planner/revision.ts';
import type { ObservedReplicaSet, ObservedWorld } from '../planner/world.ts';
import type { RouterSpecError } from '../routers/registry.ts';
import type { TrafficRouter } from '../routers/router.ts';
import { recordedReplicasAnnotation, revisionLabel, rolloutLabel, serviceName } from '../workload/names.ts';
import { isSluiceReplicaSet, revisionNumberOf } from '../workload/objects.ts';
import { listMatching, type Caches } from './caches.ts';
import { observePods } from './pods.ts';

/**
 * The ReplicaSets this Rollout owns, one per revision: the ones Sluice made (workload/objects.ts isSluiceReplicaSet,
 * by the name it gives each revision). Anyone who may create ReplicaSets in the namespace can make others with the
 * same labels and owner reference; those are left as they are, not Sluice's to count, scale or delete, even when
 * Sluice's own of that revision is missing (then it is made, as for any missing revision).
 */
export function ownedReplicaSets(caches: Caches, rollout: Rollout): V1ReplicaSet[] {
  return listMatching(caches.replicaSets, rollout.metadata.namespace, rollout.metadata.name ?? '', (rs) =>
    isSluiceReplicaSet(rollout, rs),
  );
}

/**
 * The revision of a cached Deployment's pod template, hashed once per template object: the caches replace an object
 * on every change and never edit one in place, so the same object means the same content. Hashing it (a canonical
 * JSON of the whole template) on every reconcile was a twentieth of what a reconcile allocated (issue 20).
 */
const templateRevisions = new WeakMap<object, string>();
function templateRevisionOf(template: object): string {
  let revision = templateRevisions.get(template);
  if (revision === undefined) templateRevisions.set(template, (revision = revisionOf(template)));
  return revision;
}

export function observeWorld(
  caches: Caches,
  rollout: Rollout,
  routing: { router: TrafficRouter | undefined; invalid: RouterSpecError | undefined },
  now: Date,
): ObservedWorld {
  const namespace = rollout.metadata.namespace!;
  const ref = rollout.spec.workloadRef;
  const d = ref === undefined ? undefined : caches.deployments.get(namespace, ref.name);
  const recorded = Number(d?.metadata?.annotations?.[recordedReplicasAnnotation]);
  const owned = ownedReplicaSets(caches, rollout);
  const replicaSets: ObservedReplicaSet[] = owned.map((rs) => ({
    name: rs.metadata!.name!,
    revision: rs.metadata!.labels![revisionLabel] ?? '',
    replicas: rs.spec?.replicas ?? 0,
    readyReplicas: rs.status?.readyReplicas ?? 0,
    availableReplicas: rs.status?.availableReplicas ?? 0,
    // status.replicas counts active pods only; pods still shutting down are in terminatingReplicas (Kubernetes
    // 1.33+, where the feature is on; absent elsewhere, and then they go uncounted).
    pods: (rs.status?.replicas ?? 0) + terminating(rs),
    revisionNumber: revisionNumberOf(rs),
    createdAt: timestamp(rs.metadata?.creationTimestamp),
  }));

  const specErrors = validateRollout(rollout, {
    analysisTemplate: (ns, name) => caches.analysisTemplates.get(ns, name)?.spec,
    clusterAnalysisTemplate: (name) => caches.clusterAnalysisTemplates.get(undefined, name)?.spec,
  });
  if (routing.invalid !== undefined) specErrors.unshift({ ...routing.invalid, code: 'InvalidStep' });
  specErrors.push(...serviceErrors(caches, rollout));

  const request = readActionRequest(rollout.metadata.annotations);
  return {
    now,
    rollout,
    specErrors,
    deployment:
      d?.spec?.template === undefined
        ? undefined
        : {
            name: d.metadata!.name!,
            replicas: d.spec.replicas ?? 1,
            recordedReplicas: Number.isInteger(recorded) && recorded > 0 ? recorded : undefined,
            templateRevision: templateRevisionOf(d.spec.template),
            ...(d.metadata?.generation === undefined ? {} : { generation: d.metadata.generation }),
          },
    replicaSets,
    ...restartPods(caches, rollout, owned),
    traffic: routing.router?.observe(),
    ...autoscalerOn(caches, rollout),
    ...(rollout.spec.service === undefined
      ? {}
      : {
          services: {
            stable: selectedRevision(caches, rollout, 'stable'),
            canary: selectedRevision(caches, rollout, 'canary'),
            ...(isOwnService(caches, rollout, 'stable') ? {} : { stableUnseen: true as const }),
          },
        }),
    action:
      request.kind === 'none'
        ? undefined
        : request.kind === 'action'
          ? request.action
          : { invalid: `${request.field}: ${request.message}` },
    stepVerdicts: new Map(),
    backgroundVerdict: undefined,
    freeze: undefined,
    analysisRuns: undefined,
    // Filled in by the reconciler from the background's outcomes.
    unleash: {
      defaultEnvironment: 'development',
      defaultProject: 'default',
      unavailable: 'Unleash is not connected',
      operation: () => undefined,
    },
  };
}

/** A blue-green Rollout naming a Service that another Rollout uses (the cache sees only labelled Services). */
function serviceErrors(caches: Caches, rollout: Rollout): SpecError[] {
  const bg = rollout.spec.strategy?.blueGreen;
  if (bg === undefined) return [];
  const errors: SpecError[] = [];
  for (const [field, name] of [
    ['activeService', bg.activeService],
    ['previewService', bg.previewService],
  ] as const) {
    const service = caches.services.get(rollout.metadata.namespace, name);
    const refused = service === undefined ? undefined : adoptionRefused(rollout, service);
    if (refused !== undefined)
      errors.push({ field: `spec.strategy.blueGreen.${field}`, code: 'InvalidStep', message: refused });
  }
  return errors;
}

/** Whether the Service of this role is this Rollout's (created, or adopted: labelled) in the cache. */
function isOwnService(caches: Caches, rollout: Rollout, role: 'stable' | 'canary'): boolean {
  const service = caches.services.get(rollout.metadata.namespace, serviceName(rollout, role));
  return service?.metadata?.labels?.[rolloutLabel] === rollout.metadata.name;
}

/** The revision a Service of this Rollout selects; undefined when it is missing or is another Rollout's. */
function selectedRevision(caches: Caches, rollout: Rollout, role: 'stable' | 'canary'): string | undefined {
  if (!isOwnService(caches, rollout, role)) return undefined;
  return caches.services.get(rollout.metadata.namespace, serviceName(rollout, role))?.spec?.selector?.[revisionLabel];
}

/** The first HorizontalPodAutoscaler (by name) that targets the Rollout's Deployment, if any. */
function autoscalerOn(caches: Caches, rollout: Rollout): { autoscalerOnDeployment?: string } {
  const deployment = rollout.spec.workloadRef?.name;
  if (deployment === undefined) return {};
  const names = caches.autoscalers
    .list(rollout.metadata.namespace)
    .filter((a) => a.spec?.scaleTargetRef?.kind === 'Deployment' && a.spec.scaleTargetRef.name === deployment)
    .map((a) => a.metadata?.name ?? '')
    .sort();
  return names.length === 0 ? {} : { autoscalerOnDeployment: names[0] };
}

/** The cache keeps the API server's JSON (a string); a typed client's object would carry a Date. */
function timestamp(value: unknown): string {
  if (typeof value === 'string') return value;
  return value instanceof Date ? value.toISOString() : '';
}

function terminating(rs: V1ReplicaSet): number {
  const n = (rs.status as { terminatingReplicas?: unknown } | undefined)?.terminatingReplicas;
  return typeof n === 'number' && n > 0 ? n : 0;
}

/**
 * The Rollout's pods, read only while a restart is pending (the pods are the one cache that grows with the
 * Rollout's size); when the controller may not list pods, why the restart cannot see them.
 */
function restartPods(
  caches: Caches,
  rollout: Rollout,
  owned: V1ReplicaSet[],
): Pick<ObservedWorld, 'pods' | 'podsUnavailable'> {
  if (!restartPending(rollout.spec.restartAt, rollout.status)) return { pods: [] };
  if (caches.pods === undefined)
    return {
      pods: [],
      podsUnavailable:
        'the controller may not list pods (its ClusterRole or Role lacks list and watch on pods, and create on pods/eviction): apply the current manifests, then restart the controller',
    };
  // The controller's workers wait for every cache's first list (controller.ts); this is the planner's own guard, so
  // that no other caller can take a pod cache not listed yet for "no stable pod older": a restart done with none.
  if (caches.pods.hasSynced?.() === false)
    return { pods: [], podsUnavailable: 'the pod cache has not listed the pods yet: the restart waits for it' };
  const mine = caches.pods
    .list(rollout.metadata.namespace)
    .filter((p) => p.metadata.labels?.[rolloutLabel] === rollout.metadata.name);
  return { pods: observePods(mine, new Set(owned.map((rs) => rs.metadata!.uid!))) };
}
