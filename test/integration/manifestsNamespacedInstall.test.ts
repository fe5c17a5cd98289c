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
import { accessMatrix, rolloutRef, routerGrants, useManifestsInstall } from './manifestsInstall.ts';
import { containerOf, one } from './renderedManifests.ts';
import { createApp, replicaSetsOf, requestAction, setImage, waitForRollout } from './rolloutStory.ts';
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
      kubeconfig: saKubeconfig,
      allNamespaces: true,
      extraArgs: [...args, `--leader-election-namespace=${nsInstall.name}`],
    });
    controllers.push(controller);
  }, 120_000);

  it('takes a replica-ratio canary to Healthy after a promote, and the API server refuses none of its requests', async () => {
    const ns = nsInstall.name;
    await createApp(ns, 'shop', { replicas: 4, route: false });
    const custom = adminKubeConfig().makeApiClient(CustomObjectsApi);
    await custom.createNamespacedCustomObject({
      ...rolloutRef,
      namespace: ns,
      body: {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'Rollout',
        metadata: { name: 'shop' },
        spec: { workloadRef: { name: 'shop' }, strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } } },
      },
    });
    await waitForRollout(ns, 'shop', 'shop Healthy', (r) => r.status?.phase === 'Healthy');
    await setImage(ns, 'shop', 'example.invalid/app:v2');
    const paused = await waitForRollout(ns, 'shop', 'paused with half the pods', (r) => r.status?.phase === 'Paused');
    const sets = await replicaSetsOf(ns, 'shop');
    expect(sets.find((s) => s.revision === paused.status?.canaryRevision)?.replicas).toBe(2);
    expect(sets.find((s) => s.revision === paused.status?.stableRevision)?.replicas).toBe(4);
    await requestAction(ns, 'shop', 'promote');
    await waitForRollout(
      ns,
      'shop',
      'Healthy on the new revision',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === paused.status?.canaryRevision,
    );
    expect(await controller.metric('sluice_kube_api_requests_total', { code: '403' })).toBe(0);
    expect(await controller.metric('sluice_leader')).toBe(1);
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
    const green = await waitForRollout(
      ns,
      'cart',
      'Healthy on the new revision',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRevision !== blue.status?.stableRevision,
    );
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
    const namespaced: Record<string, string[]> = {
      'sluice.dev/rollouts': ['list', 'watch', 'patch'],
      'sluice.dev/rollouts/status': ['update', 'patch'],
      'apps/deployments': ['list', 'watch', 'patch'],
      'apps/replicasets': ['list', 'watch', 'create', 'patch', 'delete'],
      '/services': ['get', 'list', 'watch', 'create', 'patch'],
      'autoscaling/horizontalpodautoscalers': ['list', 'watch'],
      'policy/poddisruptionbudgets': ['list', 'watch', 'create', 'patch', 'delete'],
      '/pods': ['list', 'watch'],
      '/pods/eviction': ['create'],
      '/events': ['list', 'watch', 'create'],
      ...routerGrants(),
      '/secrets': [],
      'authentication.k8s.io/tokenreviews': [],
    };
    const nowhere = Object.fromEntries(Object.keys(namespaced).map((k) => [k, []]));
    expect(await accessMatrix(saKubeconfig, Object.keys(namespaced), nsInstall.name)).toEqual(namespaced);
    expect(await accessMatrix(saKubeconfig, Object.keys(namespaced), app.name)).toEqual(nowhere);
    expect(await accessMatrix(saKubeconfig, Object.keys(namespaced), undefined)).toEqual(nowhere);
    expect(await accessMatrix(saKubeconfig, ['sluice.dev/clusteranalysistemplates'], undefined)).toEqual({
      'sluice.dev/clusteranalysistemplates': ['list', 'watch'],
    });
  });
});
