/**
 * Reaction: how fast the controller acts on what it is told.
 * - Abort: K Rollouts route 20% to a canary through an HTTPRoute and run a background analysis every second
 *   against a real Prometheus that scrapes a real exporter (test/fixtures/trafficExporter.ts). The benchmark
 *   flips one canary to 30% errors (PUT /error-ratio), then records (a) the flip, (b) finishedAt of the first
 *   Failed measurement in the Rollout's status and (c) the arrival of the HTTPRoute watch event with canary
 *   weight 0. (c)-(b) is the controller's reaction; (c)-(a) adds Prometheus's scrape and the rate window.
 *   The rollout is then retried (errors off, Prometheus clean again, sluice.dev/action=retry) while the others abort.
 * - Promote: a Rollout paused at setWeight steps is promoted with `kubectl sluice promote` (the plugin's code,
 *   run in this process so Node's start-up is not counted), timed until the next step's weight arrives by watch.
 *   Every step needs 1 canary pod of 2 replicas, so no step waits on a pod.
 * - Cost: Prometheus queries per analysis interval per rollout (counted by a proxy in front of Prometheus), and
 *   the bytes of a Rollout's status with a background analysis running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Rollout } from '../controller/src/api/types.ts';
import { run as kubectlSluice } from '../controller/src/plugin/cli.ts';
import { repoRoot } from '../test/cluster/paths.ts';
import { startPrometheus, type Prometheus } from '../test/fixtures/prometheus.ts';
import type { TrafficSpec } from '../test/fixtures/trafficExporter.ts';
import { freePort } from '../test/support/ports.ts';
import { waitFor } from '../test/support/wait.ts';
import type { BenchContext } from './context.ts';
import { contention, type Contention } from './machine.ts';
import { startController } from './controller.ts';
import {
  createBenchNodes,
  createNamespace,
  deleteNamespace,
  deleteNodes,
  deployment,
  httpRoute,
  merge,
  rollout,
  rolloutRef,
  routed,
  waitNodesReady,
  type Kube,
} from './kube.ts';
import { startPromProxy } from './promProxy.ts';
import { summarize, type Summary } from './stats.ts';
import { wallNow, Watched } from './watched.ts';

export interface ReactionResult {
  aborts: {
    /** First Failed measurement's finishedAt -> HTTPRoute canary weight 0 arrives by watch (ms). */
    failedMeasurementToWeight0Ms: Summary;
    /** Error flip -> first Failed measurement's finishedAt (ms): scrape, rate window and analysis interval. */
    errorFlipToFailedMeasurementMs: Summary;
    /** Error flip -> HTTPRoute canary weight 0 (ms), end to end. */
    errorFlipToWeight0Ms: Summary;
    samples: { rollout: string; flipToFailedMs: number; failedToWeight0Ms: number; flipToWeight0Ms: number }[];
  };
  promotes: {
    /** `kubectl sluice promote` called -> next step's weight arrives by watch (ms). */
    promoteToNextWeightMs: Summary;
    /** The plugin's annotation write answered -> next step's weight arrives by watch (ms). */
    annotationWrittenToNextWeightMs: Summary;
  };
  cost: {
    /** Queries the controller sent to Prometheus, per analysis interval (1 s here) per rollout, over the window. */
    promQueriesPerIntervalPerRollout: number;
    promQueryWindowSeconds: number;
    rolloutsMeasured: number;
    /** JSON bytes of .status of a Rollout at a pause step with a background analysis of one metric (10 measurements kept). */
    statusBytesWithAnalysis: Summary;
  };
  /** Load and other test runs before and after the aborts and promotes. */
  machine: { atStart: Contention; atEnd: Contention };
  setup: { prometheusScrapeInterval: string; analysisInterval: string; rollouts: number; replicas: number };
}

const errorRatioQuery = (service: string, proxyable = true) => {
  const sel = (extra: string) =>
    `sum(rate(http_requests_total{service="${proxyable ? '{{args.service}}' : service}",track="canary"${extra}}[3s]))`;
  return `${sel(',code=~"5.."')} / ${sel('')}`;
};

