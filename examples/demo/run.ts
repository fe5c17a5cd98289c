/**
 * `npm run demo`: the whole story on this machine. A local control plane, Prometheus, the controller with its
 * dashboard, and the checkout service; v2 (healthy) goes through the canary steps and is promoted, then v3
 * (30% errors) is caught by analysis and rolled back without a human. Keeps running until Ctrl-C;
 * `npm run demo -- --once` tells the story, prints a summary, exits 0 only if both outcomes happened, and cleans up.
 */
import { randomBytes } from 'node:crypto';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Rollout } from '../../controller/src/api/types.ts';
import { adminConfig, down, runningControlPlane, up } from '../../test/cluster/controlPlane.ts';
import { clusterBinDir, repoRoot } from '../../test/cluster/paths.ts';
import { startPrometheus } from '../../test/fixtures/prometheus.ts';
import { freePort, freePorts } from '../../test/support/ports.ts';
import { waitFor } from '../../test/support/wait.ts';
import { DemoGateway } from './gateway.ts';
import { app, deployment, errorRateTemplate, httpRoute, rollout } from './manifests.ts';
import { PodRuntime } from './podRuntime.ts';
import { Timeline } from './timeline.ts';

const once = process.argv.includes('--once');
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const cleanups: (() => Promise<void> | void)[] = [];
const cleanup = async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
};

