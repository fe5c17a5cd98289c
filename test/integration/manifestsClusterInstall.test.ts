/**
 * The cluster-wide install of manifests/ (with dashboard actions), against the real API server:
 * - the controller, as the Dockerfile's final stage holds it (compiled dist/, production node_modules), runs with
 *   nothing but the sluice ServiceAccount's token and takes a canary from start to Healthy, through a dashboard
 *   promote and the deletion handover, with no request refused: the RBAC is enough;
 * - the ServiceAccount may do exactly what the roles say, verb by verb, and nothing on Pods, Secrets or RBAC:
 *   the RBAC is no wider;
 * - the alerts and the Grafana dashboard read only series that the controller exports.
 * The local control plane is shared: the test installs under its own namespaces and name suffix, as an overlay
 * would, and its cluster-wide controller takes only Rollouts labelled with its own --instance-id.
 */
import { AppsV1Api } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { waitFor } from '../support/wait.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { canaryThroughDashboardPromote } from './installCanaryStory.ts';
import { allowed, applyYaml, kubectlAs, render, serviceAccountKubeconfig, type KubeObject } from './installation.ts';
import { accessMatrix, clusterWideGrants, useManifestsInstall } from './manifestsInstall.ts';
import { alertExpressions, dashboardExpressions, metricNames, recordedNames } from './monitoringExamples.ts';
import { containerOf, one } from './renderedManifests.ts';
import { adminKubeConfig } from './support.ts';

const install = useManifestsInstall();
const { id, suffix, installNs, app, tenant, controllers } = install;

