/**
 * The switch from Argo Rollouts to Sluice on a live service, in the order docs/migrating.md gives, with the
 * Service's EndpointSlices watched throughout: there must be no moment with no ready pod behind the Service, from
 * Argo's pods to the Deployment's, to Sluice's, through a canary, and back to the Deployment when the Sluice Rollout
 * is deleted (the way back).
 *
 * There is no Argo controller here. What stands in for it is what Argo Rollouts leaves running in workloadRef
 * mode: the referenced Deployment scaled to 0 (workloadRef.scaleDown), and Argo's own ReplicaSet running the
 * Deployment's pod template plus a `rollouts-pod-template-hash` label, owned (controller: true) by the Rollout. The
 * owner here is a ConfigMap standing in for the Argo Rollout: deleting it is `kubectl delete rollout`, and the
 * garbage collector then deletes the ReplicaSet and its pods, as it does Argo's.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { clients, createRollout, kubectlSluice, setImage, waitForRollout } from './rolloutStory.ts';
import { readyEndpoints, replicaSetOfPod, watchServiceEndpoints, type EndpointHistory } from './serviceEndpoints.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('migrate');
let controller: ControllerProcess;

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});
afterAll(async () => controller?.stop());

const replicas = 3;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const sluice = (...args: string[]) => kubectlSluice(ns.name, ...args);

const podTemplate = (app: string, extraLabels: Record<string, string> = {}) => ({
  metadata: { labels: { app, ...extraLabels } },
  spec: { containers: [{ name: 'app', image: 'example.invalid/app:v1', ports: [{ containerPort: 8080 }] }] },
});

/**
 * The user's Service (selector: the app label), the Deployment Argo scaled to 0, and Argo's ReplicaSet serving in
 * its place, owned by the stand-in for the Argo Rollout. Returns once the Service has `replicas` ready endpoints.
 */
async function givenArgoWorkloadRef(app: string): Promise<{ argoReplicaSet: string }> {
  const { apps, core } = clients();
  await core.createNamespacedService({
    namespace: ns.name,
    body: {
      metadata: { name: app },
      spec: { selector: { app }, ports: [{ port: 80, targetPort: 8080 }] },
    },
  });
  await apps.createNamespacedDeployment({
    namespace: ns.name,
    body: {
      metadata: { name: app },
      spec: { replicas: 0, selector: { matchLabels: { app } }, template: podTemplate(app) },
    },
  });
  const rollout = await core.createNamespacedConfigMap({
    namespace: ns.name,
    body: { metadata: { name: `${app}-argo-rollout` }, data: { standsFor: 'argoproj.io/v1alpha1 Rollout' } },
  });
  const hash = { 'rollouts-pod-template-hash': '6c54f9b8d4' };
  const argoReplicaSet = `${app}-6c54f9b8d4`;
  await apps.createNamespacedReplicaSet({
    namespace: ns.name,
    body: {
      metadata: {
        name: argoReplicaSet,
        labels: { app, ...hash },
        // A controller reference, as Argo sets: without one the Deployment, whose selector matches these labels,
        // would adopt this ReplicaSet and scale it as one of its own old ones.
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            name: rollout.metadata!.name!,
            uid: rollout.metadata!.uid!,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { replicas, selector: { matchLabels: { app, ...hash } }, template: podTemplate(app, hash) },
    },
  });
  await waitFor(async () => (await readyEndpoints(ns.name, app)).length === replicas, {
    timeoutMs: 60_000,
    intervalMs: 200,
    what: `${replicas} ready endpoints behind Service ${app}`,
  });
  return { argoReplicaSet };
}

/** Migration step: the Deployment runs the application again, with all its pods available. */
async function scaleDeploymentUpAndWait(app: string): Promise<string> {
  const { apps } = clients();
  await apps.patchNamespacedDeployment({ namespace: ns.name, name: app, body: { spec: { replicas } } }, mergePatch);
  await waitFor(
    async () => {
      const d = await apps.readNamespacedDeployment({ namespace: ns.name, name: app });
      const done = d.status?.observedGeneration === d.metadata?.generation && d.status?.availableReplicas === replicas;
      return done ? d : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: `Deployment ${app} with ${replicas} available pods` },
  );
  const owned = await replicaSetsOfDeployment(app);
  expect(owned, `the ReplicaSets of Deployment ${app}: one pod template so far`).toHaveLength(1);
  return owned[0]!;
}

/** Migration step: `kubectl delete rollout <name>` of Argo; the garbage collector deletes its ReplicaSet and
 * pods (in the background, as kubectl asks): waits until they are gone. */
async function deleteArgoRollout(app: string, argoReplicaSet: string): Promise<void> {
  const { apps, core } = clients();
  await core.deleteNamespacedConfigMap({ namespace: ns.name, name: `${app}-argo-rollout` });
  await waitFor(
    async () => {
      const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: `app=${app}` });
      const left = pods.items.filter((p) => replicaSetOfPod(p.metadata!.name!) === argoReplicaSet);
      const rs = await apps.listNamespacedReplicaSet({ namespace: ns.name, labelSelector: `app=${app}` });
      return left.length === 0 && !rs.items.some((r) => r.metadata?.name === argoReplicaSet);
    },
    { timeoutMs: 60_000, intervalMs: 100, what: `Argo's ReplicaSet ${argoReplicaSet} and its pods gone` },
  );
}

