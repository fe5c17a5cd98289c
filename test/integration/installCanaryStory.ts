/**
 * The stories the install stories tell (kustomize in manifestsClusterInstall.test.ts and
 * manifestsNamespacedInstall.test.ts, Helm in helmChartInstall.test.ts) once the controller runs as the install's
 * ServiceAccount: a canary taken to promotion with no request of the controller refused.
 */
import { AppsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { expect } from 'vitest';
import type { RolloutSpec } from '../../controller/src/api/types.ts';
import { instanceIdLabel } from '../../controller/src/config.ts';
import { waitFor } from '../support/wait.ts';
import type { ControllerProcess } from './controllerProcess.ts';
import { postAction, serviceAccountToken } from './dashboardStory.ts';
import { rolloutRef } from './manifestsInstall.ts';
import {
  createApp,
  getRollout,
  replicaSetsOf,
  requestAction,
  routeCanaryWeight,
  setImage,
  waitForRollout,
} from './rolloutStory.ts';
import { adminKubeConfig } from './support.ts';

/** In `ns`, the Rollout "web" labelled for the controller's --instance-id, from start to deletion. */
export async function canaryThroughDashboardPromote(controller: ControllerProcess, ns: string, instanceId: string) {
  await createApp(ns, 'web', { replicas: 2, route: true });
  const spec: RolloutSpec = {
    workloadRef: { name: 'web' },
    service: { port: 80, targetPort: 8080 },
    trafficRouting: { gatewayAPI: { httpRoute: 'web' } },
    strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } },
  };
  const custom = adminKubeConfig().makeApiClient(CustomObjectsApi);
  await custom.createNamespacedCustomObject({
    ...rolloutRef,
    namespace: ns,
    body: {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'web', labels: { [instanceIdLabel]: instanceId } },
      spec,
    },
  });
  await waitForRollout(ns, 'web', 'web Healthy', (r) => r.status?.phase === 'Healthy');
  await setImage(ns, 'web', 'example.invalid/app:v2');
  const paused = await waitForRollout(
    ns,
    'web',
    'paused at the pause step',
    (r) => r.status?.phase === 'Paused' && r.status.currentStepIndex === 1,
  );
  expect(await routeCanaryWeight(ns, 'web')).toBe(20);

  const oncall = await serviceAccountToken(ns, 'oncall', { patchRollouts: ['web'] });
  const answer = await postAction(controller.dashboardUrl, ns, 'web', 'promote', {
    authorization: `Bearer ${oncall.token}`,
  });
  expect(answer.status).toBe(202);
  await waitForRollout(
    ns,
    'web',
    'Healthy on the new revision',
    (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === paused.status?.canaryRevision,
  );
  // status records the decision before its traffic move (execute.ts): wait the one write that follows
  await expect.poll(() => routeCanaryWeight(ns, 'web'), { timeout: 10_000 }).toBe(0);
  const apps = adminKubeConfig().makeApiClient(AppsV1Api);
  expect((await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).spec?.replicas).toBe(0);

  // Deleting the Rollout hands the application back to its Deployment before the finalizer goes.
  await custom.deleteNamespacedCustomObject({ ...rolloutRef, namespace: ns, name: 'web' });
  await waitFor(
    async () =>
      await getRollout(ns, 'web').then(
        () => false,
        () => true,
      ),
    { timeoutMs: 60_000, what: 'the Rollout to be gone' },
  );
  expect((await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).spec?.replicas).toBe(2);

  expect(await controller.metric('sluice_kube_api_requests_total', { code: '403' })).toBe(0);
  for (const verb of ['list', 'watch', 'create', 'update', 'patch'])
    expect(await controller.metric('sluice_kube_api_requests_total', { verb }), verb).toBeGreaterThan(0);
  expect(await controller.metric('sluice_leader')).toBe(1);
}

/** In `ns`, the Rollout "shop" without a router: half the pods on the canary at the pause, then a promote. */
export async function replicaRatioCanaryThroughPromote(controller: ControllerProcess, ns: string) {
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
}
