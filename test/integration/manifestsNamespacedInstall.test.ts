/**
 * The namespaced install of manifests/namespaced, against the real API server: the controller, as the Dockerfile's
 * final stage holds it, runs with nothing but the ServiceAccount's token and takes a replica-ratio canary to Healthy
 * with no request refused, and the ServiceAccount may act in its own namespace only.
 */
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { allowed, applyYaml, render, serviceAccountKubeconfig } from './installation.ts';
import { replicaRatioCanaryThroughPromote } from './installCanaryStory.ts';
import { accessMatrix, namespaceOnlyGrants, rolloutRef, useManifestsInstall } from './manifestsInstall.ts';
import { containerOf, one } from './renderedManifests.ts';
import { createApp, setImage, waitForRollout, waitForPromotion } from './rolloutStory.ts';
import { adminKubeConfig } from './support.ts';

const install = useManifestsInstall();
const sameSelector = (selector: Record<string, string> | undefined) => JSON.stringify(selector) === '{"app":"cart"}';
const { suffix, app, nsInstall, controllers } = install;

describe('namespaced install, the controller running as its ServiceAccount', () => {
  let controller: ControllerProcess;
  let saKubeconfig: string;

  beforeAll(async () => {
    const rendered = await render('manifests/namespaced', { namespace: nsInstall.name, nameSuffix: suffix });
    await applyYaml(rendered.yaml);
    saKubeconfig = await serviceAccountKubeconfig(nsInstall.name, `sluice${suffix}`);
    await waitFor(
      () =>
        allowed(saKubeconfig, { group: 'sluice.dev', resource: 'rollouts', verb: 'watch', namespace: nsInstall.name }),
      { timeoutMs: 15_000, what: 'the RoleBinding to take effect' },
    );
    // The Deployment's flags as the kubelet expands them ($(POD_NAMESPACE) from the downward API).
    const args = (containerOf(one(rendered.objects, 'Deployment')).args ?? []).map((a) =>
      a.replace('$(POD_NAMESPACE)', nsInstall.name),
    );
    controller = await startController({
      namespace: nsInstall.name,
      name: 'sluice-namespaced',
      entry: install.payload.entry,
      nodeFlags: install.payload.nodeFlags,
      kubeconfig: saKubeconfig,
      allNamespaces: true,
      extraArgs: [...args, `--leader-election-namespace=${nsInstall.name}`],
    });
    controllers.push(controller);
  }, 120_000);

  it('takes a replica-ratio canary to Healthy after a promote, and the API server refuses none of its requests', async () => {
    await replicaRatioCanaryThroughPromote(controller, nsInstall.name);
  });

  it('takes a blue-green Rollout that adopts a Service the user made through a promotion and a deletion, with no request refused', async () => {
    const ns = nsInstall.name;
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    await createApp(ns, 'cart', { replicas: 2, route: false });
    await core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: 'cart' },
        spec: { selector: { app: 'cart' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    const custom = adminKubeConfig().makeApiClient(CustomObjectsApi);
    await custom.createNamespacedCustomObject({
      ...rolloutRef,
      namespace: ns,
      body: {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'Rollout',
        metadata: { name: 'cart' },
        spec: {
          workloadRef: { name: 'cart' },
          service: { port: 80, targetPort: 8080 },
          strategy: { blueGreen: { activeService: 'cart', previewService: 'cart-preview', scaleDownDelaySeconds: 0 } },
        },
      },
    });
    const blue = await waitForRollout(ns, 'cart', 'cart Healthy', (r) => r.status?.phase === 'Healthy');
    await setImage(ns, 'cart', 'example.invalid/app:v2');
    const green = await waitForPromotion(ns, 'cart', blue, undefined, 'Healthy on the new revision');
    const adopted = await core.readNamespacedService({ namespace: ns, name: 'cart' });
    expect(adopted.spec?.selector?.['sluice.dev/revision']).toBe(green.status?.stableRevision);
    await custom.deleteNamespacedCustomObject({ ...rolloutRef, namespace: ns, name: 'cart' });
    await waitFor(
      async () => sameSelector((await core.readNamespacedService({ namespace: ns, name: 'cart' })).spec?.selector),
      { timeoutMs: 60_000, what: "the Service's own selector back" },
    );
    expect(await controller.metric('sluice_kube_api_requests_total', { code: '403' })).toBe(0);
  });

  it('lets the ServiceAccount act in its namespace only', async () => {
    const namespaced = namespaceOnlyGrants();
    const nowhere = Object.fromEntries(Object.keys(namespaced).map((k) => [k, []]));
    expect(await accessMatrix(saKubeconfig, Object.keys(namespaced), nsInstall.name)).toEqual(namespaced);
    expect(await accessMatrix(saKubeconfig, Object.keys(namespaced), app.name)).toEqual(nowhere);
    expect(await accessMatrix(saKubeconfig, Object.keys(namespaced), undefined)).toEqual(nowhere);
    expect(await accessMatrix(saKubeconfig, ['sluice.dev/clusteranalysistemplates'], undefined)).toEqual({
      'sluice.dev/clusteranalysistemplates': ['list', 'watch'],
    });
  });
});
