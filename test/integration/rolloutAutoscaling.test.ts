/**
 * A metric-driven autoscaler on a Rollout mid-canary (issue 16): kube-controller-manager's HorizontalPodAutoscaler
 * reads an Object metric of the Rollout through the custom metrics API, which a real aggregated API server
 * (test/cluster/go/metricsadapter) answers from the test Prometheus, which scrapes a gauge the story moves. Given a
 * canary paused at 25% on 2 replicas, when the load rises to three times what 2 pods take, then the autoscaler
 * scales the Rollout to 6 through its scale subresource, stable runs 6 pods and the canary ceil(6 x 25%) = 2; when
 * the load falls back, both follow it down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TestProject } from 'vitest/node';
import {
  ApiregistrationV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  type V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import { connectPrometheus } from '../fixtures/prometheus.ts';
import { freePort } from '../support/ports.ts';
import { readPidFile } from '../support/process.ts';
import { waitFor } from '../support/wait.ts';
import startTestServices from '../setup/global.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { startMetricsAdapter, type MetricsAdapter } from './metricsAdapter.ts';
import {
  createApp,
  createRollout,
  getRollout,
  replicaSetsOf,
  routeCanaryWeight,
  routedSpec,
  setImage,
  waitForRollout,
} from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, clusterInfo, kubectl, useNamespace } from './support.ts';

const ns = useNamespace('autoscale');
const info = inject('prometheus');
/** Requests in flight, as the application reports them; the autoscaler wants 10 per pod. */
const metric = 'app_inflight_requests';
const perPod = 10;
let controller: ControllerProcess;
let adapter: MetricsAdapter | undefined;
let exporter: ChildProcess | undefined;

beforeAll(async () => {
  if (info === null) throw new Error('this suite needs Prometheus: include "prometheus" in SLUICE_TEST_SERVICES');
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
  // The way prometheus-adapter is configured: a series, matched on the object's namespace and name.
  adapter = await startMetricsAdapter(info.url, {
    [`rollouts.sluice.dev/${metric}`]: `sum(${metric}{namespace="{{.Namespace}}",rollout="{{.Name}}"})`,
  });
});
afterAll(async () => {
  exporter?.kill('SIGTERM');
  // The controller stops even when unregistering the adapter fails: a controller left running would hold its Lease.
  try {
    await adapter?.stop();
  } finally {
    await controller?.stop();
  }
});