export async function benchReaction(
  ctx: BenchContext,
  opts: { aborts: number; promotes: number; abortRollouts: number },
): Promise<ReactionResult> {
  if (!existsSync('/usr/bin/prometheus'))
    throw new Error(
      "the reaction benchmark needs Debian's prometheus: apt-get install prometheus (or run bash test/setup/ensure-deps.sh)",
    );
  const { kube } = ctx;
  const ns = `sluice-bench-reaction-${ctx.runId}`;
  const services = Array.from({ length: opts.abortRollouts }, (_, i) => `abort-${i}`);
  const stops: (() => Promise<void> | void)[] = [];
  try {
    const nodes = await createBenchNodes(kube, `sluice-bench-reaction-${ctx.runId}`, 1, 500);
    stops.push(() => deleteNodes(kube, nodes));
    await waitNodesReady(kube, nodes, 60_000);
    const promDir = join(ctx.workDir, 'prometheus');
    mkdirSync(promDir, { recursive: true });
    const prom = await startPrometheus({ dir: promDir, scrapeInterval: '1s' });
    stops.push(() => prom.stop());
    const exporter = await startExporter(
      services.map((service) => ({ service, track: 'canary', rps: 200, errorRatio: 0, latencyMedian: 0.05 })),
    );
    stops.push(() => void exporter.child.kill('SIGTERM'));
    prom.setTargets('bench-exporter', [`127.0.0.1:${exporter.port}`]);
    await waitFor(
      async () => (await prom.query('sum(rate(http_requests_total{job="bench-exporter"}[3s])) > 0')).length > 0,
      { timeoutMs: 60_000, what: 'the exporter in Prometheus' },
    );
    const proxy = await startPromProxy(prom.url);
    stops.push(() => proxy.close());

    await createNamespace(kube, ns);
    stops.push(async () => {
      await deleteNamespace(kube, ns, 120_000);
    });
    await createTemplate(kube, ns, proxy.url);
    for (const name of [...services, 'promote']) {
      await kube.apps.createNamespacedDeployment({ namespace: ns, body: deployment(name, 2) });
      await kube.custom.createNamespacedCustomObject({
        group: 'gateway.networking.k8s.io',
        version: 'v1',
        plural: 'httproutes',
        namespace: ns,
        body: httpRoute(name),
      });
    }
    for (const name of services) {
      await kube.custom.createNamespacedCustomObject({
        ...rolloutRef,
        namespace: ns,
        body: rollout(name, {
          ...routed(name),
          strategy: {
            canary: {
              steps: [{ setWeight: 20 }, { pause: {} }],
              abortScaleDownDelaySeconds: 3600,
              analysis: {
                templates: [{ templateName: 'error-rate' }],
                args: [{ name: 'service', value: name }],
                startingStep: 0,
              },
            },
          },
        }),
      });
    }
    const promoteSteps = [20, 30, 40, 50];
    await kube.custom.createNamespacedCustomObject({
      ...rolloutRef,
      namespace: ns,
      body: rollout('promote', {
        ...routed('promote'),
        strategy: { canary: { steps: promoteSteps.flatMap((w) => [{ setWeight: w }, { pause: {} }]) } },
      }),
    });

    const watched = Watched.start(kube, ns, { routes: true });
    stops.push(() => watched.stop());
    const controller = await startController({
      entry: ctx.controllerEntry,
      kubeconfig: kube.kubeconfig,
      namespace: ns,
      flags: ctx.flags,
      logDir: ctx.workDir,
      label: 'reaction',
    });
    stops.push(() => controller.stop());
    const all = [...services, 'promote'];
    await watched.until(
      'every reaction rollout Healthy',
      () => (all.every((n) => watched.rollouts.get(n)?.status?.phase === 'Healthy') ? true : undefined),
      180_000,
    );
    let image = 1;
    const nextImage = () => `example.invalid/app:v${++image}`;
    for (const name of all) await setImage(kube, ns, name, nextImage());
    for (const name of services) await armed(watched, name, 120_000);
    ctx.progress(`reaction: ${services.length} canaries at 20% with background analysis passing`);

    // Prometheus queries per interval per rollout, while every abort rollout measures and nothing else happens.
    proxy.reset();
    const windowStart = performance.now();
    await sleep(20_000);
    const windowSeconds = (performance.now() - windowStart) / 1000;
    const perService = services.map((s) => proxy.counts().get(s) ?? 0);
    const queriesPerIntervalPerRollout = perService.reduce((a, b) => a + b, 0) / services.length / windowSeconds;
    const statusBytes = services.map((s) => Buffer.byteLength(JSON.stringify(watched.rollouts.get(s)?.status ?? {})));

    const machineAtStart = contention();
    const aborts = await runAborts(ctx, watched, exporter.url, prom, services, opts.aborts);
    const promotes = await runPromotes(ctx, watched, ns, promoteSteps, opts.promotes, nextImage);
    await controller.scrape(); // throws if the controller died on the way
    const machineAtEnd = contention();
    return {
      machine: { atStart: machineAtStart, atEnd: machineAtEnd },
      aborts,
      promotes,
      cost: {
        promQueriesPerIntervalPerRollout: Math.round(queriesPerIntervalPerRollout * 100) / 100,
        promQueryWindowSeconds: Math.round(windowSeconds),
        rolloutsMeasured: services.length,
        statusBytesWithAnalysis: summarize(statusBytes),
      },
      setup: { prometheusScrapeInterval: '1s', analysisInterval: '1s', rollouts: services.length, replicas: 2 },
    };
  } finally {
    for (const stop of stops.reverse())
      await Promise.resolve(stop()).catch((err: unknown) => ctx.progress(`cleanup: ${String(err)}`));
  }
}