/**
 * kwok makes a pod ready within moments, faster than the Deployment's pods take to leave: a Sluice that scaled the
 * Deployment to 0 before its own pods were ready would still pass the story. So while the Rollout is applied, the
 * namespace has a pod quota the Deployment already fills: Sluice's stable pods cannot start, and the Deployment must
 * keep serving until the quota is lifted. (Run once with the readiness check taken out of planner/canary.ts
 * takeOverWhenStableReady, the story fails here: the Deployment went to 0 and the Service was empty.)
 */
async function limitPodsToWhatRuns(): Promise<void> {
  const { core } = clients();
  await core.createNamespacedResourceQuota({
    namespace: ns.name,
    body: { metadata: { name: 'pods' }, spec: { hard: { pods: String(replicas) } } },
  });
  // The quota is enforced once its usage is computed: the Rollout comes after.
  await waitFor(
    async () =>
      (await core.readNamespacedResourceQuota({ namespace: ns.name, name: 'pods' })).status?.used?.pods ===
      String(replicas),
    { timeoutMs: 30_000, intervalMs: 100, what: 'the pod quota in force' },
  );
}

/** Sluice's ReplicaSet was refused its pods; for a while after, the Deployment still runs all of its own. */
async function deploymentKeptWhileSluicePodsCannotStart(app: string): Promise<void> {
  const { apps, core } = clients();
  await waitFor(
    async () =>
      (
        await apps.listNamespacedReplicaSet({ namespace: ns.name, labelSelector: `sluice.dev/rollout=${app}` })
      ).items.some((rs) => rs.status?.conditions?.some((c) => c.type === 'ReplicaFailure' && c.status === 'True')),
    { timeoutMs: 30_000, intervalMs: 100, what: "Sluice's ReplicaSet refused its pods by the quota" },
  );
  // A negative needs a window: the reconciles that the ReplicaSet's creation and its failure woke have run by then.
  const until = Date.now() + 3_000;
  while (Date.now() < until) {
    const d = await apps.readNamespacedDeployment({ namespace: ns.name, name: app });
    expect(d.spec?.replicas, 'the Deployment while Sluice has no ready pod').toBe(replicas);
    await new Promise((r) => setTimeout(r, 200));
  }
  await core.deleteNamespacedResourceQuota({ namespace: ns.name, name: 'pods' });
}

const rolloutRef = { group: 'sluice.dev', version: 'v1alpha1', plural: 'rollouts' };

async function rolloutNames(): Promise<string[]> {
  const list = (await clients().custom.listNamespacedCustomObject({ ...rolloutRef, namespace: ns.name })) as {
    items: { metadata: { name: string } }[];
  };
  return list.items.map((r) => r.metadata.name);
}

/** The names of the ReplicaSets a Deployment controls. */
async function replicaSetsOfDeployment(app: string): Promise<string[]> {
  const { apps } = clients();
  const d = await apps.readNamespacedDeployment({ namespace: ns.name, name: app });
  const sets = await apps.listNamespacedReplicaSet({ namespace: ns.name, labelSelector: `app=${app}` });
  return sets.items
    .filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.controller === true && o.uid === d.metadata?.uid))
    .map((rs) => rs.metadata!.name!);
}

function emptyMoments(history: EndpointHistory): number[] {
  return history.samples.filter((s) => s.readyPods.length === 0).map((s) => s.at);
}

