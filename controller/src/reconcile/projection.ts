/**
 * What the caches keep of each built-in kind: the fields Sluice reads, nothing else (as controller-runtime's cache
 * transforms do). The informer applies these to every listed object and every watch event before it enters the
 * cache (kube/informer.ts `project`), after forCache has taken managedFields and kubectl's last-applied copy off
 * (kube/informerDecisions.ts). Metadata is kept as forCache leaves it: once those two are gone it is small, and its
 * labels, annotations, owner references, uid, resourceVersion, generation and timestamps are all read somewhere.
 *
 * The danger of a projection is a write built from a cached object: whatever the projection dropped would be
 * dropped on the API server too. Per kind, what is read, what is written from it, and so what is kept:
 *
 * Deployment: observe.ts reads spec.replicas, spec.template (its revision) and metadata (name, generation, the
 * recorded-replicas annotation); handover.ts reads spec.replicas, spec.selector, spec.template.metadata.labels and
 * status.availableReplicas. execute.ts builds each new ReplicaSet from the cached Deployment: spec.template is
 * copied whole (workload/objects.ts), with spec.selector and spec.minReadySeconds, so those are kept whole. Every
 * write to a Deployment is a patch of named fields (spec.replicas and an annotation; spec.template with the
 * resourceVersion as a guard), never the cached object sent back. Dropped: spec.strategy, revisionHistoryLimit,
 * progressDeadlineSeconds, paused (read by nobody here), and all of status but availableReplicas.
 *
 * ReplicaSet (only Sluice's): observe.ts reads spec.replicas, status.replicas, readyReplicas, availableReplicas and
 * terminatingReplicas, and metadata; an undo copies spec.template whole into the Deployment (revisionWrites.ts
 * templateOf), so the template is kept whole, with the selector and minReadySeconds beside it. Writes are patches of
 * spec.replicas or one annotation, and deletes guarded by uid and resourceVersion. Dropped: status.conditions,
 * fullyLabeledReplicas, observedGeneration.
 *
 * Service (only Sluice's): services.ts and handover.ts read spec.selector, spec.ports (port, targetPort), spec.type
 * (ExternalName is refused), labels, annotations and owner references; writes are merge patches of the selector, the
 * ports Sluice built and metadata, never the cached Service. The ports are kept whole (small, and a patch compares
 * them). Dropped: clusterIP(s), ipFamilies, sessionAffinity, traffic policies, status.
 *
 * PodDisruptionBudget (only Sluice's): pdb.ts reads spec.minAvailable and spec.maxUnavailable and the owner
 * references and uid; writes are patches of those two fields and deletes guarded by uid. spec.selector is kept
 * (small, and what makes the budget the Rollout's pods'). Dropped: status (one entry per disrupted pod).
 *
 * HorizontalPodAutoscaler: observe.ts and triggers.ts read spec.scaleTargetRef and the name; Sluice never writes one.
 * Dropped: the rest of spec (metrics, behavior) and status.
 *
 * Kept whole (after forCache): Rollouts (the planner reads the spec, and carries the status forward into the status
 * it writes), AnalysisTemplates, NotificationChannels and the routers' objects (their spec is what the routers read
 * and patch, and their shapes are the routers' business). Pods are projected in pods.ts (summarizePod).
 */
import { InternTable } from '../kube/internTable.ts';
import type { KubeObject } from '../kube/objectStore.ts';
import { deepFreeze, SharedValues } from '../kube/sharedValues.ts';
import { summarizePod } from './pods.ts';

/**
 * A projection of one kind: what the cache keeps of an object (or of a watch bookmark, which has only metadata).
 * `cached` is what the cache holds under the same name, if anything.
 */
export type Projection = (obj: KubeObject, cached?: KubeObject) => KubeObject;

export const projectDeployment: Projection = (obj) =>
  project(obj, {
    spec: ['replicas', 'selector', 'template', 'minReadySeconds'],
    status: ['availableReplicas'],
  });

export const projectReplicaSet: Projection = (obj) =>
  project(obj, {
    spec: ['replicas', 'selector', 'template', 'minReadySeconds'],
    status: ['replicas', 'readyReplicas', 'availableReplicas', 'terminatingReplicas'],
  });

export const projectService: Projection = (obj) => project(obj, { spec: ['selector', 'ports', 'type'] });

export const projectPodDisruptionBudget: Projection = (obj) =>
  project(obj, { spec: ['minAvailable', 'maxUnavailable', 'selector'] });