describe('cluster-wide install, the controller running as its ServiceAccount', () => {
  let controller: ControllerProcess;
  let saKubeconfig: string;
  let installed: KubeObject[];

  beforeAll(async () => {
    const rendered = await render('manifests', {
      namespace: installNs,
      nameSuffix: suffix,
      components: ['manifests/dashboard-actions'],
    });
    installed = rendered.objects;
    await applyYaml(rendered.yaml);
    saKubeconfig = await serviceAccountKubeconfig(installNs, `sluice${suffix}`);
    // RBAC reaches the authorizer through its own watch, a moment after the write.
    await waitFor(() => allowed(saKubeconfig, { group: 'sluice.dev', resource: 'rollouts', verb: 'watch' }), {
      timeoutMs: 15_000,
      what: 'the ClusterRoleBinding to take effect',
    });
    // The Deployment's own flags, then what differs outside a pod: the Lease namespace (in a pod: its own) and
    // an instance id, so that this controller leaves every other test's Rollouts alone.
    const args = containerOf(one(installed, 'Deployment')).args ?? [];
    controller = await startController({
      namespace: installNs,
      name: 'sluice-cluster',
      entry: install.payload.entry,
      nodeFlags: install.payload.nodeFlags,
      kubeconfig: saKubeconfig,
      allNamespaces: true,
      extraArgs: [
        ...args,
        `--instance-id=${id}`,
        `--leader-election-namespace=${installNs}`,
        '--leader-election-id=sluice-controller',
      ],
    });
    controllers.push(controller);
  }, 120_000);

  it("admits the Deployment's pods in the namespace that enforces the restricted Pod Security Standard", async () => {
    const apps = adminKubeConfig().makeApiClient(AppsV1Api);
    await waitFor(
      async () => {
        const d = await apps.readNamespacedDeployment({ namespace: installNs, name: `sluice${suffix}` });
        return (d.status?.availableReplicas ?? 0) === 2;
      },
      { timeoutMs: 60_000, what: 'two available controller pods' },
    );
    // The control: the same Deployment with privilege escalation allowed is what the namespace refuses.
    const deployment = structuredClone(one(installed, 'Deployment'));
    containerOf(deployment).securityContext = {
      ...containerOf(deployment).securityContext,
      allowPrivilegeEscalation: true,
    };
    const { stderr } = await applyYaml(stringify(deployment), { dryRun: true });
    expect(stderr).toMatch(/would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
  });

  it('takes a canary through setWeight, a pause, a dashboard promote and deletion, and the API server refuses none of its requests', async () => {
    await canaryThroughDashboardPromote(controller, app.name, id);
  });

  it('lets the ServiceAccount do exactly what the ClusterRoles grant, in any namespace, and nothing else', async () => {
    const grants = clusterWideGrants({ dashboardActions: true });
    expect(await accessMatrix(saKubeconfig, Object.keys(grants), app.name)).toEqual(grants);
    expect(await accessMatrix(saKubeconfig, Object.keys(grants), undefined)).toEqual(grants);
  });

  it('may read the Secrets of a namespace whose owner applied analysis-secrets-namespace, and of no other', async () => {
    const secrets = (verb: string, namespace: string) =>
      allowed(saKubeconfig, { group: '', resource: 'secrets', verb, namespace });
    expect(await secrets('get', tenant.name)).toBe(false);
    const { objects } = await render('manifests/analysis-secrets-namespace');
    // The test's install has its own namespace and name suffix: the owner points the binding at it.
    one(objects, 'RoleBinding').subjects = [{ kind: 'ServiceAccount', name: `sluice${suffix}`, namespace: installNs }];
    await applyYaml(objects.map((o) => stringify(o)).join('---\n'), { namespace: tenant.name });
    await waitFor(() => secrets('get', tenant.name), { timeoutMs: 15_000, what: 'the RoleBinding to take effect' });
    for (const verb of ['list', 'watch', 'create', 'update', 'patch', 'delete'])
      expect(await secrets(verb, tenant.name), verb).toBe(false);
    expect(await secrets('get', app.name)).toBe(false);
    expect(await allowed(saKubeconfig, { group: '', resource: 'secrets', verb: 'get' })).toBe(false);
  });

  it('lets it take and renew only its own Lease, only in its own namespace', async () => {
    const lease = (verb: string, namespace: string, name?: string) =>
      allowed(saKubeconfig, {
        group: 'coordination.k8s.io',
        resource: 'leases',
        verb,
        namespace,
        ...(name === undefined ? {} : { name }),
      });
    expect(await lease('create', installNs)).toBe(true);
    expect(await lease('get', installNs, 'sluice-controller')).toBe(true);
    expect(await lease('update', installNs, 'sluice-controller')).toBe(true);
    expect(await lease('get', installNs, 'kube-controller-manager')).toBe(false);
    expect(await lease('update', installNs, 'another-lease')).toBe(false);
    for (const verb of ['list', 'watch', 'delete', 'patch'])
      expect(await lease(verb, installNs, 'sluice-controller'), verb).toBe(false);
    expect(await lease('create', app.name)).toBe(false);
  });

  it('kubectl auth can-i, as the ServiceAccount, says no to deleting Deployments, reading Secrets and creating Pods', async () => {
    const canI = async (...args: string[]) => (await kubectlAs(saKubeconfig, ['auth', 'can-i', ...args])).stdout.trim();
    expect(await canI('delete', 'deployments', '-n', app.name)).toBe('no');
    expect(await canI('get', 'secrets', '--all-namespaces')).toBe('no');
    expect(await canI('create', 'pods', '-n', app.name)).toBe('no');
    expect(await canI('escalate', 'clusterroles')).toBe('no');
    expect(await canI('patch', 'httproutes.gateway.networking.k8s.io', '-n', app.name)).toBe('yes');
  });

  it('exports every series that the alerts and the Grafana dashboard read', async () => {
    // Every metric the controller registers has a TYPE line, with or without series (a gauge per Rollout has
    // none once its Rollout is gone); a histogram's series add _bucket, _count and _sum.
    const types = [
      ...(await (await fetch(`${controller.metricsUrl}/metrics`)).text()).matchAll(/^# TYPE (\S+) (\w+)$/gm),
    ];
    const exported = new Set(
      types.flatMap(([, name, type]) =>
        type === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name!],
      ),
    );
    const used = new Set([...alertExpressions(), ...dashboardExpressions()].flatMap(metricNames));
    expect(used.size).toBeGreaterThan(8);
    // The Outcomes row reads the series of the example recording rules (examples/prometheus/sluice-outcomes.yaml),
    // whose own expressions are checked against the controller's registry in examples/outcomeRules.test.ts.
    const recorded = recordedNames();
    expect([...used].filter((name) => !exported.has(name) && !recorded.has(name))).toEqual([]);
  });
});