describe('given a Deployment that Argo Rollouts runs in workloadRef mode (scaled to 0, Argo ReplicaSet serving)', () => {
  it('when it is handed over as docs/migrating.md says and a canary runs, the Service always has a ready pod', async () => {
    const { argoReplicaSet } = await givenArgoWorkloadRef('web');
    const endpoints = await watchServiceEndpoints(ns.name, 'web');
    expect(endpoints.samples[0]!.readyPods.map(replicaSetOfPod)).toEqual(Array(replicas).fill(argoReplicaSet));

    // 1. The Deployment runs the application again beside Argo's pods, and is waited for.
    const deploymentReplicaSet = await scaleDeploymentUpAndWait('web');
    // 2. The Argo Rollout is deleted: its ReplicaSet and pods go.
    await deleteArgoRollout('web', argoReplicaSet);
    // 3. The Sluice Rollout takes the Deployment over: its stable pods first, then the Deployment scaled to 0.
    await limitPodsToWhatRuns();
    await createRollout(ns.name, 'web', {
      workloadRef: { name: 'web' },
      service: { port: 80, targetPort: 8080 },
      strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } },
    });
    await deploymentKeptWhileSluicePodsCannotStart('web');
    const healthy = await waitForRollout(ns.name, 'web', 'web Healthy', (r) => r.status?.phase === 'Healthy');
    const stable = healthy.status!.stableRevision!;
    const deployment = await waitFor(
      async () => {
        const d = await clients().apps.readNamespacedDeployment({ namespace: ns.name, name: 'web' });
        return d.spec?.replicas === 0 && (d.status?.replicas ?? 0) === 0 ? d : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'the Deployment scaled to 0 by Sluice, its pods gone' },
    );
    expect(deployment.metadata?.annotations?.['sluice.dev/replicas']).toBe(String(replicas));

    // Then a canary of a new image runs on the taken-over service and is promoted.
    await setImage(ns.name, 'web', 'example.invalid/app:v2');
    const paused = await waitForRollout(ns.name, 'web', 'paused at step 2', (r) => r.status?.phase === 'Paused');
    // No router: the split is by pods, ceil(3 x 50%) = 2 canary pods beside the 3 of stable, 40% of them.
    expect(paused.status?.weights).toEqual({ canary: 40, stable: 60 });
    expect(await sluice('promote', 'web')).toMatch(/promote requested/);
    const done = await waitForRollout(
      ns.name,
      'web',
      'web Healthy on v2',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === paused.status?.canaryRevision,
    );
    // Wait until the old stable's pods have left the Service too: that is the last change of the handover.
    await waitFor(
      () => {
        const last = endpoints.samples.at(-1)!.readyPods.map(replicaSetOfPod);
        return last.length === replicas && last.every((rs) => rs === `web-${done.status!.stableRevision}`);
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'only the promoted revision behind the Service' },
    );

    // Going back (docs/migrating.md): deleting the Sluice Rollout gives the pods back to the Deployment first.
    await clients().custom.deleteNamespacedCustomObject({ ...rolloutRef, namespace: ns.name, name: 'web' });
    await waitFor(
      async () => {
        const owned = await replicaSetsOfDeployment('web');
        const last = endpoints.samples.at(-1)!.readyPods.map(replicaSetOfPod);
        const gone = (await rolloutNames()).length === 0;
        return gone && last.length === replicas && last.every((rs) => owned.includes(rs));
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'the Rollout gone and only Deployment pods behind Service web' },
    );
    await endpoints.stop();

    expect(emptyMoments(endpoints), 'moments with no ready endpoint behind Service web').toEqual([]);
    // The watch saw every owner of the pods serve in turn: Argo's, the Deployment's, Sluice's stable, the canary.
    const served = new Set(endpoints.samples.flatMap((s) => s.readyPods.map(replicaSetOfPod)));
    expect([...served]).toEqual(
      expect.arrayContaining([
        argoReplicaSet,
        deploymentReplicaSet,
        `web-${stable}`,
        `web-${done.status!.stableRevision}`,
      ]),
    );
  });

  // The negative control: the same watch, with Argo's Rollout deleted before the Deployment runs the application,
  // sees the Service empty. Without it, the story above could pass on a watch that never reported a change.
  it('when the Argo Rollout is deleted before the Deployment is scaled up, the watch sees the Service empty', async () => {
    const { argoReplicaSet } = await givenArgoWorkloadRef('shop');
    const endpoints = await watchServiceEndpoints(ns.name, 'shop');
    await deleteArgoRollout('shop', argoReplicaSet);
    await scaleDeploymentUpAndWait('shop');
    await waitFor(() => endpoints.samples.at(-1)!.readyPods.length === replicas, {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: 'the Deployment pods behind Service shop',
    });
    await endpoints.stop();
    expect(emptyMoments(endpoints).length).toBeGreaterThan(0);
  });
});
