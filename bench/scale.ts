/**
 * Scale: N Rollouts, each with its Deployment (1 replica, kwok pods), its HTTPRoute and a 3-step canary with no
 * pause (setWeight 25, 50, 75, then promotion). The objects are created first, then the controller starts (so
 * start-up includes listing all of them), takes every Deployment over, and idles; then every Deployment gets a
 * new image at once and the benchmark waits until every Rollout is Healthy on the new revision.
 */
import type { Rollout } from '../controller/src/api/types.ts';
import { apiserverMetrics, writeLatency, writesByResource, type WriteLatency } from './apiserver.ts';
import type { BenchContext } from './context.ts';
import {
  busyStats,
  idleWindow,
  memoryOf,
  mib,
  roundSummary,
  settle,
  type BusyStats,
  type MemoryReading,
} from './controllerReadings.ts';
import { contention, type Contention } from './machine.ts';
import {
  controlPlanePids,
  coresBetween,
  cpuCounters,
  peakRss,
  round,
  startController,
  type RunningController,
} from './controller.ts';
import {
  createBenchNodes,
  createNamespace,
  deleteNamespace,
  deleteNodes,
  deployment,
  forEachLimit,
  httpRoute,
  releaseAll,
  rollout,
  rolloutRef,
  routed,
  routeRef,
  waitNodesReady,
  withRetry,
} from './kube.ts';
import {
  apiRates,
  bucketDelta,
  histogramBuckets,
  histogramQuantile,
  summarize,
  sumOf,
  type ApiRates,
  type Summary,
} from './stats.ts';
import { wallNow, Watched } from './watched.ts';

export const reconcileBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface CanaryResult {
  /** First image patch sent -> the last Rollout Healthy on the new revision (arrival of its watch event). */
  allFinishedSeconds: number;
  /** Per rollout: first image patch sent -> that rollout Healthy on the new revision. */
  perRolloutFinishSeconds: Summary;
  triggerSeconds: number;
  reconcileP50Ms?: number;
  reconcileP99Ms?: number;
  reconciles: number;
  reconcilesPerRollout: number;
  reconcileErrors: number;
  api: ApiRates;
  apiRequestsPerRollout: number;
  apiWritesPerRollout: number;
  /** Cores used while busy, per process (controller and control plane). */
  cores: Record<string, number>;
  /** How long the API server took to answer writes meanwhile (all clients). */
  apiserverWrites: WriteLatency;
  /** Load and other test runs at the start and the end of the canary phase. */
  machine: { atStart: Contention; atEnd: Contention };
  /** Writes per rollout the API server counted meanwhile, by verb and resource (all clients). */
  apiserverWritesPerRolloutByResource: Record<string, number>;
}

export interface ScaleResult {
  rollouts: number;
  objectsCreated: number;
  createSeconds: number;
  benchNodes: number;
  /** Controller spawned -> /readyz 200 (every informer listed and synced). */
  startupToCachesSyncedSeconds: number;
  memory: {
    atCachesSynced: MemoryReading;
    /** After every Deployment was taken over and the controller went idle. */
    idleAfterTakeover: MemoryReading;
    /** The same right after a forced full GC: the memory the controller really holds for N rollouts. */
    idleAfterTakeoverGc: MemoryReading;
    /** After every rollout went through its canary and the controller went idle. */
    idleAfterCanary?: MemoryReading;
    idleAfterCanaryGc?: MemoryReading;
    /** The process's peak RSS over the whole run (VmHWM). */
    peakRssMiB: number;
  };
  takeoverSeconds: number;
  /** Reconciles, API requests and cores from caches synced to every Rollout Healthy. */
  takeover: BusyStats;
  /** Undefined with --no-canary. */
  canary?: CanaryResult;
  idle: { afterTakeover: ApiRates; afterCanary?: ApiRates };
  /** JSON bytes of .status per Rollout after its canary (no analysis). */
  statusBytes: Summary;
  cleanupSeconds: number;
}

const appName = (i: number, n: number) => `app-${String(i).padStart(String(n - 1).length, '0')}`;

