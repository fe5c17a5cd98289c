/**
 * Wires the controller: one informer per kind feeding one work queue, whose handler is reconcile(key). Nothing
 * here decides anything about a rollout; it only connects the parts and starts and stops them in order.
 */
import type {
  V1Deployment,
  V1PodDisruptionBudget,
  V1ReplicaSet,
  V1Service,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { KubeConfig } from './kube/clientNode.ts';
import { AppsClient, CoreClient, CustomObjectsClient, PolicyClient, jsonApi } from './kube/resourceClients.ts';
import type { Logger } from 'pino';
import { metricProviders } from './analysis/providers.ts';
import {
  clusterAnalysisTemplateResource,
  analysisTemplateResource,
  notificationChannelResource,
  rolloutResource,
} from './api/resources.ts';
import {
  apiGroup,
  apiVersionName,
  type AnalysisTemplate,
  type ClusterAnalysisTemplate,
  type Measurement,
  type NotificationChannel,
  type Rollout,
} from './api/types.ts';
import type { AdminResult } from './flags/unleashAdmin.ts';
import { rolloutSelector, type ControllerConfig } from './config.ts';
import { UnleashConnection } from './flags/unleashConnection.ts';
import { isConflict, isForbidden } from './kube/apiErrors.ts';
import { Informer } from './kube/informer.ts';
import { notLeaderCause } from './kube/writeFence.ts';
import type { KubeObject } from './kube/objectStore.ts';
import { parseObjectKey } from './kube/objectKey.ts';
import {
  autoscalersRef,
  deploymentsRef,
  podDisruptionBudgetsRef,
  podsRef,
  replicaSetsRef,
  servicesRef,
  type ResourceRef,
} from './kube/resourceRef.ts';
import type { SluiceMetrics } from './metrics.ts';
import { WorkQueue } from './queue/workQueue.ts';
import { indexReplicaSet, indexRollout, type Caches, type ObjectCache } from './reconcile/caches.ts';
import { EventRecorder } from './reconcile/eventRecorder.ts';
import { WriteExpectations } from './reconcile/expectations.ts';
import { BackgroundWork } from './reconcile/background.ts';
import { withJobPool } from './reconcile/backgroundTasks.ts';
import type { PodSummary } from './reconcile/pods.ts';
import { cacheTransforms } from './reconcile/projection.ts';
import { createReconciler } from './reconcile/reconcile.ts';
import { readSecrets } from './reconcile/secrets.ts';
import { rolloutKeysFor } from './reconcile/triggers.ts';
import { firstServed, routerDeps, routerObjectKey } from './routers/clusterDeps.ts';
import { routerModules } from './routers/registry.ts';
import { noopTracer, type Tracer } from './trace/tracer.ts';
import { rolloutLabel } from './workload/names.ts';
import { createNotifier } from './notify/wiring.ts';

const sluiceRef = (r: { kind: string; plural: string; scope: string }): ResourceRef => ({
  group: apiGroup,
  version: apiVersionName,
  plural: r.plural,
  kind: r.kind,
  namespaced: r.scope === 'Namespaced',
});

/** An empty cache, for a kind whose CRD is not installed (no Gateway API): lookups find nothing. */
const emptyCache: ObjectCache<never> = { get: () => undefined, list: () => [] };

/** What the wiring needs of each informer, whatever kind it caches. */
type RunningInformer = Pick<Informer, 'kind' | 'start' | 'stop' | 'hasSynced' | 'synced' | 'onChange' | 'get'>;

export interface Controller {
  caches: Caches;
  readonly ready: () => boolean;
  /** Calls the handler with the key (namespace/name) of each Rollout added, changed or deleted; returns its remover. For the dashboard. */
  onRolloutChange(handler: (key: string) => void): () => void;
  /**
   * Starts the workers (call when leading) once every cache has listed: before its first list a cache's emptiness
   * is "not listed yet", and a reconcile would take it for "none" (no ReplicaSet: make one; no pod older than
   * restartAt: the restart is done). /readyz says the same thing (ready()).
   */
  startWorkers(): void;
  stop(): Promise<void>;
  queue: WorkQueue;
  /** Measurements and Unleash operations in flight (for the idle collector: their end wakes a key). */
  backgroundRunning(): number;
}

/**
 * `eventsKc` sends the Events: the same cluster and user as `kc`, with a rate limit of its own (as client-go's event
 * broadcaster has), so that reports of what was done never delay doing the next thing.
 */
export async function startController(
  kc: KubeConfig,
  eventsKc: KubeConfig,
  config: ControllerConfig,
  log: Logger,
  metrics: SluiceMetrics,
  fence: () => void,
  /** The background's reads (the Secrets a measurement needs): a rate limit of their own, never ahead of a write. */
  readsKc: KubeConfig = eventsKc,
  /** Spans of reconciles, measurements and Unleash calls; `kc` must carry the same tracer for the writes' spans. */
  tracer: Tracer = noopTracer,
): Promise<Controller> {
  const namespace = config.namespace === '' ? undefined : config.namespace;
  const informers: RunningInformer[] = [];
  // Each kind projected to the fields Sluice reads, its repeated strings and pod specs shared (projection.ts).
  const transforms = cacheTransforms();
  // The lookups a reconcile and an event make by something other than name (caches.ts listMatching).
  const indexes = new Map<string, (obj: KubeObject) => string | undefined>([
    ['Rollout', indexRollout],
    ['ReplicaSet', indexReplicaSet],
  ]);
  const inform = <T extends KubeObject>(
    resource: ResourceRef,
    labelSelector?: string,
    scoped = true,
    project?: (obj: KubeObject) => KubeObject,
  ): Informer<T> => {
    const indexBy = indexes.get(resource.kind);
    const informer = new Informer<T>(kc, {
      resource,
      project: project ?? transforms.whole,
      ...(indexBy === undefined ? {} : { indexBy }),
      ...(scoped && namespace !== undefined ? { namespace } : {}),
      ...(labelSelector === undefined ? {} : { labelSelector }),
      resyncPeriodMs: config.resyncPeriodMs,
      onRestart: (kind, reason, error) => {
        if (reason !== 'closed' && reason !== 'resync') log.warn({ kind, reason, err: error }, 'watch restarted');
      },
    });
    informers.push(informer);
    return informer;
  };
  // Each router kind the API server serves gets an informer; one that is not served (its CRDs are not installed)
  // an empty cache, and its Rollouts report InvalidSpec naming the kind.
  const routed = new Map<string, ObjectCache<KubeObject>>();
  const servedRefs = new Map<string, ResourceRef>();
  for (const module of routerModules) {
    let any = false;
    for (const { resource, versions, labelSelector } of module.watches) {
      const ref = await firstServed(kc, resource, versions ?? [resource.version], namespace).catch((err: unknown) => {
        // RBAC trimmed below manifests/router-rules.yaml: that router cannot work, every other one still does.
        if (!isForbidden(err)) throw err;
        log.warn({ router: module.name, kind: resource.kind, err }, 'not allowed to list this router kind');
        return undefined;
      });
      if (ref !== undefined) servedRefs.set(resource.kind, ref);
      routed.set(resource.kind, ref === undefined ? emptyCache : inform(ref, labelSelector));
      any ||= ref !== undefined;
    }
    if (!any) log.warn({ router: module.name }, module.notServed);
  }

  // Autoscalers only to warn about one left on a Deployment: RBAC trimmed of them costs the warning, nothing else.
  const autoscalers = await firstServed(kc, autoscalersRef, [autoscalersRef.version], namespace).catch(
    (err: unknown) => {
      if (!isForbidden(err)) throw err;
      log.warn(
        { kind: autoscalersRef.kind, err },
        'not allowed to list HorizontalPodAutoscalers: no warning when one targets a Deployment Sluice runs',
      );
      return undefined;
    },
  );
  // Pods only for restarts: RBAC from before them costs restarts (which then say why), not the whole controller.
  const podsListable = await firstServed(kc, podsRef, [podsRef.version], namespace).then(
    () => true,
    (err: unknown) => {
      if (!isForbidden(err)) throw err;
      log.warn({ kind: podsRef.kind, err }, 'not allowed to list pods: spec.restartAt waits, saying why');
      return false;
    },
  );
  // NotificationChannels (cluster-scoped): without their CRD or the right to list them, notifications are off.
  const channelsRef = await firstServed(kc, sluiceRef(notificationChannelResource), [apiVersionName], undefined).catch(
    (err: unknown) => {
      if (!isForbidden(err)) throw err;
      log.warn(
        { kind: 'NotificationChannel', err },
        'not allowed to list NotificationChannels: spec.notifications is ignored',
      );
      return null;
    },
  );
  if (channelsRef === undefined)
    // Said, not silent: Rollouts that subscribe get NotificationChannelNotFound Events, and the cause is here (the CRD
    // came after this start, e.g. a helm upgrade that does not apply crds/): restart the controller once it exists.
    log.warn(
      { kind: 'NotificationChannel' },
      'the NotificationChannel CRD is not installed: spec.notifications is ignored until the controller restarts after it is',
    );
  const channels: ObjectCache<NotificationChannel> =
    channelsRef === undefined || channelsRef === null
      ? emptyCache
      : inform<NotificationChannel & KubeObject>(channelsRef, undefined, false);
  const rollouts = inform<Rollout & KubeObject>(sluiceRef(rolloutResource), rolloutSelector(config));
  const caches: Caches = {
    rollouts,
    deployments: inform<V1Deployment & KubeObject>(deploymentsRef, undefined, true, transforms.deployment),
    // Only Sluice's own ReplicaSets and Services: the rest of the cluster is none of its business.
    replicaSets: inform<V1ReplicaSet & KubeObject>(replicaSetsRef, rolloutLabel, true, transforms.replicaSet),
    services: inform<V1Service & KubeObject>(servicesRef, rolloutLabel, true, transforms.service),
    podDisruptionBudgets: inform<V1PodDisruptionBudget & KubeObject>(
      podDisruptionBudgetsRef,
      rolloutLabel,
      true,
      transforms.podDisruptionBudget,
    ),
    // For spec.restartAt: the planner picks the stable pod to evict. Projected as they arrive (reconcile/pods.ts).
    pods: podsListable ? inform<PodSummary>(podsRef, rolloutLabel, true, transforms.pod) : undefined,
    autoscalers:
      autoscalers === undefined
        ? emptyCache
        : inform<V2HorizontalPodAutoscaler & KubeObject>(autoscalers, undefined, true, transforms.autoscaler),
    routed,
    analysisTemplates: inform<AnalysisTemplate & KubeObject>(sluiceRef(analysisTemplateResource)),
    clusterAnalysisTemplates: inform<ClusterAnalysisTemplate & KubeObject>(
      sluiceRef(clusterAnalysisTemplateResource),
      undefined,
      false,
    ),
  };

  const writes = jsonApi(kc);
  const custom = new CustomObjectsClient(writes);
  const toRouters = routerDeps(custom, routed, servedRefs);
  // Woken by the freeze gate when a freeze flag changes or Unleash comes back; filled in once the queue exists.
  const wake = { frozenRollouts: () => {} };
  const unleash = new UnleashConnection(
    {
      url: config.unleashUrl,
      adminToken: config.unleashAdminToken,
      clientToken: config.unleashClientToken,
      defaultEnvironment: config.unleashEnvironment,
      defaultProject: config.unleashProject,
      tenancy: config.unleashTenancy,
    },
    { freezeGate: { onChange: () => wake.frozenRollouts() }, adminFence: fence, adminTracer: tracer },
  );
  const events = new EventRecorder({
    core: new CoreClient(jsonApi(eventsKc)),
    reportingInstance: config.podName,
    onDropped: (event, why, err) => {
      metrics.countDroppedEvent();
      log.warn(
        { namespace: event.metadata.namespace, name: event.involvedObject.name, reason: event.reason, why, err },
        'event not recorded',
      );
    },
  });
  const notifications = createNotifier({
    readsKc,
    secretNamespace: config.leaderElectionNamespace,
    channels,
    caches,
    events,
    registry: metrics.registry,
    log,
  });
  // Fed before the queue hears of a change: each version of a Rollout the cache takes, in order.
  const expectations = new WriteExpectations();
  rollouts.onChange((_kind, key) => {
    const { namespace: ns, name } = parseObjectKey(key);
    expectations.seen(key, rollouts.get(ns, name)?.metadata?.resourceVersion);
  });
  // Slow I/O off the reconcile path: measurements and Unleash operations run here and wake their key when done.
  const wakeKey = { add: (_key: string) => {} };
  // Measurements wait on the network, not the CPU: several per worker; one namespace gets a quarter at most.
  const slots = Math.max(8, config.concurrency * 8);
  const background = {
    concurrency: slots,
    perNamespace: Math.max(2, Math.ceil(slots / 4)),
    wake: (key: string) => wakeKey.add(key),
  };
  // Job measurements sleep while their Job runs: a pool of their own, never holding the slots queries need.
  const measurements = new BackgroundWork<Measurement>(withJobPool(background));
  const flagOperations = new BackgroundWork<AdminResult>(background);
  const secretReader = new CoreClient(jsonApi(readsKc));
  const reconcile = createReconciler({
    caches,
    clients: {
      apps: new AppsClient(writes),
      core: new CoreClient(writes),
      custom,
      policy: new PolicyClient(writes),
    },
    routerDeps: toRouters,
    templates: {
      analysisTemplate: (ns, name) => caches.analysisTemplates.get(ns, name)?.spec,
      clusterAnalysisTemplate: (name) => caches.clusterAnalysisTemplates.get(undefined, name)?.spec,
    },
    measure: {
      providers: metricProviders({ config, kc, readsKc, log, tracer }),
      readSecrets: (ns, refs) => readSecrets(secretReader, ns, refs),
      clock: () => new Date(),
      tracer,
    },
    unleash,
    measurements,
    flagOperations,
    fence,
    events,
    notifications,
    expectations,
    log,
    onTransition: (ns, transition) => metrics.countTransition(ns, transition),
    tracer,
    onPlanned: (ns, name, status) => {
      if (status === undefined) metrics.forgetRollout(ns, name);
      else if (status.weights !== undefined) metrics.setCanaryWeight(ns, name, status.weights.canary);
      else metrics.noteRollout(ns, name);
    },
  });

  const queue = new WorkQueue({
    handler: reconcile,
    concurrency: config.concurrency,
    onResult: (key, report) => {
      metrics.observeReconcile(report);
      if (report.outcome === 'error') {
        const { namespace: ns, name } = parseObjectKey(key);
        // A conflict means our cache was a write behind (often our own last write): routine, retried at once.
        if (isConflict(report.error)) log.debug({ namespace: ns, name }, 'conflict: retrying with the newer object');
        // This replica lost its Lease: the write was refused on purpose, and the process is on its way out.
        else if (notLeaderCause(report.error) !== undefined)
          log.debug({ namespace: ns, name }, 'not the leader: write dropped');
        else log.warn({ namespace: ns, name, err: report.error, retryInMs: report.retryInMs }, 'reconcile failed');
      }
    },
  });
  for (const informer of informers) {
    informer.onChange((kind, key, object) => {
      // A router object's version, for the writes the routers wait to see back (routers/clusterDeps.ts).
      if (routed.has(kind)) {
        const { namespace: ns, name } = parseObjectKey(key);
        const gone = informer.get(ns, name) === undefined;
        toRouters.writes.seen(routerObjectKey(kind, ns, name), gone ? undefined : object.metadata?.resourceVersion);
      }
      for (const k of rolloutKeysFor(kind, object, rollouts)) queue.add(k);
    });
  }
  wakeKey.add = (key) => queue.add(key);
  wake.frozenRollouts = () => {
    for (const r of rollouts.list())
      if (r.spec.gates?.freezeFlag !== undefined) queue.add(`${r.metadata.namespace}/${r.metadata.name}`);
  };
  metrics.collectFrom({
    queueDepth: () => queue.depth,
    rolloutPhases: () => rollouts.list().map((r) => r.status?.phase),
  });
  for (const informer of informers) informer.start();

  let stopped = false;
  return {
    caches,
    queue,
    backgroundRunning: () => measurements.running + flagOperations.running,
    ready: () => informers.every((i) => i.hasSynced()),
    onRolloutChange: (handler) => rollouts.onChange((_kind, key) => handler(key)),
    startWorkers: () => {
      const listing = informers.filter((i) => !i.hasSynced()).map((i) => i.kind);
      if (listing.length > 0) log.info({ kinds: listing }, 'workers wait for these caches to list');
      // Rejected only when an informer is stopped before its first list: the controller is stopping, nothing starts.
      // A stop() under way shuts the queue first: it must not be started after that.
      Promise.all(informers.map((i) => i.synced)).then(
        () => {
          if (!stopped) queue.start();
        },
        () => undefined,
      );
    },
    async stop() {
      stopped = true;
      measurements.close();
      flagOperations.close();
      await queue.shutdown();
      await notifications.stop(2_000);
      await events.stop(2_000);
      unleash.close();
      log.debug('work queue drained');
      await Promise.all(
        informers.map(async (i) => {
          await i.stop();
          log.debug({ kind: i.kind }, 'informer stopped');
        }),
      );
    },
  };
}
