/**
 * The local control plane is a real Kubernetes: an API server that is ready, controllers that turn a Deployment
 * into Ready pods (kube-controller-manager, kube-scheduler and kwok), and CRDs with a status subresource.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { waitFor } from '../support/wait.ts';
import { adminKubeConfig, kubectl, useNamespace } from './support.ts';

const ns = useNamespace('cluster');

describe('the local control plane', () => {
  it('has a ready API server that kubectl can talk to', async () => {
    expect((await kubectl(['get', '--raw', '/readyz'])).trim()).toBe('ok');
    const version = JSON.parse(await kubectl(['version', '-o', 'json'])) as { serverVersion: { minor: string } };
    expect(Number.parseInt(version.serverVersion.minor, 10)).toBeGreaterThanOrEqual(36);
  });

  it('gives a Deployment with 3 replicas 3 Ready pods', async () => {
    const kc = adminKubeConfig();
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    await apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'example.invalid/web:1' }] },
          },
        },
      },
    });
    const dep = await waitFor(
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
        return d.status?.readyReplicas === 3 ? d : undefined;
      },
      { timeoutMs: 60_000, what: 'deployment web to have 3 ready replicas' },
    );
    expect(dep.status?.availableReplicas).toBe(3);
    const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(3);
    for (const pod of pods.items) {
      expect(pod.status?.phase).toBe('Running');
      expect(pod.spec?.nodeName).toMatch(/^kwok-node-/);
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
  });

  it('serves a CRD applied from YAML, and a custom object round-trips with a status patch', async () => {
    const kc = adminKubeConfig();
    const objects = kc.makeApiClient(KubernetesObjectApi);
    const [crd] = parseAllDocuments(readFileSync(join(import.meta.dirname, 'testdata/widget-crd.yaml'), 'utf8')).map(
      (d) => d.toJS() as KubernetesObject,
    );
    await objects.patch(crd!, undefined, undefined, 'sluice-tests', true, PatchStrategy.ServerSideApply);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const ref = { group: 'test.sluice.dev', version: 'v1', namespace: ns.name, plural: 'widgets' };
    // The CRD is Established before its endpoint answers; creating the object is the honest readiness check.
    await waitFor(
      async () => {
        await custom.createNamespacedCustomObject({
          ...ref,
          body: { apiVersion: 'test.sluice.dev/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } },
        });
        return true;
      },
      { timeoutMs: 30_000, what: 'the widgets endpoint to accept an object' },
    );

    await custom.patchNamespacedCustomObjectStatus(
      { ...ref, name: 'w1', body: { status: { phase: 'Ready' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const back = (await custom.getNamespacedCustomObject({ ...ref, name: 'w1' })) as {
      spec: { size: number };
      status: { phase: string };
    };
    expect(back.spec.size).toBe(3);
    expect(back.status.phase).toBe('Ready');

    // With the status subresource, a write to the main resource cannot change status.
    await custom.patchNamespacedCustomObject(
      { ...ref, name: 'w1', body: { spec: { size: 4 }, status: { phase: 'Hacked' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const after = (await custom.getNamespacedCustomObject({ ...ref, name: 'w1' })) as typeof back;
    expect(after.spec.size).toBe(4);
    expect(after.status.phase).toBe('Ready');

    // And the schema is enforced, with the field named.
    await expect(
      custom.createNamespacedCustomObject({
        ...ref,
        body: { apiVersion: 'test.sluice.dev/v1', kind: 'Widget', metadata: { name: 'w2' }, spec: { size: 0 } },
      }),
    ).rejects.toThrow(/spec.size/);
  });

  it('serves the Gateway API HTTPRoute, as a cluster with a Gateway implementation does', async () => {
    const custom = adminKubeConfig().makeApiClient(CustomObjectsApi);
    const ref = { group: 'gateway.networking.k8s.io', version: 'v1', namespace: ns.name, plural: 'httproutes' };
    await custom.createNamespacedCustomObject({
      ...ref,
      body: {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'web' },
        spec: {
          rules: [
            {
              backendRefs: [
                { name: 'web-stable', port: 80, weight: 100 },
                { name: 'web-canary', port: 80, weight: 0 },
              ],
            },
          ],
        },
      },
    });
    const route = (await custom.getNamespacedCustomObject({ ...ref, name: 'web' })) as {
      spec: { rules: { backendRefs: { weight: number }[] }[] };
    };
    expect(route.spec.rules[0]!.backendRefs.map((b) => b.weight)).toEqual([100, 0]);
  });
});
