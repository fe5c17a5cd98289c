/**
 * Reaction: how fast the controller acts on what it is told.
 * - Abort: K Rollouts route 20% to a canary through their router object (an HTTPRoute by default; `--router`
 *   picks another, see routerObjects.ts) and run a background analysis every second
 *   against a real Prometheus that scrapes a real exporter (test/fixtures/trafficExporter.ts). The benchmark
 *   flips one canary to 30% errors (PUT /error-ratio), then records (a) the flip, (b) finishedAt of the first
 *   Failed measurement in the Rollout's status and (c) the arrival of the router object's watch event with
 *   canary weight 0. (c)-(b) is the controller's reaction; (c)-(a) adds Prometheus's scrape and the rate window.
 *   The rollout is then retried (errors off, Prometheus clean again, sluice.dev/action=retry) while the others abort.
 * - Promote: a Rollout paused at setWeight steps is promoted with `kubectl sluice promote` (the plugin's code,
 *   run in this process so Node's start-up is not counted), timed until the next step's weight arrives by watch.
 *   Every step needs 1 canary pod of 2 replicas, so no step waits on a pod.
 * - Blue-green: the switch and the switch back, from the decision status records to the active Service's selector
 *   or the HTTPRoute's weight, by watch (reactionBlueGreen.ts). Its post-promotion analysis, which holds a switched
 *   Rollout until the abort, queries the same Prometheus.
 * - Cost: Prometheus queries per analysis interval per rollout (counted by a proxy in front of Prometheus), and
 *   the bytes of a Rollout's status with a background analysis running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../test/cluster/paths.ts';
import { startPrometheus } from '../test/fixtures/prometheus.ts';
import type { TrafficSpec } from '../test/fixtures/trafficExporter.ts';
import { freePort } from '../test/support/ports.ts';
import { waitFor } from '../test/support/wait.ts';
import type { BenchContext } from './context.ts';
import { contention, type Contention } from './machine.ts';
import { startController, type Snapshot } from './controller.ts';
import {
  createBenchNodes,
  createNamespace,
  deleteNamespace,
  deleteNodes,
  deployment,
  rollout,
  rolloutRef,
  routed,
  waitNodesReady,
  type Kube,
} from './kube.ts';
import { startPromProxy } from './promProxy.ts';
import { checkOutcomes, type OutcomeCheck, type OutcomeCounts } from './outcomeCheck.ts';
import { armed, errorRatioQuery, runAborts, type AbortReaction } from './reactionAborts.ts';
import { createBlueGreenApps, runBlueGreen, type BlueGreenReaction } from './reactionBlueGreen.ts';
import { runPromotes, setImage, type PromoteReaction } from './reactionPromotes.ts';
import { createRouterObjects, routerObjects, type BenchRouter } from './routerObjects.ts';
import { summarize, type Summary } from './stats.ts';
import { Watched } from './watched.ts';

export interface ReactionResult {
  /** The traffic router the apps used (`--router`) and the object whose watch events gave the weights. */
  router: { name: BenchRouter; object: string };
  aborts: AbortReaction;
  promotes: PromoteReaction;
  /** The blue-green switch and switch back (`--blue-green` rounds); absent with --blue-green 0. */
  blueGreen?: BlueGreenReaction;
  cost: {
    /** Queries the controller sent to Prometheus, per analysis interval (1 s here) per rollout, over the window. */
    promQueriesPerIntervalPerRollout: number;
    promQueryWindowSeconds: number;
    rolloutsMeasured: number;
    /** JSON bytes of .status of a Rollout at a pause step with a background analysis of one metric (10 measurements kept). */
    statusBytesWithAnalysis: Summary;
  };
  /** The outcome metrics' growth over each scenario against the aborts and promotions it ran. */
  outcomes: OutcomeCheck[];
  /** Load and other test runs before and after the aborts and promotes. */
  machine: { atStart: Contention; atEnd: Contention };
  setup: { prometheusScrapeInterval: string; analysisInterval: string; rollouts: number; replicas: number };
}

export async function benchReaction(
  ctx: BenchContext,
  opts: {
    aborts: number;
    promotes: number;
    abortRollouts: number;
    router: BenchRouter;
    /** Rounds of switch and switch back per blue-green kind (Service, HTTPRoute); 0 skips them. */
    blueGreen: number;
    blueGreenRollouts: number;
  },
): Promise<ReactionResult> {
  const router = routerObjects[opts.router];
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
      await createRouterObjects(kube, router, ns, name);
    }
    for (const name of services) {
      await kube.custom.createNamespacedCustomObject({
        ...rolloutRef,
        namespace: ns,
        body: rollout(name, {
          ...routed(name, router.trafficRouting(name)),
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
        ...routed('promote', router.trafficRouting('promote')),
        strategy: { canary: { steps: promoteSteps.flatMap((w) => [{ setWeight: w }, { pause: {} }]) } },
      }),
    });

    const blueGreenApps =
      opts.blueGreen > 0 ? await createBlueGreenApps(kube, ns, prom.url, opts.blueGreenRollouts) : [];

    const watched = Watched.start(kube, ns, { router });
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
    ctx.progress(`reaction (${opts.router}): ${services.length} canaries at 20% with background analysis passing`);

    // Prometheus queries per interval per rollout, while every abort rollout measures and nothing else happens.
    proxy.reset();
    const windowStart = performance.now();
    await sleep(20_000);
    const windowSeconds = (performance.now() - windowStart) / 1000;
    const perService = services.map((s) => proxy.counts().get(s) ?? 0);
    const queriesPerIntervalPerRollout = perService.reduce((a, b) => a + b, 0) / services.length / windowSeconds;
    const statusBytes = services.map((s) => Buffer.byteLength(JSON.stringify(watched.rollouts.get(s)?.status ?? {})));

    const machineAtStart = contention();
    const scrape = () => controller.scrape(); // throws if the controller died on the way
    const outcomes: OutcomeCheck[] = [];
    const check = async (scenario: string, before: Snapshot, ran: Partial<OutcomeCounts>) => {
      const { check: result, after } = await checkOutcomes(scrape, ns, scenario, before, ran);
      outcomes.push(result);
      return after;
    };
    let counters = await scrape();
    const aborts = await runAborts(ctx, watched, exporter.url, prom, services, opts.aborts);
    counters = await check('aborts', counters, { aborted_analysis: opts.aborts });
    const promotes = await runPromotes(ctx, watched, ns, promoteSteps, opts.promotes, nextImage);
    counters = await check('promotes', counters, { promoted: promotes.releasesPromoted });
    const blueGreen = opts.blueGreen > 0 ? await runBlueGreen(ctx, ns, blueGreenApps, opts.blueGreen) : undefined;
    // Each blue-green round switches (not a promotion: the old revision stays stable through post-promotion
    // analysis) and is aborted by a user request.
    if (blueGreen !== undefined) await check('blue-green', counters, { aborted_user: blueGreen.samples.length });
    const machineAtEnd = contention();
    return {
      router: { name: opts.router, object: router.object },
      machine: { atStart: machineAtStart, atEnd: machineAtEnd },
      aborts,
      promotes,
      outcomes,
      ...(blueGreen === undefined ? {} : { blueGreen }),
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
