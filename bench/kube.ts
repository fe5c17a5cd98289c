/**
 * The benchmark's side of the API server: the admin's clients, parallel writes with bounded concurrency and
 * retries, the objects of one benchmarked app (Deployment, HTTPRoute, Rollout), its own fake nodes, and a
 * list+watch that records when each change arrived.
 */
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RolloutSpec } from '../controller/src/api/types.ts';
import { clusterBinDir } from '../test/cluster/paths.ts';

export const rolloutRef = { group: 'sluice.dev', version: 'v1alpha1', plural: 'rollouts' };
export const routeRef = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' };
export const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Label on everything the benchmark creates (namespaces, nodes), so a crashed run's leftovers can be found. */
export const benchLabel = 'sluice.dev/bench';
/** Taint and label of the benchmark's nodes: only the benchmark's pods go there, and none of them go elsewhere. */
export const benchNodeTaint = { key: 'sluice.dev/bench', value: 'true', effect: 'NoSchedule' };

export interface Kube {
  kc: KubeConfig;
  kubeconfig: string;
  apps: AppsV1Api;
  core: CoreV1Api;
  custom: CustomObjectsApi;
}

export function connect(kubeconfig: string): Kube {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return {
    kc,
    kubeconfig,
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
  };
}

/** `kubectl apply --server-side -k dir`, as a user installs CRDs. */
export function applyServerSide(kube: Kube, dir: string): void {
  execFileSync(
    join(clusterBinDir(), 'kubectl'),
    [
      '--kubeconfig',
      kube.kubeconfig,
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=sluice-bench',
      '-k',
      dir,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

/** Runs fn over items with at most `limit` calls in flight. */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const retriable = (err: unknown) => !(err instanceof ApiException) || err.code === 429 || err.code >= 500;

/** Retries an API call that met a busy API server (429, 5xx, a reset connection); 409 AlreadyExists counts as done. */
export async function withRetry<T>(call: () => Promise<T>, what: string): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (err instanceof ApiException && err.code === 409) return undefined;
      if (!retriable(err) || attempt >= 8)
        throw new Error(
          `${what}: ${err instanceof ApiException ? `HTTP ${err.code} ${String(err.body).slice(0, 300)}` : String(err)}`,
          { cause: err },
        );
      await sleep(100 * 2 ** attempt);
    }
  }
}

/** Pods of the benchmark's apps go to its own nodes only. */
export const benchPlacement = {
  nodeSelector: { [benchNodeTaint.key]: benchNodeTaint.value },
  tolerations: [
    { key: benchNodeTaint.key, operator: 'Equal', value: benchNodeTaint.value, effect: benchNodeTaint.effect },
  ],
};

export function deployment(name: string, replicas: number, image = 'example.invalid/app:v1') {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 8080 }] }], ...benchPlacement },
      },
    },
  };
}

/** Gives every Deployment `names` the image v2 at once (at most `concurrency` patches in flight): a release of all. */
export async function releaseAll(
  kube: Kube,
  namespace: string,
  names: readonly string[],
  concurrency: number,
): Promise<void> {
  await forEachLimit(names, concurrency, async (name) => {
    await withRetry(
      () =>
        kube.apps.patchNamespacedDeployment(
          {
            namespace,
            name,
            body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'example.invalid/app:v2' }] } } } },
          },
          merge,
        ),
      `patch ${name}`,
    );
  });
}

export function httpRoute(name: string) {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name },
    spec: {
      rules: [
        {
          backendRefs: [
            { name: `${name}-stable`, port: 80, weight: 100 },
            { name: `${name}-canary`, port: 80, weight: 0 },
          ],
        },
      ],
    },
  };
}

