/**
 * `npm run bench -- --compare argo`: the same scale scenario for Sluice and for Argo Rollouts, one after the other
 * on the same control plane and the same fake nodes. N Deployments of 4 replicas, each with a Rollout whose canary
 * is setWeight 25 / 50 / 75 with no pauses and no traffic router. The objects are created first, then the
 * controller starts; the benchmark waits until every Deployment is taken over, idles, gives every Deployment a
 * new image at once, waits until every Rollout is through its canary, and idles again. Each controller has its own
 * namespace, deleted (with everything in it) before the other one starts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Rollout } from '../controller/src/api/types.ts';
import { waitFor } from '../test/support/wait.ts';
import {
  argoControllerBinary,
  argoHealthyOn,
  argoRollout,
  argoRolloutRef,
  argoVersion,
  installArgoCrds,
  startArgoController,
} from './argoController.ts';
import {
  requestTotals,
  type ComparedController,
  type Comparison,
  type ControllerFigures,
  type RequestTotals,
} from './compareFigures.ts';
import type { BenchContext } from './context.ts';
import { cpuSecondsOf, peakRss, round, startController } from './controller.ts';
import { mib } from './controllerReadings.ts';
import {
  createBenchNodes,
  createNamespace,
  deleteNamespace,
  deleteNodes,
  deployment,
  forEachLimit,
  listWatch,
  releaseAll,
  rollout,
  rolloutRef,
  waitNodesReady,
  withRetry,
} from './kube.ts';
import { rssOf, sampleRss } from './procStats.ts';

const replicas = 4;
const steps = [{ setWeight: 25 }, { setWeight: 50 }, { setWeight: 75 }];

/** One side of the comparison: how its Rollouts look, when one is done, and how its controller starts. */
interface Contender {
  key: 'sluice' | 'argo';
  rolloutRef: { group: string; version: string; plural: string };
  rolloutBody(name: string): object;
  /** The revision a Rollout is Healthy on (every pod of it), else undefined. */
  healthyOn(r: unknown): string | undefined;
  start(ctx: BenchContext, namespace: string, label: string): Promise<ComparedController>;
}

const sluice: Contender = {
  key: 'sluice',
  rolloutRef,
  // No replicas: Sluice runs as many pods as the Deployment asked for (4) and records that count on it.
  rolloutBody: (name) => rollout(name, { workloadRef: { name }, strategy: { canary: { steps } } }),
  healthyOn: (r) => {
    const s = (r as Rollout).status;
    return s?.phase === 'Healthy' ? s.stableRevision : undefined;
  },
  async start(ctx, namespace, label) {
    const c = await startController({
      entry: ctx.controllerEntry,
      kubeconfig: ctx.kube.kubeconfig,
      namespace,
      flags: ctx.flags,
      logDir: ctx.workDir,
      label,
    });
    return {
      pid: c.pid,
      spawnedAt: c.spawnedAt,
      logFile: c.logFile,
      requests: async () => requestTotals((await c.scrape()).samples, 'sluice_kube_api_requests_total'),
      collectGarbage: () => c.collectGarbage(),
      stop: () => c.stop(),
    };
  },
};

function argo(binary: string): Contender {
  return {
    key: 'argo',
    rolloutRef: argoRolloutRef,
    rolloutBody: (name) => argoRollout(name, replicas, steps),
    healthyOn: (r) => argoHealthyOn(r as Parameters<typeof argoHealthyOn>[0]),
    start: (ctx, namespace, label) =>
      startArgoController({
        binary,
        kubeconfig: ctx.kube.kubeconfig,
        namespace,
        qps: ctx.flags.qps,
        burst: ctx.flags.burst,
        logDir: ctx.workDir,
        label,
      }),
  };
}

/** Builds (first time only) Argo Rollouts' controller and installs its CRDs; returns what compareAt needs. */
export async function prepareArgo(ctx: BenchContext): Promise<{ binary: string; version: string }> {
  ctx.progress(`compare: Argo Rollouts' controller (test/setup/argo-rollouts.sh; the first build takes minutes)`);
  const binary = argoControllerBinary();
  await installArgoCrds(ctx.kube);
  ctx.progress(`compare: Argo Rollouts at ${binary}, CRDs installed`);
  return { binary, version: argoVersion };
}

