/**
 * The informer against the real API server: it hands over keys only, keeps the API server's JSON, survives a cut
 * connection and a silently hanging watch, and its periodic relist catches what a stalled watch missed.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { instrumentKubeConfig } from '../../controller/src/kube/apiMetrics.ts';
import { Informer, type InformerOptions, type RestartReason } from '../../controller/src/kube/informer.ts';
import { configMapsRef } from '../../controller/src/kube/resourceRef.ts';
import { waitFor } from '../support/wait.ts';
import { FaultyNetwork } from './faultyNetwork.ts';
import { adminKubeConfig, clusterInfo, kubectl, useNamespace } from './support.ts';

const ns = useNamespace('informer');
const core = () => adminKubeConfig().makeApiClient(CoreV1Api);

/** An informer whose notifications, restarts and established watches are written down, in order. */
function recordedInformer(kc: KubeConfig, story: string, options: Partial<InformerOptions> = {}) {
  const timeline: string[] = [];
  const calls: unknown[][] = [];
  const restarts: RestartReason[] = [];
  // Counting requests tells the story when a watch is established (its 200 arrived), so it can break it.
  const counted = instrumentKubeConfig(kc, (verb, code) => {
    if (verb === 'watch' && code === 200) timeline.push('watching');
  });
  const informer = new Informer<V1ConfigMapJson>(counted, {
    resource: configMapsRef,
    namespace: ns.name,
    labelSelector: `story=${story}`,
    backoff: { initialMs: 200, maxMs: 1_000 },
    onRestart: (_kind, reason) => {
      restarts.push(reason);
      timeline.push(`restart:${reason}`);
    },
    ...options,
  });
  // The object itself is summed up as its data.source: what it held when the handler was called.
  informer.onChange((kind, key, object) => {
    calls.push([kind, key, object.data?.source]);
    timeline.push(`key:${key}`);
  });
  informers.push(informer);
  return { informer, timeline, calls, restarts };
}

/** A ConfigMap as the API server sends it: timestamps are strings. */
type V1ConfigMapJson = Omit<V1ConfigMap, 'metadata'> & {
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    annotations?: Record<string, string>;
  };
};

const informers: Informer<V1ConfigMapJson>[] = [];
afterEach(async () => {
  await Promise.all(informers.splice(0).map((i) => i.stop()));
});

async function createConfigMap(story: string, name: string, data: Record<string, string> = {}): Promise<void> {
  await core().createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name, labels: { story } }, data } });
}

/** What the API server holds for a story: name -> resourceVersion. */
async function serverState(story: string): Promise<Record<string, string>> {
  const list = await core().listNamespacedConfigMap({ namespace: ns.name, labelSelector: `story=${story}` });
  return Object.fromEntries(list.items.map((cm) => [cm.metadata!.name!, cm.metadata!.resourceVersion!]));
}

function cacheState(informer: Informer<V1ConfigMapJson>): Record<string, string> {
  return Object.fromEntries(informer.list(ns.name).map((cm) => [cm.metadata!.name!, cm.metadata!.resourceVersion!]));
}

async function converged(informer: Informer<V1ConfigMapJson>, story: string): Promise<void> {
  await waitFor(async () => JSON.stringify(cacheState(informer)) === JSON.stringify(await serverState(story)), {
    timeoutMs: 30_000,
    what: `the ${story} cache to match the API server`,
  });
}