export function rollout(name: string, spec: RolloutSpec) {
  return { apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', metadata: { name }, spec };
}

/** A Rollout of the Deployment `name` whose canary weight is written to the HTTPRoute `name`, or as trafficRouting says. */
export const routed = (
  name: string,
  trafficRouting: RolloutSpec['trafficRouting'] = { gatewayAPI: { httpRoute: name } },
) => ({
  workloadRef: { name },
  service: { port: 80 },
  trafficRouting,
});

export async function createNamespace(kube: Kube, name: string): Promise<void> {
  await kube.core.createNamespace({ body: { metadata: { name, labels: { [benchLabel]: 'true' } } } });
}

/**
 * Deletes a namespace whose controller is already stopped: first takes Sluice's finalizer off every Rollout
 * (nobody would remove it now), then deletes the namespace and waits, up to `timeoutMs`, until it is gone.
 */
export async function deleteNamespace(kube: Kube, name: string, timeoutMs: number): Promise<boolean> {
  const list = (await kube.custom
    .listNamespacedCustomObject({ ...rolloutRef, namespace: name })
    .catch(() => ({ items: [] }))) as { items: { metadata: { name: string; finalizers?: string[] } }[] };
  await forEachLimit(
    list.items.filter((r) => (r.metadata.finalizers ?? []).length > 0),
    16,
    async (r) => {
      await withRetry(
        () =>
          kube.custom.patchNamespacedCustomObject(
            { ...rolloutRef, namespace: name, name: r.metadata.name, body: { metadata: { finalizers: null } } },
            merge,
          ),
        `unfinalize ${r.metadata.name}`,
      ).catch(() => undefined);
    },
  );
  await kube.core.deleteNamespace({ name }).catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await kube.core.readNamespace({ name });
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return true;
    }
    await sleep(1_000);
  }
  return false;
}

/**
 * Fake nodes for the benchmark's pods, managed by the control plane's kwok (it manages every node annotated
 * kwok.x-k8s.io/node=fake) and tainted so that other users' pods never land on them.
 */
export async function createBenchNodes(
  kube: Kube,
  prefix: string,
  count: number,
  podsPerNode: number,
): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  for (const name of names) {
    await kube.core.createNode({
      body: {
        metadata: {
          name,
          annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
          labels: {
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            type: 'kwok',
            [benchNodeTaint.key]: benchNodeTaint.value,
            [benchLabel]: 'true',
          },
        },
        spec: { taints: [benchNodeTaint] },
        status: {
          allocatable: { cpu: '1000', memory: '4Ti', pods: String(podsPerNode) },
          capacity: { cpu: '1000', memory: '4Ti', pods: String(podsPerNode) },
        },
      },
    });
  }
  return names;
}

export async function deleteNodes(kube: Kube, names: readonly string[]): Promise<void> {
  for (const name of names) await kube.core.deleteNode({ name }).catch(() => undefined);
}

export async function waitNodesReady(kube: Kube, names: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const nodes = await kube.core.listNode({ labelSelector: `${benchLabel}=true` });
    const ready = nodes.items.filter(
      (n) =>
        names.includes(n.metadata!.name!) &&
        n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    if (ready.length === names.length) return;
    if (Date.now() > deadline)
      throw new Error(`only ${ready.length} of ${names.length} benchmark nodes turned Ready (is kwok running?)`);
    await sleep(500);
  }
}

interface Listed<T> {
  metadata?: { resourceVersion?: string };
  items: T[];
}

/**
 * List, then watch from the list's resourceVersion, calling onObject with each object and the time its event
 * arrived (performance.now()). Re-lists after a 410 or a dropped watch. stop() ends it.
 */
export function listWatch<T extends { metadata?: { name?: string; resourceVersion?: string } }>(
  kube: Kube,
  path: string,
  list: () => Promise<Listed<T>>,
  onObject: (type: string, obj: T, at: number) => void,
): { stop: () => void } {
  let stopped = false;
  let controller: AbortController | undefined;
  const watch = new Watch(kube.kc);
  const run = async (): Promise<void> => {
    const listed = await list();
    const at = performance.now();
    for (const item of listed.items) onObject('LIST', item, at);
    let rv = listed.metadata?.resourceVersion;
    for (;;) {
      if (stopped) return;
      const ended = await new Promise<unknown>((resolve) => {
        watch
          .watch(
            path,
            { resourceVersion: rv, allowWatchBookmarks: true },
            (type: string, obj: T) => {
              const arrived = performance.now();
              if (obj.metadata?.resourceVersion !== undefined) rv = obj.metadata.resourceVersion;
              if (type === 'ERROR') resolve(obj);
              else if (type !== 'BOOKMARK') onObject(type, obj, arrived);
            },
            (err: unknown) => resolve(err ?? 'closed'),
          )
          .then((c) => (controller = c), resolve);
      });
      if (stopped) return;
      const gone = typeof ended === 'object' && ended !== null && 'code' in ended && ended.code === 410;
      if (gone) return run();
      if (ended !== 'closed') await sleep(200);
    }
  };
  void run().catch((err: unknown) => {
    if (!stopped) console.error(`watch ${path} failed: ${String(err)}`);
  });
  return {
    stop: () => {
      stopped = true;
      controller?.abort();
    },
  };
}
