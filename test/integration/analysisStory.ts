/**
 * Building blocks of the stories whose analysis reads the real Prometheus: a real process exporting request metrics
 * (test/fixtures/trafficExporter.ts) that Prometheus scrapes, and an AnalysisTemplate judging its error rate. The
 * exporter's `canary` track stands for the new revision's pods: a canary's, or a blue-green preview's.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { connectPrometheus, type Prometheus } from '../fixtures/prometheus.ts';
import type { TrafficSpec } from '../fixtures/trafficExporter.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/wait.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import {
  createAnalysisTemplate,
  createApp,
  createRollout,
  kubectlSluice,
  routedSpec,
  setImage,
  waitForRollout,
} from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig } from './support.ts';

/** What the tests of a Prometheus story share: the controller, and the exporters they start, stopped at the end. */
export interface PrometheusStory {
  controller: ControllerProcess;
  readonly exporters: Exporter[];
}

/**
 * Before the calling file's tests: the Sluice CRDs, a controller watching `ns`, then `setup` given Prometheus's
 * address; after them, the exporters in `exporters` and the controller are stopped. Fails the suite at once when
 * the run has no Prometheus.
 */
export function usePrometheusStory(
  ns: { readonly name: string },
  setup: (prometheusUrl: string) => Promise<void> = () => Promise.resolve(),
): PrometheusStory {
  const info = inject('prometheus');
  const story = { exporters: [] as Exporter[] } as PrometheusStory;
  beforeAll(async () => {
    if (info === null) throw new Error('this suite needs Prometheus: include "prometheus" in SLUICE_TEST_SERVICES');
    await installSluiceCrds(adminKubeConfig());
    story.controller = await startController({ namespace: ns.name });
    await setup(info.url);
  });
  afterAll(async () => {
    story.exporters.forEach((e) => e.stop());
    await (story.controller as ControllerProcess | undefined)?.stop();
  });
  return story;
}

/**
 * A scale-down AnalysisTemplate, old-traffic: the draining revision's requests per second, by the revision Sluice
 * passes as drainingRevision; drained once below 0.5 twice in a row. Still serving is no failure (failureLimit), so
 * only the delay ends a revision that never drains.
 */
export async function createDrainTemplate(namespace: string, address: string): Promise<void> {
  await createAnalysisTemplate(
    namespace,
    'old-traffic',
    [
      {
        name: 'old-requests',
        interval: '1s',
        consecutiveSuccessLimit: 2,
        failureLimit: 1000,
        successCondition: 'result < 0.5',
        provider: {
          prometheus: {
            address,
            timeout: '2s',
            query: 'sum(rate(http_requests_total{service="{{args.drainingRevision}}"}[3s]))',
          },
        },
      },
    ],
    [{ name: 'drainingRevision' }],
  );
}

export interface Exporter {
  url: string;
  /** From now on, this share of the service's requests on `track` answers 500. */
  setErrorRatio(service: string, track: TrafficSpec['track'], ratio: number): Promise<void>;
  /** From now on, the service's requests on `track` come at this rate (0: its traffic stops). */
  setRps(service: string, track: TrafficSpec['track'], rps: number): Promise<void>;
  stop(): void;
}

/**
 * Starts a process exporting request metrics and resolves once Prometheus has its data (target discovery alone can
 * take Prometheus 5 s).
 */
export async function startExporter(
  traffic: TrafficSpec[],
  prom: Pick<Prometheus, 'setTargets' | 'query'>,
  job: string,
): Promise<Exporter> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(import.meta.dirname, '../fixtures/trafficExporter.ts')], {
    env: { ...process.env, EXPORTER_PORT: String(port), EXPORTER_TRAFFIC: JSON.stringify(traffic) },
    stdio: 'inherit',
  });
  const url = `http://127.0.0.1:${port}`;
  const exporter: Exporter = {
    url,
    async setErrorRatio(service, track, ratio) {
      const res = await fetch(`${url}/error-ratio?service=${service}&track=${track}&ratio=${ratio}`, { method: 'PUT' });
      if (!res.ok) throw new Error(`the exporter refused the error ratio: HTTP ${res.status}`);
    },
    async setRps(service, track, rps) {
      const res = await fetch(`${url}/rps?service=${service}&track=${track}&rps=${rps}`, { method: 'PUT' });
      if (!res.ok) throw new Error(`the exporter refused the rate: HTTP ${res.status}`);
    },
    stop: () => void child.kill('SIGTERM'),
  };
  try {
    await waitFor(async () => (await fetch(`${url}/metrics`)).ok, { timeoutMs: 15_000, what: 'the exporter' });
    prom.setTargets(job, [`127.0.0.1:${port}`]);
    await waitFor(async () => (await prom.query(`sum(rate(http_requests_total{job="${job}"}[3s])) > 0`)).length > 0, {
      timeoutMs: 60_000,
      what: `${job} in Prometheus`,
    });
  } catch (err) {
    exporter.stop();
    throw err;
  }
  return exporter;
}