export const projectAutoscaler: Projection = (obj) => project(obj, { spec: ['scaleTargetRef'] });

/**
 * What the informers apply to each object before it enters its cache: the kind's projection, then every string that
 * repeats interned (kube/internTable.ts), and for Deployments and ReplicaSets the pod spec shared with every equal
 * one already cached (kube/sharedValues.ts: a Deployment's and its current ReplicaSet's are equal), frozen. One
 * table of each for all the caches: the same namespaces, labels and images repeat across kinds.
 */
export function cacheTransforms(strings = new InternTable(), podSpecs = new SharedValues()) {
  const cached =
    (projection: Projection): Projection =>
    (obj) =>
      strings.internValues(projection(obj));
  // A pod spec already cached is not walked again: only a new one is interned, once, as it enters the table.
  const sharingPodSpec =
    (projection: Projection): Projection =>
    (obj, cached) => {
      const kept = projection(obj);
      const same = unchangedSpec(kept, cached);
      if (same !== undefined) {
        // Walked with a frozen stand-in for the spec (the walk skips frozen values), which then takes its place.
        const result: KubeObject = strings.internValues({ ...kept, spec: notWalked as unknown });
        result.spec = same;
        return result;
      }
      const spec = kept.spec as { template?: { spec?: unknown } } | undefined;
      const podSpec = spec?.template?.spec;
      if (podSpec === null || typeof podSpec !== 'object') return strings.internValues(kept);
      const known = podSpecs.share(podSpec);
      // Interned, then frozen: from here on it is every equal pod spec's, in any namespace, and nobody's to change.
      if (known === podSpec) deepFreeze(strings.internValues(podSpec));
      // The template without its pod spec is walked, then given the shared one (added, not deleted and put back:
      // a deleted property would turn every cached template into a slower, larger dictionary-mode object).
      const { spec: _walkedAlready, ...template } = spec!.template!;
      const result = strings.internValues({ ...kept, spec: { ...spec, template } });
      (template as { spec?: unknown }).spec = known;
      return result;
    };
  return {
    /** For the kinds kept whole (Rollouts, templates, channels, the routers' objects). */
    whole: cached((obj) => obj),
    deployment: sharingPodSpec(projectDeployment),
    replicaSet: sharingPodSpec(projectReplicaSet),
    service: cached(projectService),
    podDisruptionBudget: cached(projectPodDisruptionBudget),
    autoscaler: cached(projectAutoscaler),
    pod: cached(summarizePod),
  };
}

const notWalked = Object.freeze({});

/**
 * The spec already cached for this object, when the event is of the same object (uid) at the same generation: the
 * API server bumps metadata.generation of a Deployment or ReplicaSet on every change to its spec, so the spec is the
 * one already projected, interned and shared. Most of their events are status updates (a pod became ready): those
 * then cost no walk of the pod template, and the template keeps its identity, so its revision is hashed once
 * (observe.ts templateRevisionOf) rather than on every reconcile (issue 20). The informer gives the cached copy for
 * watch events only: a relist projects every object whole, so that it still repairs a cache that went wrong (an API
 * server whose history went back reuses a generation for another spec).
 */
function unchangedSpec(kept: KubeObject, cached: KubeObject | undefined): unknown {
  const now = kept.metadata;
  const before = cached?.metadata;
  if (now?.uid === undefined || now.generation === undefined || before === undefined) return undefined;
  if (before.uid !== now.uid || before.generation !== now.generation || kept.spec === undefined) return undefined;
  return cached!.spec;
}

/**
 * apiVersion, kind and metadata as they are; of each named top-level section only the named fields. A section or a
 * field the object does not have stays absent (never an empty object in its place), so that a reader asking
 * `spec?.template === undefined` gets the same answer as from the whole object.
 */
function project(obj: KubeObject, sections: Record<string, readonly string[]>): KubeObject {
  const kept: KubeObject = {};
  if (obj.apiVersion !== undefined) kept.apiVersion = obj.apiVersion;
  if (obj.kind !== undefined) kept.kind = obj.kind;
  if (obj.metadata !== undefined) kept.metadata = obj.metadata;
  for (const [section, fields] of Object.entries(sections)) {
    const whole = obj[section];
    if (whole === null || typeof whole !== 'object') continue;
    const part: Record<string, unknown> = {};
    for (const field of fields) {
      const value = (whole as Record<string, unknown>)[field];
      if (value !== undefined) part[field] = value;
    }
    kept[section] = part;
  }
  return kept;
}