/** Runs the scenario at size n for Sluice, then for Argo Rollouts (unless no binary is given), on the same fake nodes. */
export async function compareAt(
  ctx: BenchContext,
  n: number,
  opts: { idleSeconds: number; argoBinary: string | undefined },
): Promise<Comparison> {
  // Peak pods per app: the Deployment's 4 and the Rollout's 4 while it takes over.
  const podsPerNode = 3000;
  const nodes = await createBenchNodes(
    ctx.kube,
    `sluice-bench-cmp-${n}-${ctx.runId}`,
    Math.max(1, Math.ceil((2 * replicas * n) / podsPerNode)),
    podsPerNode,
  );
  try {
    await waitNodesReady(ctx.kube, nodes, 60_000);
    const s = await runContender(ctx, n, sluice, opts.idleSeconds);
    if (opts.argoBinary === undefined)
      return { rollouts: n, replicasPerRollout: replicas, order: ['Sluice'], sluice: s };
    const a = await runContender(ctx, n, argo(opts.argoBinary), opts.idleSeconds);
    return { rollouts: n, replicasPerRollout: replicas, order: ['Sluice', 'Argo Rollouts'], sluice: s, argo: a };
  } finally {
    await deleteNodes(ctx.kube, nodes);
  }
}

const appName = (i: number, n: number) => `app-${String(i).padStart(String(n - 1).length, '0')}`;
const perRollout = (a: RequestTotals, b: RequestTotals, n: number): RequestTotals => ({
  writes: round((b.writes - a.writes) / n, 1),
  reads: round((b.reads - a.reads) / n, 1),
  watches: round((b.watches - a.watches) / n, 1),
});

/**
 * Waits until the controller sent no write for 5 s in a row (at most 5 minutes), then idles `idleSeconds`: an idle
 * figure is read from a controller with nothing left to do.
 */
async function quietThenIdle(c: ComparedController, idleSeconds: number): Promise<void> {
  const deadline = performance.now() + 300_000;
  let last = (await c.requests()).writes;
  let quietSince = performance.now();
  while (performance.now() < deadline && performance.now() - quietSince < 5_000) {
    await sleep(1_000);
    const now = (await c.requests()).writes;
    if (now !== last) quietSince = performance.now();
    last = now;
  }
  await sleep(idleSeconds * 1000);
}

/** RSS now, and right after a forced full collection, in MiB. */
async function idleMemory(c: ComparedController): Promise<[sampled: number, afterGc: number]> {
  const sampled = mib(rssOf(c.pid));
  await c.collectGarbage();
  return [sampled, mib(rssOf(c.pid))];
}