async function main(): Promise<number> {
  const t = new Timeline();
  const startedCluster = runningControlPlane() === undefined;
  t.say(
    startedCluster
      ? 'starting the local control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok)'
      : 'using the running local control plane',
  );
  const cp = await up();
  if (startedCluster && once) cleanups.push(() => down());
  const kc = adminConfig(cp);
  execFileSync(
    join(clusterBinDir(), 'kubectl'),
    ['--kubeconfig', cp.kubeconfig, 'apply', '--server-side', '--force-conflicts', '-k', join(repoRoot, 'crds')],
    { stdio: 'ignore' },
  );

  const prometheus = await startPrometheus({
    dir: mkdtempSync(join(tmpdir(), 'sluice-demo-prom-')),
    scrapeInterval: '1s',
  });
  cleanups.push(() => prometheus.stop());
  t.say(`Prometheus ${prometheus.url} (scrape every 1s)`);

  const namespace = `demo-${randomBytes(2).toString('hex')}`;
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  cleanups.push(async () => {
    await custom
      .patchNamespacedCustomObject(
        {
          group: 'sluice.dev',
          version: 'v1alpha1',
          plural: 'rollouts',
          namespace,
          name: app,
          body: { metadata: { finalizers: null } },
        },
        merge,
      )
      .catch(() => undefined);
    await core.deleteNamespace({ name: namespace });
  });

  const [metricsPort, preferredDashboard] = [await freePort(), 3100];
  const dashboardPort = (await portFree(preferredDashboard)) ? preferredDashboard : (await freePorts(1))[0]!;
  const controller = spawnController(cp.kubeconfig, namespace, metricsPort, dashboardPort);
  cleanups.push(() => stopChild(controller));
  await waitFor(async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).ok, {
    timeoutMs: 30_000,
    what: 'the controller',
  });
  t.say(`controller running; dashboard at http://127.0.0.1:${dashboardPort}/`);

  await apps.createNamespacedDeployment({ namespace, body: deployment('v1', 0.005) });
  await custom.createNamespacedCustomObject({
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    plural: 'httproutes',
    namespace,
    body: httpRoute,
  });
  await custom.createNamespacedCustomObject({
    group: 'sluice.dev',
    version: 'v1alpha1',
    plural: 'analysistemplates',
    namespace,
    body: errorRateTemplate(prometheus.url),
  });
  await custom.createNamespacedCustomObject({
    group: 'sluice.dev',
    version: 'v1alpha1',
    plural: 'rollouts',
    namespace,
    body: rollout,
  });

  const pods = new PodRuntime(kc, namespace, app);
  pods.start();
  cleanups.push(() => pods.stop());
  const gateway = new DemoGateway(kc, namespace, app, pods);
  const gatewayPort = await gateway.serveMetrics();
  prometheus.setTargets('demo-gateway', [`127.0.0.1:${gatewayPort}`]);
  cleanups.push(() => gateway.stop());

  const read = async () =>
    (await custom.getNamespacedCustomObject({
      group: 'sluice.dev',
      version: 'v1alpha1',
      plural: 'rollouts',
      namespace,
      name: app,
    })) as Rollout;
  const watch = t.follow(read, gateway);
  cleanups.push(() => watch.stop());

  const v1 = await waitFor(
    async () => {
      const r = await read();
      return r.status?.phase === 'Healthy' && pods.processFor(r.status.stableRevision!) !== undefined ? r : undefined;
    },
    { timeoutMs: 60_000, what: 'v1 to be Healthy and serving' },
  );
  t.say(`v1 is stable (${v1.status?.stableRevision})`);
  gateway.run(50);
  t.say('demo gateway (a stand-in for a Gateway API implementation) sends 50 requests/s by the HTTPRoute weights');

  t.headline('releasing v2: a healthy version (0.5% errors)');
  await apps.patchNamespacedDeployment({ namespace, name: app, body: deployment('v2', 0.005) }, merge);
  const v2 = await waitFor(
    async () => {
      const r = await read();
      return r.status?.phase === 'Healthy' && r.status.stableRevision !== v1.status?.stableRevision ? r : undefined;
    },
    { timeoutMs: 120_000, what: 'v2 to be promoted' },
  ).catch(() => undefined);
  const v2Promoted = v2 !== undefined;
  t.say(v2Promoted ? `v2 promoted: it is stable now (${v2.status?.stableRevision})` : 'v2 was NOT promoted');

  t.headline('releasing v3: a broken version (30% errors)');
  await apps.patchNamespacedDeployment({ namespace, name: app, body: deployment('v3', 0.3) }, merge);
  const aborted = await waitFor(
    async () => {
      const r = await read();
      return r.status?.abort === true && r.status.weights?.canary === 0 ? r : undefined;
    },
    { timeoutMs: 120_000, what: 'v3 to be rolled back' },
  ).catch(() => undefined);
  const rolledBackAt = Date.now();
  const firstError = gateway.firstErrorAt.get('v3');
  const v3RolledBack = aborted !== undefined && aborted.status?.stableRevision === v2?.status?.stableRevision;
  if (aborted !== undefined) {
    t.say(`v3 rolled back automatically: ${aborted.status?.message}`);
    if (firstError !== undefined)
      t.say(
        `time from v3's first error to 100% of traffic on stable: ${((rolledBackAt - firstError) / 1000).toFixed(1)} s (upper bound: the rollout is polled every 250 ms)`,
      );
  } else {
    t.say('v3 was NOT rolled back');
  }

  t.headline('summary');
  t.say(`v2 promoted: ${v2Promoted ? 'yes' : 'NO'}; v3 rolled back automatically: ${v3RolledBack ? 'yes' : 'NO'}`);
  t.say(
    `requests: stable ${gateway.sent.stable} (${gateway.sent.errors.stable} errors), canary ${gateway.sent.canary} (${gateway.sent.errors.canary} errors)`,
  );
  const ok = v2Promoted && v3RolledBack;
  if (once) return ok ? 0 : 1;
  t.say(`still running: dashboard at http://127.0.0.1:${dashboardPort}/ ; press Ctrl-C to stop`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  return ok ? 0 : 1;
}

function spawnController(
  kubeconfig: string,
  namespace: string,
  metricsPort: number,
  dashboardPort: number,
): ChildProcess {
  return spawn(
    process.execPath,
    [
      join(repoRoot, 'controller/src/main.ts'),
      '--kubeconfig',
      kubeconfig,
      '--namespace',
      namespace,
      '--leader-elect=false',
      '--metrics-port',
      String(metricsPort),
      '--metrics-address',
      '127.0.0.1',
      '--dashboard-port',
      String(dashboardPort),
      '--log-level',
      'warn',
      // The demo's AnalysisTemplate is namespaced and its Prometheus runs on loopback.
      '--analysis-allowed-hosts',
      '127.0.0.1',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function portFree(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(500) });
    return false;
  } catch {
    return true;
  }
}

process.once('SIGTERM', () => void cleanup().then(() => process.exit(1)));
main().then(
  async (code) => {
    await cleanup();
    process.exit(code);
  },
  async (err: unknown) => {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    await cleanup();
    process.exit(1);
  },
);