export async function benchScale(
  ctx: BenchContext,
  n: number,
  opts: { idleSeconds: number; canary: boolean },
): Promise<ScaleResult> {
  const { kube } = ctx;
  const ns = `sluice-bench-scale-${n}-${ctx.runId}`;
  const names = Array.from({ length: n }, (_, i) => appName(i, n));
  // Peak pods: a Deployment's pod and Sluice's stable pod during takeover, or stable and canary during the canary.
  const podsPerNode = 3000;
  const nodeNames = await createBenchNodes(
    kube,
    `sluice-bench-${n}-${ctx.runId}`,
    Math.max(1, Math.ceil((2.5 * n) / podsPerNode)),
    podsPerNode,
  );
  let controller: RunningController | undefined;
  let watched: Watched | undefined;
  let namespaceLeft = false;
  try {
    await waitNodesReady(kube, nodeNames, 60_000);
    await createNamespace(kube, ns);
    namespaceLeft = true;
    const createStart = performance.now();
    await forEachLimit(names, ctx.clientConcurrency, async (name, i) => {
      await withRetry(
        () => kube.apps.createNamespacedDeployment({ namespace: ns, body: deployment(name, 1) }),
        `create Deployment ${name}`,
      );
      await withRetry(
        () => kube.custom.createNamespacedCustomObject({ ...routeRef, namespace: ns, body: httpRoute(name) }),
        `create HTTPRoute ${name}`,
      );
      await withRetry(
        () =>
          kube.custom.createNamespacedCustomObject({
            ...rolloutRef,
            namespace: ns,
            body: rollout(name, {
              ...routed(name),
              strategy: { canary: { steps: [{ setWeight: 25 }, { setWeight: 50 }, { setWeight: 75 }] } },
            }),
          }),
        `create Rollout ${name}`,
      );
      if ((i + 1) % 1000 === 0) ctx.progress(`scale ${n}: created ${i + 1} apps`);
    });
    const createSeconds = (performance.now() - createStart) / 1000;
    ctx.progress(`scale ${n}: created ${3 * n} objects in ${createSeconds.toFixed(1)} s`);

    // Counted as they arrive, so waiting on 10,000 rollouts costs O(1) per event.
    const stableAtStart = new Map<string, string>();
    const finishedAt = new Map<string, number>();
    let phase: 'takeover' | 'canary' = 'takeover';
    watched = Watched.start(kube, ns, { router: undefined });
    const onRollout = (r: Rollout, at: number) => {
      const name = r.metadata.name!;
      const s = r.status;
      if (s?.phase !== 'Healthy' || s.stableRevision === undefined) return;
      if (phase === 'takeover') stableAtStart.set(name, s.stableRevision);
      else if (!finishedAt.has(name) && s.stableRevision !== stableAtStart.get(name)) finishedAt.set(name, at);
    };
    watched.onRollout = onRollout;

    const pids = controlPlanePids(ctx.clusterDir);
    controller = await startController({
      entry: ctx.controllerEntry,
      kubeconfig: kube.kubeconfig,
      namespace: ns,
      flags: ctx.flags,
      logDir: ctx.workDir,
      label: `scale-${n}`,
    });
    const c = controller;
    const startup = (c.readyAt - c.spawnedAt) / 1000;
    const synced = await c.scrape();
    ctx.progress(`scale ${n}: caches synced ${startup.toFixed(1)} s after start; RSS ${mib(synced.rssBytes)} MiB`);
    const takeoverStart = performance.now();
    const takeoverCpu = cpuCounters({ ...pids, sluice: c.pid });
    await watched.until(
      `all ${n} Rollouts Healthy`,
      () => (stableAtStart.size === n ? true : undefined),
      300_000 + n * 500,
    );
    const takeoverSeconds = (performance.now() - takeoverStart) / 1000;
    const tookOver = await c.scrape();
    const takeover = busyStats(
      synced,
      tookOver,
      coresBetween(takeoverCpu, cpuCounters({ ...pids, sluice: c.pid }), (tookOver.at - synced.at) / 1000),
      n,
    );
    ctx.progress(`scale ${n}: all Healthy (took over every Deployment) in ${takeoverSeconds.toFixed(1)} s`);

    await settle(c);
    const idle1 = await idleWindow(c, opts.idleSeconds);
    const afterTakeover = await c.scrape();
    await c.collectGarbage();
    const afterTakeoverGc = await c.scrape();

    // The canary: every Deployment gets a new image at once.
    const runCanary = async (w: Watched) => {
      phase = 'canary';
      const machineAtStart = contention();
      const apiBefore = await apiserverMetrics(kube.kubeconfig);
      const before = await c.scrape();
      const cpuBefore = cpuCounters({ ...pids, sluice: c.pid });
      const canaryStart = wallNow();
      const perfStart = performance.now();
      await releaseAll(kube, ns, names, ctx.clientConcurrency);
      const triggerSeconds = (performance.now() - perfStart) / 1000;
      const progress = setInterval(
        () =>
          ctx.progress(
            `scale ${n}: ${finishedAt.size}/${n} promoted after ${((performance.now() - perfStart) / 1000).toFixed(0)} s`,
          ),
        15_000,
      );
      try {
        await w.until(
          `all ${n} Rollouts promoted`,
          () => (finishedAt.size === n ? true : undefined),
          300_000 + n * 500,
        );
      } finally {
        clearInterval(progress);
      }
      const after = await c.scrape();
      const machineAtEnd = contention();
      const apiAfter = await apiserverMetrics(kube.kubeconfig);
      const apiserverWrites = writeLatency(apiBefore, apiAfter);
      const byResource = Object.fromEntries(
        Object.entries(writesByResource(apiBefore, apiAfter)).map(([k, v]) => [k, round(v / n, 2)]),
      );
      const busySeconds = (after.at - before.at) / 1000;
      const cores = coresBetween(cpuBefore, cpuCounters({ ...pids, sluice: c.pid }), busySeconds);
      const lastFinish = Math.max(...finishedAt.values());
      const allFinishedSeconds = (lastFinish - canaryStart) / 1000;
      ctx.progress(`scale ${n}: all ${n} promoted ${allFinishedSeconds.toFixed(1)} s after the first image patch`);

      const buckets = bucketDelta(
        histogramBuckets(before.samples, 'sluice_reconcile_duration_seconds'),
        histogramBuckets(after.samples, 'sluice_reconcile_duration_seconds'),
      );
      const reconciles = buckets.at(-1)?.count ?? 0;
      const api = apiRates(before.samples, after.samples, busySeconds);

      await settle(c);
      const idle2 = await idleWindow(c, opts.idleSeconds);
      const afterCanary = await c.scrape();
      await c.collectGarbage();
      const afterCanaryGc = await c.scrape();
      const q = (x: number) => {
        const v = histogramQuantile(x, buckets);
        return v === undefined ? undefined : round(v * 1000, 1);
      };
      const canary: CanaryResult = {
        allFinishedSeconds: round(allFinishedSeconds),
        perRolloutFinishSeconds: roundSummary(summarize([...finishedAt.values()].map((t) => (t - canaryStart) / 1000))),
        triggerSeconds: round(triggerSeconds),
        reconcileP50Ms: q(0.5),
        reconcileP99Ms: q(0.99),
        reconciles,
        reconcilesPerRollout: round(reconciles / n, 1),
        reconcileErrors:
          sumOf(after.samples, 'sluice_reconcile_errors_total') -
          sumOf(before.samples, 'sluice_reconcile_errors_total'),
        api,
        apiRequestsPerRollout: round(api.total / n, 1),
        apiWritesPerRollout: round(api.writes / n, 1),
        cores,
        apiserverWrites,
        apiserverWritesPerRolloutByResource: byResource,
        machine: { atStart: machineAtStart, atEnd: machineAtEnd },
      };
      return { canary, idle: idle2, memory: memoryOf(afterCanary), memoryGc: memoryOf(afterCanaryGc) };
    };
    const done = opts.canary ? await runCanary(watched) : undefined;
    const statuses = [...watched.rollouts.values()].map((r) => Buffer.byteLength(JSON.stringify(r.status ?? {})));
    const peak = peakRss(c.pid);

    const result: Omit<ScaleResult, 'cleanupSeconds'> = {
      rollouts: n,
      objectsCreated: 3 * n,
      createSeconds: round(createSeconds),
      benchNodes: nodeNames.length,
      startupToCachesSyncedSeconds: round(startup, 2),
      memory: {
        atCachesSynced: memoryOf(synced),
        idleAfterTakeover: memoryOf(afterTakeover),
        idleAfterTakeoverGc: memoryOf(afterTakeoverGc),
        idleAfterCanary: done?.memory,
        idleAfterCanaryGc: done?.memoryGc,
        peakRssMiB: mib(peak),
      },
      takeoverSeconds: round(takeoverSeconds),
      takeover,
      canary: done?.canary,
      idle: { afterTakeover: idle1, afterCanary: done?.idle },
      statusBytes: summarize(statuses),
    };
    watched.stop();
    watched = undefined;
    await controller.stop();
    controller = undefined;
    const cleanupStart = performance.now();
    namespaceLeft = false;
    await deleteNamespace(kube, ns, 900_000);
    return { ...result, cleanupSeconds: round((performance.now() - cleanupStart) / 1000) };
  } finally {
    watched?.stop();
    await controller?.stop();
    // Deleted only once the controller is gone: deleteNamespace takes Sluice's finalizers off the Rollouts.
    if (namespaceLeft) await deleteNamespace(kube, ns, 900_000);
    await deleteNodes(kube, nodeNames);
  }
}