async function runContender(ctx: BenchContext, n: number, who: Contender, idleSeconds: number) {
  const { kube } = ctx;
  const ns = `sluice-bench-cmp-${who.key}-${n}-${ctx.runId}`;
  const say = (m: string) => ctx.progress(`compare ${n} ${who.key}: ${m}`);
  const names = Array.from({ length: n }, (_, i) => appName(i, n));
  const stops: (() => void)[] = [];
  let controller: ComparedController | undefined;
  await createNamespace(kube, ns);
  try {
    await forEachLimit(names, ctx.clientConcurrency, async (name) => {
      await withRetry(
        () => kube.apps.createNamespacedDeployment({ namespace: ns, body: deployment(name, replicas) }),
        `create Deployment ${name}`,
      );
      await withRetry(
        () =>
          kube.custom.createNamespacedCustomObject({ ...who.rolloutRef, namespace: ns, body: who.rolloutBody(name) }),
        `create Rollout ${name}`,
      );
    });
    say(`created ${n} Deployments and Rollouts`);

    // Arrival times of the watch events: when each Rollout turned Healthy on its first and on its new revision,
    // and when each Deployment went to 0 replicas.
    const stableAtStart = new Map<string, { revision: string; at: number }>();
    const finishedAt = new Map<string, number>();
    const zeroAt = new Map<string, number>();
    const { group, version, plural } = who.rolloutRef;
    stops.push(
      listWatch<{ metadata?: { name?: string; resourceVersion?: string } }>(
        kube,
        `/apis/${group}/${version}/namespaces/${ns}/${plural}`,
        async () =>
          (await kube.custom.listNamespacedCustomObject({ ...who.rolloutRef, namespace: ns })) as { items: object[] },
        (_type, r, at) => {
          const name = r.metadata?.name ?? '';
          const revision = who.healthyOn(r);
          if (revision === undefined) return;
          const first = stableAtStart.get(name);
          if (first === undefined) stableAtStart.set(name, { revision, at });
          else if (revision !== first.revision && !finishedAt.has(name)) finishedAt.set(name, at);
        },
      ).stop,
      listWatch(
        kube,
        `/apis/apps/v1/namespaces/${ns}/deployments`,
        () => kube.apps.listNamespacedDeployment({ namespace: ns }),
        (_type, d, at) => {
          if (d.spec?.replicas === 0 && !zeroAt.has(d.metadata!.name!)) zeroAt.set(d.metadata!.name!, at);
        },
      ).stop,
    );

    const c = await who.start(ctx, ns, `cmp-${who.key}-${n}`);
    controller = c;
    const rss = sampleRss(c.pid);
    stops.push(rss.stop);
    const timeoutMs = 300_000 + n * 500;
    await waitFor(() => stableAtStart.size === n && zeroAt.size === n, {
      timeoutMs,
      what: `all ${n} Rollouts Healthy and their Deployments at 0 (${who.key}; see ${c.logFile})`,
    });
    const tookOverAt = Math.max(...[...stableAtStart.values()].map((s) => s.at), ...zeroAt.values());
    const takeoverSeconds = (tookOverAt - c.spawnedAt) / 1000;
    say(`took over every Deployment ${takeoverSeconds.toFixed(1)} s after start`);
    await quietThenIdle(c, idleSeconds);
    const [idleAfterTakeover, idleAfterTakeoverGc] = await idleMemory(c);

    const requestsBefore = await c.requests();
    const cpuBefore = cpuSecondsOf(c.pid);
    const canaryStart = performance.now();
    await releaseAll(kube, ns, names, ctx.clientConcurrency);
    await waitFor(() => finishedAt.size === n, {
      timeoutMs,
      intervalMs: 100,
      what: `all ${n} Rollouts through the canary (${who.key}; see ${c.logFile})`,
    });
    const canaryPerRollout = perRollout(requestsBefore, await c.requests(), n);
    const cpuCanary = cpuSecondsOf(c.pid) - cpuBefore;
    const canarySeconds = (Math.max(...finishedAt.values()) - canaryStart) / 1000;
    say(`every Rollout through the canary ${canarySeconds.toFixed(1)} s after the first image patch`);
    await quietThenIdle(c, idleSeconds);
    const [idleAfterCanary, idleAfterCanaryGc] = await idleMemory(c);
    const figures: ControllerFigures = {
      takeoverSeconds: round(takeoverSeconds),
      canarySeconds: round(canarySeconds),
      cpuSeconds: { wholeRun: round(cpuSecondsOf(c.pid), 2), canary: round(cpuCanary, 2) },
      canaryRequestsPerRollout: canaryPerRollout,
      rssMiB: {
        idleAfterTakeover,
        idleAfterTakeoverGc,
        peakHwm: mib(peakRss(c.pid)),
        peakSampled: mib(rss.max()),
        idleAfterCanary,
        idleAfterCanaryGc,
      },
      logFile: c.logFile,
    };
    return figures;
  } finally {
    for (const stop of stops) stop();
    await controller?.stop();
    // Only once the controller is gone: deleteNamespace takes Sluice's finalizers off its Rollouts.
    const gone = await deleteNamespace(kube, ns, 900_000);
    say(gone ? `namespace ${ns} deleted` : `namespace ${ns} still terminating after 15 minutes`);
  }
}
