/**
 * The custom metrics API (custom.metrics.k8s.io) that the autoscaling stories register for their metrics adapter,
 * and what the control plane's lifecycle does about it. An APIService whose adapter no longer answers fails
 * discovery of its group, and with it the namespace controller's cleanup: every namespace deleted afterwards stays
 * Terminating (NamespaceDeletionDiscoveryFailure). A run killed while its adapter was registered leaves exactly
 * that, so reusing the control plane removes it, and stopping the control plane stops the adapter.
 */
import { join } from 'node:path';
import { ApiregistrationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { readPidFile, stopProcess } from '../support/process.ts';

const group = 'custom.metrics.k8s.io';
const version = 'v1beta2';
export const metricsApi = {
  group,
  version,
  apiServiceName: `${version}.${group}`,
  /** The ExternalName Service the APIService points at (kube-apiserver dials it at 127.0.0.1). */
  service: { name: 'sluice-metrics-adapter', namespace: 'kube-system' },
};

/** The adapter's pid file, in the control plane's folder. */
export const metricsAdapterPidFile = (clusterDir: string) => join(clusterDir, 'metrics-adapter', 'metrics-adapter.pid');

const notFound = (err: unknown) => {
  if ((err as { code?: number }).code !== 404) throw err;
};

/** Unregisters the metrics API (APIService and its Service); nothing to do when it is not registered. */
export async function unregisterMetricsApi(kubeconfig: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  await kc.makeApiClient(ApiregistrationV1Api).deleteAPIService({ name: metricsApi.apiServiceName }).catch(notFound);
  await kc.makeApiClient(CoreV1Api).deleteNamespacedService(metricsApi.service).catch(notFound);
}

/**
 * On reusing a running control plane: the metrics API of a run that died is unregistered unless its adapter still
 * runs (a story of another run that is using it right now keeps it).
 */
export async function removeDeadMetricsApi(cp: { dir: string; kubeconfig: string }): Promise<void> {
  if (readPidFile(metricsAdapterPidFile(cp.dir)) !== undefined) return;
  await unregisterMetricsApi(cp.kubeconfig);
}

/** On stopping the control plane: an adapter a killed run left running goes with it. */
export async function stopLeftoverMetricsAdapter(clusterDir: string): Promise<void> {
  await stopProcess(metricsAdapterPidFile(clusterDir));
}