/** A canary at 20% whose background analysis has a Successful measurement and no abort. */
function armed(watched: Watched, name: string, timeoutMs: number): Promise<true> {
  return watched.until(
    `${name} at 20% with analysis passing`,
    () => {
      const r = watched.rollouts.get(name);
      const run = r?.status?.analysis?.runs.find((x) => x.name === 'background');
      const ok =
        r?.status?.abort !== true &&
        r?.status?.currentStepIndex === 1 &&
        watched.weights.get(name)?.percent === 20 &&
        (run?.metrics[0]?.successful ?? 0) > 0;
      return ok ? true : undefined;
    },
    timeoutMs,
  );
}

async function runAborts(
  ctx: BenchContext,
  watched: Watched,
  exporterUrl: string,
  prom: Prometheus,
  services: string[],
  count: number,
): Promise<ReactionResult['aborts']> {
  const samples: ReactionResult['aborts']['samples'] = [];
  const resets = new Map<string, Promise<void>>();
  const setRatio = async (service: string, ratio: number) => {
    const res = await fetch(`${exporterUrl}/error-ratio?service=${service}&track=canary&ratio=${ratio}`, {
      method: 'PUT',
    });
    if (res.status !== 204) throw new Error(`exporter answered ${res.status} to the error flip`);
  };
  for (let i = 0; i < count; i++) {
    const name = services[i % services.length]!;
    await resets.get(name);
    await armed(watched, name, 120_000);
    await sleep(300); // let the previous abort's writes and Events settle
    const flip = wallNow();
    await setRatio(name, 0.3);
    const weight0 = await watched
      .until(
        `${name} canary weight 0`,
        () => {
          const w = watched.weights.get(name);
          return w !== undefined && w.percent === 0 && w.at > flip ? w.at : undefined;
        },
        60_000,
      )
      .catch((err: unknown) => {
        throw new Error(`${String(err)}; its status: ${JSON.stringify(watched.rollouts.get(name)?.status)}`, {
          cause: err,
        });
      });
    const aborted = await watched.until(
      `${name} aborted in status`,
      () => {
        const r = watched.rollouts.get(name);
        return r?.status?.abort === true ? r : undefined;
      },
      30_000,
    );
    const failed = firstFailedMeasurement(aborted, flip);
    if (failed === undefined)
      throw new Error(`${name} aborted without a Failed measurement after the flip: ${JSON.stringify(aborted.status)}`);
    samples.push({
      rollout: name,
      flipToFailedMs: failed - flip,
      failedToWeight0Ms: weight0 - failed,
      flipToWeight0Ms: weight0 - flip,
    });
    if ((i + 1) % 10 === 0) ctx.progress(`reaction: ${i + 1}/${count} aborts`);
    resets.set(
      name,
      (async () => {
        await setRatio(name, 0);
        // The 3 s rate window must be clean again before the retry, or the fresh analysis fails at once.
        await waitFor(
          async () => {
            const r = await prom.query(`(${errorRatioQuery(name, false)}) < 0.01`);
            return r.length > 0;
          },
          { timeoutMs: 30_000, intervalMs: 500, what: `${name} error ratio back to 0 in Prometheus` },
        );
        await ctx.kube.custom.patchNamespacedCustomObject(
          {
            ...rolloutRef,
            namespace: aborted.metadata.namespace!,
            name,
            body: { metadata: { annotations: { 'sluice.dev/action': 'retry' } } },
          },
          merge,
        );
      })(),
    );
  }
  await Promise.all(resets.values());
  const pick = (k: 'flipToFailedMs' | 'failedToWeight0Ms' | 'flipToWeight0Ms') => summarize(samples.map((s) => s[k]));
  return {
    failedMeasurementToWeight0Ms: pick('failedToWeight0Ms'),
    errorFlipToFailedMeasurementMs: pick('flipToFailedMs'),
    errorFlipToWeight0Ms: pick('flipToWeight0Ms'),
    samples: samples.map((s) => ({
      rollout: s.rollout,
      flipToFailedMs: round1(s.flipToFailedMs),
      failedToWeight0Ms: round1(s.failedToWeight0Ms),
      flipToWeight0Ms: round1(s.flipToWeight0Ms),
    })),
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** finishedAt (wall-clock ms) of the background analysis's first Failed measurement taken after `after`. */
function firstFailedMeasurement(r: Rollout, after: number): number | undefined {
  const run = r.status?.analysis?.runs.find((x) => x.name === 'background');
  const times = (run?.metrics ?? [])
    .flatMap((m) => m.measurements)
    .filter((m) => m.phase === 'Failed' && m.finishedAt !== undefined && Date.parse(m.finishedAt) >= after - 1)
    .map((m) => Date.parse(m.finishedAt!));
  return times.length === 0 ? undefined : Math.min(...times);
}

async function runPromotes(
  ctx: BenchContext,
  watched: Watched,
  ns: string,
  steps: number[],
  count: number,
  nextImage: () => string,
): Promise<ReactionResult['promotes']> {
  const fromCall: number[] = [];
  const fromWrite: number[] = [];
  const name = 'promote';
  const atPause = (index: number) =>
    watched.until(
      `${name} paused at step ${index}`,
      () => {
        const r = watched.rollouts.get(name);
        return r?.status?.currentStepIndex === index &&
          r.status.phase === 'Paused' &&
          watched.weights.get(name)?.percent === steps[(index - 1) / 2]
          ? true
          : undefined;
      },
      120_000,
    );
  let step = 1;
  while (fromCall.length < count) {
    await atPause(step);
    await sleep(200);
    const last = step === steps.length * 2 - 1;
    const called = wallNow();
    const out: string[] = [];
    const code = await kubectlSluice(['promote', name, '-n', ns, '--kubeconfig', ctx.kube.kubeconfig], (s) =>
      out.push(s),
    );
    const written = wallNow();
    if (code !== 0) throw new Error(`kubectl sluice promote exited ${code}: ${out.join('\n')}`);
    if (last) {
      // Promoted after the last step: start a new canary to promote again.
      await watched.until(
        `${name} promoted`,
        () => (watched.rollouts.get(name)?.status?.phase === 'Healthy' ? true : undefined),
        120_000,
      );
      await setImage(ctx.kube, ns, name, nextImage());
      step = 1;
      continue;
    }
    const want = steps[(step + 1) / 2]!;
    const arrived = await watched.until(
      `${name} weight ${want}`,
      () => {
        const w = watched.weights.get(name);
        return w?.percent === want && w.at > called ? w.at : undefined;
      },
      60_000,
    );
    fromCall.push(arrived - called);
    fromWrite.push(arrived - written);
    step += 2;
  }
  return { promoteToNextWeightMs: summarize(fromCall), annotationWrittenToNextWeightMs: summarize(fromWrite) };
}

async function setImage(kube: Kube, ns: string, name: string, image: string): Promise<void> {
  await kube.apps.patchNamespacedDeployment(
    { namespace: ns, name, body: { spec: { template: { spec: { containers: [{ name: 'app', image }] } } } } },
    merge,
  );
}

async function createTemplate(kube: Kube, ns: string, address: string): Promise<void> {
  await kube.custom.createNamespacedCustomObject({
    group: 'sluice.dev',
    version: 'v1alpha1',
    plural: 'analysistemplates',
    namespace: ns,
    body: {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'error-rate' },
      spec: {
        args: [{ name: 'service' }],
        metrics: [
          {
            name: 'error-rate',
            interval: '1s',
            failureLimit: 0,
            inconclusiveLimit: 0,
            consecutiveErrorLimit: 4,
            // No gap between the two: a measurement whose 3 s window is only partly past the flip would otherwise
            // be Inconclusive, which pauses the rollout instead of aborting it.
            successCondition: 'result < 0.05',
            failureCondition: 'result >= 0.05',
            provider: { prometheus: { address, timeout: '2s', query: errorRatioQuery('') } },
          },
        ],
      },
    },
  });
}

async function startExporter(traffic: TrafficSpec[]): Promise<{ child: ChildProcess; port: number; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(repoRoot, 'test/fixtures/trafficExporter.ts')], {
    env: { ...process.env, EXPORTER_PORT: String(port), EXPORTER_TRAFFIC: JSON.stringify(traffic) },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/metrics`)).ok, { timeoutMs: 15_000, what: 'the traffic exporter' });
  return { child, port, url };
}
