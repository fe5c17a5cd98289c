/**
 * The custom metrics API (custom.metrics.k8s.io) of the autoscaling stories, served from the test Prometheus by a
 * real aggregated API server (test/cluster/go/metricsadapter): started on a loopback port, and registered with an
 * APIService whose Service is an ExternalName pointing at 127.0.0.1. Without kube-proxy that is how kube-apiserver
 * reaches it: it dials an ExternalName Service at its name and the APIService's port, where a Service with
 * endpoints would need a non-loopback address (endpoints refuse loopback ones) and --enable-aggregator-routing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ApiregistrationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { metricsAdapterPidFile, metricsApi, unregisterMetricsApi } from '../cluster/metricsApiService.ts';
import { repoRoot } from '../cluster/paths.ts';
import { freePort } from '../support/ports.ts';
import { readPidFile, startProcess, stopProcess, tailLog } from '../support/process.ts';
import { GiveUp, waitFor } from '../support/wait.ts';
import { adminKubeConfig, clusterInfo } from './support.ts';

/** What the autoscaler asks for: one API version, the one it prefers. */
const { group, version, apiServiceName, service } = metricsApi;

export interface MetricsAdapter {
  /** Unregisters the API (a dead APIService would fail discovery, and so namespace deletion, for everyone), then stops. */
  stop(): Promise<void>;
}

/**
 * Serves each object metric `<resource>/<metric>` with its PromQL template (which sees .Namespace and .Name of the
 * object), and resolves once kube-apiserver reports the API Available.
 */
export async function startMetricsAdapter(
  prometheusUrl: string,
  objectMetrics: Record<string, string>,
): Promise<MetricsAdapter> {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const registration = kc.makeApiClient(ApiregistrationV1Api);
  const auth = await core.readNamespacedConfigMap({
    name: 'extension-apiserver-authentication',
    namespace: 'kube-system',
  });
  if (auth.data?.['requestheader-client-ca-file'] === undefined)
    throw new Error(
      'the running control plane has no front proxy (it predates the aggregation flags): stop it with `npm run cluster -- down` and run again',
    );

  const binary = execFileSync('bash', [join(repoRoot, 'test/setup/metrics-adapter.sh')], { encoding: 'utf8' }).trim();
  const dir = join(clusterInfo().dir, 'metrics-adapter');
  const certDir = join(dir, 'certs');
  rmSync(certDir, { recursive: true, force: true }); // a certificate for this run, read once it is whole
  mkdirSync(certDir, { recursive: true });
  const port = await freePort();
  const pidFile = metricsAdapterPidFile(clusterInfo().dir);
  const logFile = join(dir, 'metrics-adapter.log');
  const kubeconfig = clusterInfo().kubeconfig;
  const stop = async () => {
    await unregisterMetricsApi(kubeconfig);
    await stopProcess(pidFile);
  };
  await stop(); // what a run that died left behind

  startProcess({
    name: 'metrics-adapter',
    command: binary,
    logFile,
    pidFile,
    args: [
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${certDir}`,
      `--service-name=${service.name}.${service.namespace}.svc`,
      `--lister-kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      `--prometheus-url=${prometheusUrl}`,
      ...Object.entries(objectMetrics).map(([metric, query]) => `--object-metric=${metric}=${query}`),
      '--v=2',
    ],
  });
  try {
    const certFile = join(certDir, 'apiserver.crt');
    await waitFor(
      () => {
        if (readPidFile(pidFile) === undefined) throw new GiveUp(`the metrics adapter exited:\n${tailLog(logFile)}`);
        return existsSync(join(certDir, 'apiserver.key')); // written after the certificate
      },
      { timeoutMs: 30_000, what: 'the metrics adapter serving certificate' },
    );
    await core.createNamespacedService({
      namespace: service.namespace,
      body: {
        metadata: { name: service.name },
        spec: { type: 'ExternalName', externalName: '127.0.0.1' },
      },
    });
    await registration.createAPIService({
      body: {
        metadata: { name: apiServiceName },
        spec: {
          group,
          version,
          service: { ...service, port },
          // The adapter's self-signed certificate, followed by the CA it made to sign it.
          caBundle: readFileSync(certFile).toString('base64'),
          groupPriorityMinimum: 100,
          versionPriority: 200,
        },
      },
    });
    await waitFor(
      async () => {
        if (readPidFile(pidFile) === undefined) throw new GiveUp(`the metrics adapter exited:\n${tailLog(logFile)}`);
        const api = await registration.readAPIServiceStatus({ name: apiServiceName });
        return api.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ?? false;
      },
      { timeoutMs: 60_000, what: `APIService ${apiServiceName} Available` },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { stop };
}