export interface ErrorRateLimits {
  count: number;
  /** Time between measurements; 1s when omitted. */
  interval?: string;
  consecutiveErrorLimit?: number;
  inconclusiveLimit?: number;
  /** Wait before the first measurement; none when omitted. */
  initialDelay?: string;
}

/**
 * An AnalysisTemplate with one metric, error-rate: the canary track's share of 5xx answers over 3 s for the
 * service named by the argument `service`; below 5% passes, 10% or more fails, in between is inconclusive.
 */
export async function createErrorRateTemplate(
  namespace: string,
  name: string,
  address: string,
  limits: ErrorRateLimits,
): Promise<void> {
  const ratio = (extra: string) =>
    `sum(rate(http_requests_total{service="{{args.service}}",track="canary"${extra}}[3s]))`;
  await createAnalysisTemplate(
    namespace,
    name,
    [
      {
        name: 'error-rate',
        interval: limits.interval ?? '1s',
        ...(limits.initialDelay === undefined ? {} : { initialDelay: limits.initialDelay }),
        count: limits.count,
        failureLimit: 0,
        inconclusiveLimit: limits.inconclusiveLimit ?? 0,
        consecutiveErrorLimit: limits.consecutiveErrorLimit ?? 4,
        successCondition: 'result < 0.05',
        failureCondition: 'result >= 0.10',
        provider: { prometheus: { address, timeout: '2s', query: `${ratio(',code=~"5.."')} / ${ratio('')}` } },
      },
    ],
    [{ name: 'service' }],
  );
}

/**
 * A Rollout at its first revision with scale-down analysis old-traffic (createDrainTemplate), the previous stable's
 * traffic flowing (an exporter added to `exporters`), and the promoted second revision.
 */
export async function promoteWithTraffic(
  namespace: string,
  exporters: Exporter[],
  app: string,
  scaleDownDelaySeconds: number,
) {
  const info = inject('prometheus');
  await createApp(namespace, app, { replicas: 2, route: true });
  await createRollout(namespace, app, {
    ...routedSpec(app),
    strategy: {
      canary: {
        steps: [{ setWeight: 50 }, { pause: {} }],
        scaleDownDelaySeconds,
        scaleDownWhen: { analysis: { templates: [{ templateName: 'old-traffic' }] } },
      },
    },
  });
  const first = await waitForRollout(namespace, app, `${app} Healthy`, (r) => r.status?.phase === 'Healthy');
  const old = first.status!.stableRevision!;
  // Users of the old revision: requests labelled with its revision, as a relabelled pod label would give them.
  const prom = connectPrometheus(info!.url, info!.targetsDir);
  const traffic = await startExporter(
    [{ service: old, track: 'stable', rps: 40, errorRatio: 0, latencyMedian: 0.05 }],
    prom,
    `drain-${app}`,
  );
  exporters.push(traffic);
  await setImage(namespace, app, 'example.invalid/app:v2');
  await waitForRollout(namespace, app, 'paused at 50%', (r) => r.status?.phase === 'Paused');
  await kubectlSluice(namespace, 'promote', app);
  const promoted = await waitForRollout(
    namespace,
    app,
    'promoted, the drain of the old revision started',
    (r) => r.status?.stableRevision !== old && r.status?.scaleDown?.[0]?.scaleDownAt !== undefined,
  );
  return {
    old,
    traffic,
    promotedAt: Date.now(),
    scaleDownAt: Date.parse(promoted.status!.scaleDown![0]!.scaleDownAt!),
  };
}