/** Starts the application's gauge at `value`; resolves once Prometheus has it, with a setter for the load. */
async function exportLoad(rollout: string, value: number): Promise<(value: number) => Promise<void>> {
  const prom = connectPrometheus(info!.url, info!.targetsDir);
  const port = await freePort();
  const labels = { namespace: ns.name, rollout };
  exporter = spawn(process.execPath, [join(import.meta.dirname, '../fixtures/gaugeExporter.ts')], {
    env: {
      ...process.env,
      EXPORTER_PORT: String(port),
      GAUGE_NAME: metric,
      GAUGE_LABELS: JSON.stringify(labels),
      GAUGE_VALUE: String(value),
    },
    stdio: 'inherit',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/metrics`).catch(() => undefined))?.ok ?? false, {
    timeoutMs: 15_000,
    what: 'the load exporter',
  });
  prom.setTargets(`autoscale-${rollout}`, [`127.0.0.1:${port}`]);
  const inProm = (v: number) => async () =>
    (await prom.query(`${metric}{namespace="${ns.name}",rollout="${rollout}"} == ${v}`)).length === 1;
  await waitFor(inProm(value), { timeoutMs: 60_000, what: `${metric} in Prometheus` });
  return async (v) => {
    const res = await fetch(`${url}/value?value=${v}`, { method: 'PUT' });
    if (!res.ok) throw new Error(`the load exporter refused ${v}: HTTP ${res.status}`);
    await waitFor(inProm(v), { timeoutMs: 15_000, what: `${metric} ${v} in Prometheus` });
  };
}

function autoscaler(rollout: string): V2HorizontalPodAutoscaler {
  return {
    metadata: { name: rollout },
    spec: {
      scaleTargetRef: { apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', name: rollout },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Object',
          object: {
            describedObject: { apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', name: rollout },
            metric: { name: metric },
            // The total load, shared by the pods: ceil(load / 10) replicas.
            target: { type: 'AverageValue', averageValue: String(perPod) },
          },
        },
      ],
      // Down as soon as the load falls, not after the default 5 minutes.
      behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
    },
  };
}

describe('given a canary paused at 25% on 2 replicas, with an autoscaler reading its load from Prometheus', () => {
  it('scales the Rollout to 6 when the load triples, and the canary follows ceil(6 x 25%)', async () => {
    await createApp(ns.name, 'busy', { replicas: 2, route: true });
    await createRollout(ns.name, 'busy', {
      ...routedSpec('busy'),
      replicas: 2,
      strategy: { canary: { steps: [{ setWeight: 25 }, { pause: {} }] } },
    });
    await waitForRollout(ns.name, 'busy', 'Healthy', (r) => r.status?.phase === 'Healthy');
    await setImage(ns.name, 'busy', 'example.invalid/app:v2');
    const paused = await waitForRollout(ns.name, 'busy', 'paused at 25%', (r) => r.status?.phase === 'Paused');
    const sizes = async () => {
      const sets = await replicaSetsOf(ns.name, 'busy');
      return [paused.status!.stableRevision, paused.status!.canaryRevision].map(
        (rev) => sets.find((s) => s.revision === rev)?.replicas,
      );
    };
    expect(await sizes()).toEqual([2, 1]);

    const setLoad = await exportLoad('busy', 2 * perPod); // what 2 pods take: the autoscaler keeps 2
    // The aggregated API answers through kube-apiserver, as any client reads it.
    const path = `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${ns.name}/rollouts.sluice.dev/busy/${metric}`;
    expect(JSON.parse(await kubectl(['get', '--raw', path]))).toMatchObject({
      items: [{ describedObject: { kind: 'Rollout', name: 'busy' }, metric: { name: metric }, value: '20' }],
    });
    const hpa = adminKubeConfig().makeApiClient(AutoscalingV2Api);
    await hpa.createNamespacedHorizontalPodAutoscaler({ namespace: ns.name, body: autoscaler('busy') });
    // The metric went Prometheus -> adapter -> kube-apiserver -> autoscaler: 20 in flight over 2 pods is 10 each.
    const reading = await waitFor(
      async () => {
        const status = (await hpa.readNamespacedHorizontalPodAutoscaler({ namespace: ns.name, name: 'busy' })).status;
        return status?.currentMetrics?.[0]?.object?.current.averageValue !== undefined ? status : undefined;
      },
      { timeoutMs: 30_000, what: 'the autoscaler reading the metric' },
    );
    expect(String(reading.currentMetrics![0]!.object!.current.averageValue)).toBe(String(perPod));
    expect(reading.desiredReplicas).toBe(2);
    expect((await getRollout(ns.name, 'busy')).spec.replicas).toBe(2);

    await setLoad(6 * perPod);
    const scaled = await waitForRollout(ns.name, 'busy', 'spec.replicas 6', (r) => r.spec.replicas === 6, 30_000);
    expect(scaled.status?.currentStepIndex).toBe(1); // still paused at its step: the autoscaler moved the size only
    await expect.poll(sizes, { timeout: 20_000 }).toEqual([6, 2]); // stable at full size, canary ceil(6 x 25%)
    expect(await routeCanaryWeight(ns.name, 'busy')).toBe(25);
    await waitForRollout(ns.name, 'busy', 'status.replicas 6', (r) => r.status?.replicas === 6);

    await setLoad(2 * perPod);
    await waitForRollout(ns.name, 'busy', 'spec.replicas back to 2', (r) => r.spec.replicas === 2, 30_000);
    await expect.poll(sizes, { timeout: 20_000 }).toEqual([2, 1]);
    expect((await getRollout(ns.name, 'busy')).status?.phase).toBe('Paused');
  });
});

// Review of the hpa-metrics work. Defect: a run killed while the adapter is registered (SIGKILL, a closed
// terminal, a machine restarted with the control plane's etcd kept) leaves APIService v1beta2.custom.metrics.k8s.io
// pointing at an adapter that no longer answers. Only startMetricsAdapter removes it, and only when an autoscaling
// story runs again: the next run's harness (global setup, which reuses the running control plane through up())
// leaves it. Until then discovery of that group fails, so the namespace controller keeps every deleted namespace
// Terminating (NamespaceDeletionDiscoveryFailure): each later story's namespace, with its ReplicaSets and pods,
// stays in the cluster for good, and kubectl prints a discovery error on every call.
describe('given a run killed while the metrics adapter was registered', () => {
  it("when the next run's harness starts on the same control plane, then a namespace can be deleted again", async () => {
    const kc = adminKubeConfig();
    const registration = kc.makeApiClient(ApiregistrationV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const apiService = 'v1beta2.custom.metrics.k8s.io';
    // The adapter of this file's stories dies as in a killed run: no unregistering.
    const adapterPid = readPidFile(join(clusterInfo().dir, 'metrics-adapter', 'metrics-adapter.pid'));
    expect(adapterPid, 'the adapter of the stories above is running').toBeDefined();
    process.kill(-adapterPid!.pid, 'SIGKILL');
    await waitFor(
      async () => {
        const api = await registration.readAPIServiceStatus({ name: apiService });
        return api.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'False') ?? false;
      },
      { timeoutMs: 60_000, what: `APIService ${apiService} unavailable once its adapter is dead` },
    );

    // The next run: the integration project's global setup, reusing this control plane (it stops nothing of it).
    const services = process.env['SLUICE_TEST_SERVICES'];
    process.env['SLUICE_TEST_SERVICES'] = 'cluster';
    try {
      const teardown = await startTestServices({ provide: () => undefined } as unknown as TestProject);
      await teardown();
    } finally {
      if (services === undefined) delete process.env['SLUICE_TEST_SERVICES'];
      else process.env['SLUICE_TEST_SERVICES'] = services;
    }

    const name = `${ns.name}-later`;
    await core.createNamespace({ body: { metadata: { name } } });
    await core.deleteNamespace({ name });
    let conditions = '';
    await waitFor(
      () =>
        core.readNamespace({ name }).then(
          (n) => {
            conditions = JSON.stringify(n.status?.conditions?.filter((c) => c.status === 'True'));
            return false;
          },
          (err: { code?: number }) => err.code === 404,
        ),
      { timeoutMs: 60_000, what: `namespace ${name} deleted` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; its conditions: ${conditions}`);
    });
  });
});