describe('the informer', () => {
  it('sees ConfigMaps created, updated and deleted, and hands over the kind, the key and the object (its last state when deleted)', async () => {
    await createConfigMap('crud', 'listed', { source: 'list' });
    const { informer, calls } = recordedInformer(adminKubeConfig(), 'crud');
    informer.start();
    await informer.synced;
    expect(informer.hasSynced()).toBe(true);
    expect(calls).toEqual([['ConfigMap', `${ns.name}/listed`, 'list']]);

    await createConfigMap('crud', 'watched', { source: 'watch' });
    await waitFor(() => informer.get(ns.name, 'watched'), {
      timeoutMs: 10_000,
      what: 'the created ConfigMap in the cache',
    });
    await core().patchNamespacedConfigMap({
      namespace: ns.name,
      name: 'watched',
      body: [{ op: 'replace', path: '/data/source', value: 'patched' }],
    });
    await waitFor(() => informer.get(ns.name, 'watched')?.data?.source === 'patched', {
      timeoutMs: 10_000,
      what: 'the update in the cache',
    });
    await core().deleteNamespacedConfigMap({ namespace: ns.name, name: 'watched' });
    await waitFor(() => informer.get(ns.name, 'watched') === undefined, {
      timeoutMs: 10_000,
      what: 'the deletion in the cache',
    });

    const key = `${ns.name}/watched`;
    expect(calls.filter((c) => c[1] === key)).toEqual([
      ['ConfigMap', key, 'watch'],
      ['ConfigMap', key, 'patched'],
      ['ConfigMap', key, 'patched'],
    ]);
    expect(informer.list(ns.name).map((cm) => cm.metadata?.name)).toEqual(['listed']);
  });

  it('stores objects from the list and from the watch as the plain JSON the API server sends, less managedFields', async () => {
    await createConfigMap('shape', 'from-list', { a: '1' });
    const { informer } = recordedInformer(adminKubeConfig(), 'shape');
    informer.start();
    await informer.synced;
    await createConfigMap('shape', 'from-watch', { b: '2' });
    await waitFor(() => informer.get(ns.name, 'from-watch'), { timeoutMs: 10_000, what: 'the watched ConfigMap' });

    for (const name of ['from-list', 'from-watch']) {
      const cached = informer.get(ns.name, name);
      const fromKubectl = JSON.parse(
        await kubectl(['get', 'configmap', name, '-n', ns.name, '-o', 'json', '--show-managed-fields']),
      ) as V1ConfigMapJson & { metadata: { managedFields?: unknown } };
      expect(fromKubectl.metadata.managedFields, 'the API server keeps them').toBeDefined();
      const { managedFields: _left, ...metadata } = fromKubectl.metadata;
      expect(cached, name).toEqual({ ...fromKubectl, metadata });
      expect(typeof cached?.metadata?.creationTimestamp, name).toBe('string');
      expect(JSON.parse(JSON.stringify(cached)), `${name} is plain JSON`).toEqual(cached);
    }

    // kubectl apply's copy of the whole object is left out of the cache too; the other annotations stay.
    await kubectl(['create', 'configmap', 'applied', '-n', ns.name, '--from-literal=c=3', '--save-config']);
    await kubectl(['annotate', 'configmap', 'applied', '-n', ns.name, 'team=payments']);
    await kubectl(['label', 'configmap', 'applied', '-n', ns.name, 'story=shape']);
    await waitFor(() => informer.get(ns.name, 'applied'), { timeoutMs: 10_000, what: 'the applied ConfigMap' });
    const onServer = JSON.parse(
      await kubectl(['get', 'configmap', 'applied', '-n', ns.name, '-o', 'json']),
    ) as V1ConfigMapJson & { metadata: { annotations: Record<string, string> } };
    expect(Object.keys(onServer.metadata.annotations).sort()).toEqual([
      'kubectl.kubernetes.io/last-applied-configuration',
      'team',
    ]);
    expect(informer.get(ns.name, 'applied')?.metadata).toMatchObject({
      annotations: { team: 'payments' },
      resourceVersion: onServer.metadata.resourceVersion,
    });
    expect(Object.keys((informer.get(ns.name, 'applied')?.metadata as { annotations: object }).annotations)).toEqual([
      'team',
    ]);
  });

  it('recovers after its connection is cut, and its cache converges with changes made meanwhile', async () => {
    const network = await FaultyNetwork.start(adminKubeConfig());
    try {
      await createConfigMap('cut', 'before-1');
      await createConfigMap('cut', 'before-2');
      const { informer, restarts } = recordedInformer(network.kubeConfig(adminKubeConfig()), 'cut');
      informer.start();
      await informer.synced;

      network.cut();
      await waitFor(() => restarts.includes('error'), { timeoutMs: 10_000, what: 'the informer to notice the cut' });
      await core().deleteNamespacedConfigMap({ namespace: ns.name, name: 'before-1' });
      await core().patchNamespacedConfigMap({
        namespace: ns.name,
        name: 'before-2',
        body: [{ op: 'add', path: '/data', value: { edited: 'yes' } }],
      });
      await createConfigMap('cut', 'during');
      expect(Object.keys(cacheState(informer)).sort()).toEqual(['before-1', 'before-2']);

      network.heal();
      await converged(informer, 'cut');
      expect(informer.get(ns.name, 'before-2')?.data).toEqual({ edited: 'yes' });
    } finally {
      await network.close();
    }
  });

  it('restarts a watch that went silent once no event or bookmark came for the no-progress timeout', async () => {
    const network = await FaultyNetwork.start(adminKubeConfig());
    try {
      const { informer, timeline } = recordedInformer(network.kubeConfig(adminKubeConfig()), 'stall', {
        noProgressTimeoutMs: 3_000,
        resyncPeriodMs: 0,
      });
      informer.start();
      await informer.synced;
      await waitFor(() => timeline.includes('watching'), {
        timeoutMs: 10_000,
        intervalMs: 20,
        what: 'the watch to be established',
      });

      network.freezeOpenConnections(); // the watch's connection stays open and carries nothing: a silent stall
      timeline.push('frozen');
      await createConfigMap('stall', 'missed-by-the-frozen-watch');
      await waitFor(() => informer.get(ns.name, 'missed-by-the-frozen-watch'), {
        timeoutMs: 20_000,
        what: 'the ConfigMap through a new watch',
      });

      const frozenAt = timeline.indexOf('frozen');
      const stalledAt = timeline.indexOf('restart:stalled', frozenAt);
      expect(stalledAt, timeline.join(' ')).toBeGreaterThan(frozenAt);
      expect(timeline.indexOf(`key:${ns.name}/missed-by-the-frozen-watch`), timeline.join(' ')).toBeGreaterThan(
        stalledAt,
      );
      expect(timeline).not.toContain('restart:resync');
    } finally {
      await network.close();
    }
  });

  it('relists on its resync period and notifies what a stalled watch missed, including deletions', async () => {
    const network = await FaultyNetwork.start(adminKubeConfig());
    try {
      await createConfigMap('resync', 'doomed');
      // The watchdog is far away: only the relist can notice anything while the watch is frozen.
      const { informer, timeline } = recordedInformer(network.kubeConfig(adminKubeConfig()), 'resync', {
        noProgressTimeoutMs: 120_000,
        resyncPeriodMs: 3_000,
      });
      informer.start();
      await informer.synced;
      await waitFor(() => timeline.includes('watching'), {
        timeoutMs: 10_000,
        intervalMs: 20,
        what: 'the watch to be established',
      });

      network.freezeOpenConnections();
      timeline.push('frozen');
      await core().deleteNamespacedConfigMap({ namespace: ns.name, name: 'doomed' });
      await createConfigMap('resync', 'newcomer');
      await converged(informer, 'resync');

      const resyncAt = timeline.indexOf('restart:resync', timeline.indexOf('frozen'));
      expect(resyncAt, timeline.join(' ')).toBeGreaterThan(0);
      expect(timeline.indexOf(`key:${ns.name}/doomed`, resyncAt), timeline.join(' ')).toBeGreaterThan(resyncAt);
      expect(timeline.indexOf(`key:${ns.name}/newcomer`), timeline.join(' ')).toBeGreaterThan(resyncAt);
      expect(timeline).not.toContain('restart:stalled');
    } finally {
      await network.close();
    }
  });

  it('leaves no timer and no socket behind when stopped: a process that only ran an informer exits by itself', async () => {
    // Timers of 60 s and a watch the API server would keep open for minutes: either one left behind would keep
    // the process alive long after stop().
    const script = join(import.meta.dirname, 'testdata', 'informerThenStop.ts');
    const child = spawn(process.execPath, [script, clusterInfo().kubeconfig, ns.name], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let stoppedAt = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('stopped')) stoppedAt = performance.now();
    });
    const deadline = setTimeout(() => child.kill('SIGKILL'), 40_000);
    try {
      expect(await exited).toBe(0);
    } finally {
      clearTimeout(deadline);
    }
    expect(stoppedAt).toBeGreaterThan(0);
    expect(performance.now() - stoppedAt).toBeLessThan(10_000);
  });
});
