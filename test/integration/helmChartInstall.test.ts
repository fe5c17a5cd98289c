/**
 * The Helm chart installed by the real helm into the local control plane, cluster-wide with dashboard actions, as
 * manifestsClusterInstall.test.ts installs manifests/ with kustomize:
 * - helm install --wait creates the namespace, the CRDs (already there: skipped) and every object, and returns once
 *   both controller replicas are available;
 * - the controller, as the Dockerfile's final stage holds it, runs with the installed Deployment's flags and nothing
 *   but the chart's ServiceAccount's token, and takes a canary to promotion with no request refused;
 * - the ServiceAccount may do exactly what the kustomize install's may, verb by verb;
 * - helm uninstall takes the cluster-wide objects with it.
 * And confined to one namespace (helm install -n <namespace> --set scope=namespace), a replica-ratio canary to
 * promotion with no request refused, and rights in that namespace only.
 * The control plane is shared: each release has its own namespace, name suffix and (cluster-wide) instance id.
 */
import { AppsV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { chartDir, helm, valuesFile } from './helmChart.ts';
import { canaryThroughDashboardPromote, replicaRatioCanaryThroughPromote } from './installCanaryStory.ts';
import { allowed, kubectlAs, parseObjects, serviceAccountKubeconfig } from './installation.ts';
import { accessMatrix, clusterWideGrants, namespaceOnlyGrants, useManifestsInstall } from './manifestsInstall.ts';
import { containerOf, one } from './renderedManifests.ts';
import { adminKubeConfig, clusterInfo } from './support.ts';

const install = useManifestsInstall();
const { id, suffix, installNs, app, nsInstall, controllers } = install;
const release = `sluice-${id}`;
// helm keeps its record of the release in the namespace it is run in, which must exist before the install; the
// chart creates the controller's own namespace itself (with its Pod Security labels).
const releaseNs = 'default';
const helmAsAdmin = (args: string[]) => helm([...args, '--kubeconfig', clusterInfo().kubeconfig, '-n', releaseNs]);

/** The controller's Deployment as the API server holds it. */
async function installedDeployment(namespace = installNs, name = `sluice${suffix}`) {
  const r = await kubectlAs(clusterInfo().kubeconfig, ['get', 'deployment', name, '-n', namespace, '-o', 'yaml']);
  return one(parseObjects(r.stdout), 'Deployment');
}

describe('helm install of the chart, the controller running as its ServiceAccount', () => {
  let controller: ControllerProcess;
  let saKubeconfig: string;
  let installed: Awaited<ReturnType<typeof helmAsAdmin>>;

  beforeAll(async () => {
    const values = { namespace: installNs, nameSuffix: suffix, instanceId: id, dashboard: { actions: true } };
    installed = await helmAsAdmin(['install', release, chartDir, '-f', valuesFile(values), '--wait', '--timeout=2m']);
    if (installed.code !== 0) throw new Error(`helm install failed: ${installed.stderr}`);
    saKubeconfig = await serviceAccountKubeconfig(installNs, `sluice${suffix}`);
    await waitFor(() => allowed(saKubeconfig, { group: 'sluice.dev', resource: 'rollouts', verb: 'watch' }), {
      timeoutMs: 15_000,
      what: 'the ClusterRoleBinding to take effect',
    });
    // The flags of the Deployment helm installed, as the API server holds it. Outside a pod the Lease's namespace
    // is not the pod's own: that one flag is added.
    const args = containerOf(await installedDeployment()).args ?? [];
    controller = await startController({
      namespace: installNs,
      name: 'sluice-helm',
      entry: install.payload.entry,
      nodeFlags: install.payload.nodeFlags,
      kubeconfig: saKubeconfig,
      allNamespaces: true,
      extraArgs: [...args, `--leader-election-namespace=${installNs}`],
    });
    controllers.push(controller);
  }, 240_000);

  afterAll(async () => {
    await helmAsAdmin(['uninstall', release, '--ignore-not-found']);
  });

  it('given helm install --wait, then both controller replicas are available in the namespace the chart created', async () => {
    expect(installed.stdout).toMatch(/STATUS: deployed/);
    // The chart's NOTES name the install's own namespace and Deployment.
    expect(installed.stdout).toContain(`kubectl -n ${installNs} rollout status deployment/sluice${suffix}`);
    const apps = adminKubeConfig().makeApiClient(AppsV1Api);
    const d = await apps.readNamespacedDeployment({ namespace: installNs, name: `sluice${suffix}` });
    expect(d.status?.availableReplicas).toBe(2);
    const ns = await kubectlAs(clusterInfo().kubeconfig, ['get', 'namespace', installNs, '-o', 'yaml']);
    expect(one(parseObjects(ns.stdout), 'Namespace').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
  });

  it('when a canary runs through setWeight, a pause, a dashboard promote and deletion, then the API server refuses none of its requests', async () => {
    expect(containerOf(await installedDeployment()).args).toEqual(
      expect.arrayContaining(['--dashboard-actions=true', `--instance-id=${id}`]),
    );
    await canaryThroughDashboardPromote(controller, app.name, id);
  });

  it('then the ServiceAccount may do exactly what the kustomize install grants, in any namespace, and nothing else', async () => {
    const grants = clusterWideGrants({ dashboardActions: true });
    expect(await accessMatrix(saKubeconfig, Object.keys(grants), app.name)).toEqual(grants);
    expect(await accessMatrix(saKubeconfig, Object.keys(grants), undefined)).toEqual(grants);
    // The Lease of this instance only: sluice-controller-<id>, the name the controller elects on.
    const lease = (verb: string, name: string) =>
      allowed(saKubeconfig, { group: 'coordination.k8s.io', resource: 'leases', verb, namespace: installNs, name });
    expect(await lease('update', `sluice-controller-${id}`)).toBe(true);
    expect(await lease('update', 'sluice-controller')).toBe(false);
  });

  it('when uninstalled, then its ClusterRoles and bindings are gone with it, and its Namespace is kept', async () => {
    const rbac = adminKubeConfig().makeApiClient(RbacAuthorizationV1Api);
    const ours = async () =>
      (await rbac.listClusterRole()).items.map((r) => r.metadata!.name!).filter((n) => n.endsWith(suffix));
    expect((await ours()).sort()).toEqual(
      ['sluice', 'sluice-dashboard-actions', 'sluice-routers'].map((n) => `${n}${suffix}`).sort(),
    );
    const uninstalled = await helmAsAdmin(['uninstall', release, '--wait', '--timeout=2m']);
    expect(uninstalled.code, uninstalled.stderr).toBe(0);
    expect(await ours()).toEqual([]);
    const bindings = (await rbac.listClusterRoleBinding()).items.filter((b) => b.metadata!.name!.endsWith(suffix));
    expect(bindings).toEqual([]);
    // The Namespace stays (helm.sh/resource-policy: keep), with what the user put in it.
    const kept = await kubectlAs(clusterInfo().kubeconfig, ['get', 'namespace', installNs, '-o', 'name']);
    expect(kept.stdout.trim()).toBe(`namespace/${installNs}`);
  });
});

describe('helm install -n <namespace> of the chart in the namespace scope, the controller running as its ServiceAccount', () => {
  const namespaced = `sluice-ns-${id}`;
  const nameSuffix = `${suffix}-ns`;
  const helmInNamespace = (args: string[]) =>
    helm([...args, '--kubeconfig', clusterInfo().kubeconfig, '-n', nsInstall.name]);
  let controller: ControllerProcess;
  let saKubeconfig: string;

  beforeAll(async () => {
    // The CRDs are a cluster admin's, installed once (here by the test's setup): --skip-crds, as the guide says.
    const installed = await helmInNamespace([
      'install',
      namespaced,
      chartDir,
      '--skip-crds',
      '--set',
      `scope=namespace,nameSuffix=${nameSuffix}`,
      '--wait',
      '--timeout=2m',
    ]);
    if (installed.code !== 0) throw new Error(`helm install failed: ${installed.stderr}`);
    saKubeconfig = await serviceAccountKubeconfig(nsInstall.name, `sluice${nameSuffix}`);
    await waitFor(
      () =>
        allowed(saKubeconfig, { group: 'sluice.dev', resource: 'rollouts', verb: 'watch', namespace: nsInstall.name }),
      { timeoutMs: 15_000, what: 'the RoleBinding to take effect' },
    );
    // The installed Deployment's flags as the kubelet expands them ($(POD_NAMESPACE) from the downward API).
    const args = (containerOf(await installedDeployment(nsInstall.name, `sluice${nameSuffix}`)).args ?? []).map((a) =>
      a.replace('$(POD_NAMESPACE)', nsInstall.name),
    );
    expect(args).toContain(`--namespace=${nsInstall.name}`);
    controller = await startController({
      namespace: nsInstall.name,
      name: 'sluice-helm-namespaced',
      entry: install.payload.entry,
      nodeFlags: install.payload.nodeFlags,
      kubeconfig: saKubeconfig,
      allNamespaces: true,
      extraArgs: [...args, `--leader-election-namespace=${nsInstall.name}`],
    });
    controllers.push(controller);
  }, 240_000);

  afterAll(async () => {
    await helmInNamespace(['uninstall', namespaced, '--ignore-not-found']);
  });

  it('when a replica-ratio canary is promoted, then it is Healthy on the new revision and no request was refused', async () => {
    await replicaRatioCanaryThroughPromote(controller, nsInstall.name);
  });

  it('then the ServiceAccount acts in its namespace only, and reads ClusterAnalysisTemplates', async () => {
    const grants = namespaceOnlyGrants();
    const nowhere = Object.fromEntries(Object.keys(grants).map((k) => [k, []]));
    expect(await accessMatrix(saKubeconfig, Object.keys(grants), nsInstall.name)).toEqual(grants);
    expect(await accessMatrix(saKubeconfig, Object.keys(grants), app.name)).toEqual(nowhere);
    expect(await accessMatrix(saKubeconfig, ['sluice.dev/clusteranalysistemplates'], undefined)).toEqual({
      'sluice.dev/clusteranalysistemplates': ['list', 'watch'],
    });
  });
});
