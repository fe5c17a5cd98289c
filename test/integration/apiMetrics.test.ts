/**
 * Every request to the API server is counted by verb and status, whichever client sends it: typed clients, the
 * server-side apply of KubernetesObjectApi, and the informers' list and watch. This is the count that later proves
 * "zero writes when idle", so a write that slipped past it would make that proof worthless.
 */
import {
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { instrumentKubeConfig, type KubeResponseCode, type KubeVerb } from '../../controller/src/kube/apiMetrics.ts';
import { Informer } from '../../controller/src/kube/informer.ts';
import { configMapsRef } from '../../controller/src/kube/resourceRef.ts';
import { waitFor } from '../support/wait.ts';
import { FaultyNetwork } from './faultyNetwork.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('api-metrics');

function counting() {
  const seen: string[] = [];
  const kc = instrumentKubeConfig(adminKubeConfig(), (verb: KubeVerb, code: KubeResponseCode, resource: string) => {
    seen.push(`${verb} ${resource || '(none)'} ${code}`);
  });
  return { kc, seen };
}

describe('API request metrics', () => {
  it('count a create, a get and a list with their verbs and status codes, and a missing object as 404', async () => {
    const { kc, seen } = counting();
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'counted' } } });
    await core.readNamespacedConfigMap({ namespace: ns.name, name: 'counted' });
    await core.listNamespacedConfigMap({ namespace: ns.name });
    await expect(core.readNamespacedConfigMap({ namespace: ns.name, name: 'absent' })).rejects.toMatchObject({
      code: 404,
    });
    await expect(
      core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'counted' } } }),
    ).rejects.toMatchObject({ code: 409 });
    expect(seen).toEqual([
      'create configmaps 201',
      'get configmaps 200',
      'list configmaps 200',
      'get configmaps 404',
      'create configmaps 409',
    ]);
  });

  it('count every kind of write, including server-side apply and calls that replace the middleware', async () => {
    const { kc, seen } = counting();
    const core = kc.makeApiClient(CoreV1Api);
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const applied: KubernetesObject & { data: Record<string, string> } = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'writes', namespace: ns.name },
      data: { step: '1' },
    };
    await objects.patch(applied, undefined, undefined, 'sluice-tests', true, PatchStrategy.ServerSideApply);
    await core.patchNamespacedConfigMap(
      { namespace: ns.name, name: 'writes', body: { data: { step: '2' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const current = await core.readNamespacedConfigMap({ namespace: ns.name, name: 'writes' }, { middleware: [] }); // 'replace' drops static middleware
    await core.replaceNamespacedConfigMap({
      namespace: ns.name,
      name: 'writes',
      body: { ...current, data: { step: '3' } },
    });
    await core.deleteNamespacedConfigMap({ namespace: ns.name, name: 'writes' });
    await core.deleteCollectionNamespacedConfigMap({ namespace: ns.name, labelSelector: 'nothing=here' });

    // KubernetesObjectApi first discovers the resource (a get of /api/v1), once per client.
    expect(seen).toEqual([
      'get (none) 200',
      'patch configmaps 201',
      'patch configmaps 200',
      'get configmaps 200',
      'update configmaps 200',
      'delete configmaps 200',
      'deletecollection configmaps 200',
    ]);
  });

  it("count the informers' list and watch, which do not go through a typed client", async () => {
    const { kc, seen } = counting();
    const informer = new Informer(kc, { resource: configMapsRef, namespace: ns.name });
    informer.start();
    try {
      await informer.synced;
      await waitFor(() => seen.includes('watch configmaps 200'), {
        timeoutMs: 10_000,
        what: 'the watch to be counted',
      });
      expect(seen).toEqual(['list configmaps 200', 'watch configmaps 200']);
    } finally {
      await informer.stop();
    }
  });

  it('count a request that got no answer as an error', async () => {
    const network = await FaultyNetwork.start(adminKubeConfig());
    try {
      network.cut();
      const seen: string[] = [];
      const kc = instrumentKubeConfig(network.kubeConfig(adminKubeConfig()), (verb, code, resource) =>
        seen.push(`${verb} ${resource} ${code}`),
      );
      await expect(kc.makeApiClient(CoreV1Api).readNamespace({ name: ns.name })).rejects.toThrow();
      expect(seen).toEqual(['get namespaces error']);
    } finally {
      await network.close();
    }
  });

  it('hold requests to the client-side rate limit', async () => {
    const seen: number[] = [];
    const kc = instrumentKubeConfig(adminKubeConfig(), () => seen.push(performance.now()), {
      rateLimit: { qps: 5, burst: 2 },
    });
    const core = kc.makeApiClient(CoreV1Api);
    const started = performance.now();
    await Promise.all(Array.from({ length: 7 }, () => core.readNamespace({ name: ns.name })));
    // Two go at once, the other five follow 200 ms apart: at least a second in all, however fast the server.
    expect(seen).toHaveLength(7);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
  });
});
