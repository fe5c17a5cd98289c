/**
 * Vitest global setup for the integration project: starts the real services once for the whole run and hands
 * their addresses to the tests through `inject()`. Which services start is `SLUICE_TEST_SERVICES`
 * (comma-separated, default `cluster,prometheus,unleash,influxdb`). A control plane already running from
 * `npm run cluster -- up` is reused and left running; whatever this setup started, it stops.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { runningControlPlane, up, down } from '../cluster/controlPlane.ts';
import { repoRoot } from '../cluster/paths.ts';
import { startInfluxdb, type InfluxdbInfo } from '../fixtures/influxdb.ts';
import { startPrometheus, type PrometheusInfo } from '../fixtures/prometheus.ts';
import { startUnleash, type UnleashInfo } from '../fixtures/unleash.ts';

export interface ClusterInfo {
  kubeconfig: string;
  server: string;
  dir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ClusterInfo | null;
    prometheus: PrometheusInfo | null;
    unleash: UnleashInfo | null;
    influxdb: InfluxdbInfo | null;
  }
}

/** How often the shared Prometheus scrapes; analysis timing tests are written against this. */
export const testScrapeInterval = '1s';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const wanted = new Set(
    (process.env.SLUICE_TEST_SERVICES ?? 'cluster,prometheus,unleash,influxdb').split(',').map((s) => s.trim()),
  );
  // One folder per run: two test runs in one checkout must not delete each other's databases.
  const runDir = join(repoRoot, '.sluice', 'test-services', String(process.pid));
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];

  const startCluster = async () => {
    if (!wanted.has('cluster')) return null;
    const reused = runningControlPlane();
    const cp = await up();
    if (reused === undefined) stops.push(() => down());
    return { kubeconfig: cp.kubeconfig, server: cp.server, dir: cp.dir };
  };
  const startProm = async () => {
    if (!wanted.has('prometheus')) return null;
    const dir = join(runDir, 'prometheus');
    const prom = await startPrometheus({ dir, scrapeInterval: testScrapeInterval });
    stops.push(() => prom.stop());
    return { url: prom.url, targetsDir: join(dir, 'targets') };
  };
  const startUnl = async () => {
    if (!wanted.has('unleash')) return null;
    const u = await startUnleash({ dir: join(runDir, 'unleash') });
    stops.push(() => u.stop());
    return { url: u.url, adminToken: u.adminToken, clientToken: u.clientToken };
  };

  const startInflux = async () => {
    if (!wanted.has('influxdb')) return null;
    const dir = join(runDir, 'influxdb');
    const influx = await startInfluxdb({ dir });
    stops.push(() => influx.stop());
    return { url: influx.url, dir };
  };

  const teardown = async () => {
    await Promise.allSettled(stops.reverse().map((stop) => stop()));
    rmSync(runDir, { recursive: true, force: true });
  };
  // Every start is awaited before a failure tears down: with Promise.all, the first failure (influxd missing, say)
  // tore down while the others were still starting, and those that started afterwards were never stopped.
  const [cluster, prometheus, unleash, influxdb] = await Promise.allSettled([
    startCluster(),
    startProm(),
    startUnl(),
    startInflux(),
  ]);
  const failed = [cluster, prometheus, unleash, influxdb].find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    await teardown();
    throw failed.reason;
  }
  const value = <T>(r: PromiseSettledResult<T>): T => (r as PromiseFulfilledResult<T>).value;
  project.provide('cluster', value(cluster));
  project.provide('prometheus', value(prometheus));
  project.provide('unleash', value(unleash));
  project.provide('influxdb', value(influxdb));
  return teardown;
}
