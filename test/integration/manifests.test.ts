/**
 * The install as a user gets it, against the real API server:
 * - every object of manifests/ (cluster-wide, namespaced, with dashboard actions) and every YAML example passes a
 *   server-side dry run with strict field validation; the PrometheusRule against prometheus-operator's schema;
 * - the controller, as the Dockerfile's final stage holds it (compiled dist/, production node_modules), runs with
 *   nothing but the sluice ServiceAccount's token and takes a canary from start to Healthy, through a dashboard
 *   promote and the deletion handover, with no request refused: the RBAC is enough;
 * - the ServiceAccount may do exactly what the roles say, verb by verb, and nothing on Pods, Secrets or RBAC:
 *   the RBAC is no wider;
 * - the alerts, the scrape configuration and the Grafana dashboard are valid for Prometheus and read only series
 *   that the controller exports.
 * The local control plane is shared: the test installs under its own namespaces and name suffix, as an overlay
 * would, and its cluster-wide controller takes only Rollouts labelled with its own --instance-id.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, globSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { RolloutSpec } from '../../controller/src/api/types.ts';
import { machineHost, settings } from '../../controller/src/config.ts';
import { repoRoot } from '../cluster/paths.ts';
import { waitFor } from '../support/wait.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { postAction, serviceAccountToken } from './dashboardStory.ts';
import { buildImagePayload, dockerInstructions, type ImagePayload } from './imagePayload.ts';
import {
  allowed,
  applyYaml,
  kubectlAs,
  parseObjects,
  render,
  serviceAccountKubeconfig,
  type Access,
  type KubeObject,
  type Rule,
} from './installation.ts';
import {
  createApp,
  getRollout,
  replicaSetsOf,
  requestAction,
  routeCanaryWeight,
  setImage,
  waitForRollout,
} from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, clusterInfo, useNamespace } from './support.ts';

const id = randomBytes(3).toString('hex');
const suffix = `-${id}`;
/** Where the cluster-wide install goes: manifests/' sluice-system, renamed by the test's overlay. */
const installNs = `manifests-${id}-system`;
const app = useNamespace('manifests-app');
const nsInstall = useNamespace('manifests-ns');
/** A namespace whose owner lets Sluice read its Secrets with manifests/analysis-secrets-namespace. */
const tenant = useNamespace('manifests-tenant');
const rolloutRef = { group: 'sluice.dev', version: 'v1alpha1', plural: 'rollouts' };
const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'] as const;

let payload: ImagePayload;
const controllers: ControllerProcess[] = [];

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  payload = await buildImagePayload(mkdtempSync(join(tmpdir(), 'sluice-image-')));
}, 300_000);

afterAll(async () => {
  await Promise.allSettled(controllers.map((c) => c.stop()));
  // A Rollout left with its handover finalizer (a failed story) would hold its namespace in Terminating.
  const custom = adminKubeConfig().makeApiClient(CustomObjectsApi);
  for (const namespace of [app.name, nsInstall.name]) {
    const list = (await custom
      .listNamespacedCustomObject({ ...rolloutRef, namespace })
      .catch(() => ({ items: [] }))) as { items: KubeObject[] };
    for (const r of list.items) {
      await kubectlAs(clusterInfo().kubeconfig, [
        'patch',
        'rollout',
        r.metadata.name,
        '-n',
        namespace,
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      ]);
    }
  }
  await kubectlAs(clusterInfo().kubeconfig, ['delete', 'namespace', installNs, '--wait=false', '--ignore-not-found']);
  await kubectlAs(clusterInfo().kubeconfig, [
    'delete',
    'clusterrole,clusterrolebinding',
    `sluice${suffix}`,
    `sluice-dashboard-actions${suffix}`,
    `sluice-clusteranalysistemplates-reader${suffix}`,
    '--ignore-not-found',
  ]);
});

const ofKind = (objects: KubeObject[], kind: string) => objects.filter((o) => o.kind === kind);
const one = (objects: KubeObject[], kind: string): KubeObject => {
  const found = ofKind(objects, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0]!;
};

interface Container {
  command?: string[];
  args?: string[];
  image: string;
  env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet?: { path: string; port: string } };
  readinessProbe?: { httpGet?: { path: string; port: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
}
interface PodSpec {
  serviceAccountName: string;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  containers: Container[];
}
const podSpecOf = (deployment: KubeObject) => (deployment.spec as { template: { spec: PodSpec } }).template.spec;
const containerOf = (deployment: KubeObject) => podSpecOf(deployment).containers[0]!;
const rulesOf = (role: KubeObject) => role.rules as Rule[];

describe('manifests/ as kubectl kustomize renders it', () => {
  it('installs the namespace, the CRDs of crds/, the RBAC and the controller', async () => {
    const { objects } = await render('manifests');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/sluice',
      'ClusterRoleBinding/sluice',
      'CustomResourceDefinition/analysistemplates.sluice.dev',
      'CustomResourceDefinition/clusteranalysistemplates.sluice.dev',
      'CustomResourceDefinition/rollouts.sluice.dev',
      'Deployment/sluice',
      'Namespace/sluice-system',
      'NetworkPolicy/sluice',
      'PodDisruptionBudget/sluice',
      'Role/sluice-leader-election',
      'RoleBinding/sluice-leader-election',
      'Service/sluice',
      'ServiceAccount/sluice',
    ]);
    for (const o of objects.filter(
      (x) => !['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'].includes(x.kind),
    )) {
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('sluice-system');
    }
  });

  it.each([
    ['manifests', undefined],
    ['manifests/namespaced', undefined],
    ['manifests', ['manifests/dashboard-actions']],
    ['manifests', ['manifests/analysis-secrets']],
  ] as const)(
    'binds every role of %s (components %s) to the ServiceAccount the Deployment runs as, in its namespace, with no wildcard',
    async (dir, components) => {
      const { objects } = await render(dir, {
        namespace: 'elsewhere',
        nameSuffix: '-x',
        ...(components === undefined ? {} : { components: [...components] }),
      });
      const sa = one(objects, 'ServiceAccount');
      expect(podSpecOf(one(objects, 'Deployment')).serviceAccountName).toBe(sa.metadata.name);
      const bindings = [...ofKind(objects, 'RoleBinding'), ...ofKind(objects, 'ClusterRoleBinding')];
      const roles = new Map(
        [...ofKind(objects, 'Role'), ...ofKind(objects, 'ClusterRole')].map((r) => [`${r.kind}/${r.metadata.name}`, r]),
      );
      expect(bindings.length).toBe(roles.size);
      for (const b of bindings) {
        const ref = b.roleRef as { kind: string; name: string };
        expect(roles.has(`${ref.kind}/${ref.name}`), `${b.metadata.name} refers to ${ref.kind}/${ref.name}`).toBe(true);
        for (const s of b.subjects as { kind: string; name: string; namespace?: string }[]) {
          expect(s).toEqual({ kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'elsewhere' });
        }
      }
      for (const role of roles.values()) {
        for (const rule of rulesOf(role))
          expect([...rule.verbs, ...(rule.resources ?? []), ...(rule.apiGroups ?? [])]).not.toContain('*');
      }
    },
  );

  it('pins every base image by digest, and leaves no package manager in the image it runs', () => {
    // Static, from the Dockerfile's text: no container engine runs here to look inside the built image.
    const dockerfile = dockerInstructions(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
    const froms = dockerfile.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0]!);
    expect(froms.length).toBeGreaterThan(0);
    // A tag says which image it is, the digest makes it that image whatever the tag points at later.
    for (const image of froms) expect(image).toMatch(/^node:24\.\d+\.\d+-slim@sha256:[0-9a-f]{64}$/);
    expect(new Set(froms).size).toBe(1); // one Node for building and running
    const final = dockerfile.slice(dockerfile.findLastIndex((i) => i.op === 'FROM') + 1);
    const removal = final.findIndex((i) => i.op === 'RUN' && i.args.startsWith('rm -rf '));
    expect(removal, 'the final stage removes the package managers').toBeGreaterThanOrEqual(0);
    const removed = final[removal]!.args.split(/\s+/).slice(2);
    // npm and corepack live in /usr/local/lib/node_modules, their commands and yarn's are links in /usr/local/bin.
    for (const path of [
      '/usr/local/lib/node_modules',
      '/usr/local/bin/npm',
      '/usr/local/bin/npx',
      '/usr/local/bin/corepack',
      '/usr/local/bin/yarn',
      '/usr/local/bin/yarnpkg',
      '/opt/yarn-v*',
    ]) {
      expect(removed).toContain(path);
    }
    // Nothing after it runs or brings back a package manager, and the container starts node itself.
    for (const i of final.slice(removal + 1))
      expect(`${i.op} ${i.args}`).not.toMatch(/\b(npm|npx|corepack|yarn)\b|^RUN /);
    expect((JSON.parse(final.find((i) => i.op === 'CMD')!.args) as string[])[0]).toBe('node');
  });

  it('runs the image the Dockerfile builds, the way its CMD does, with the flags, ports and probes the controller has', async () => {
    const { objects } = await render('manifests');
    const deployment = one(objects, 'Deployment');
    const container = containerOf(deployment);
    const dockerfile = dockerInstructions(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
    const cmd = JSON.parse(dockerfile.findLast((i) => i.op === 'CMD')!.args) as string[];
    expect(container.command).toEqual(cmd);
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(container.image).toBe(`ghcr.io/sluice-dev/sluice:${version}`);
    const user = dockerfile.findLast((i) => i.op === 'USER')!.args.split(':')[0];
    expect(podSpecOf(deployment).securityContext?.runAsUser).toBe(Number(user));
    expect((deployment.spec as { replicas: number }).replicas).toBe(2);
    expect(container.args).toContain('--leader-elect=true');
    // The leader-election Role names the one Lease the controller takes with its default --leader-election-id.
    const leaseRule = rulesOf(one(objects, 'Role')).find((r) => r.resourceNames !== undefined);
    expect(leaseRule?.resourceNames).toEqual([
      settings.leaderElectionId.default({ instanceId: undefined, host: machineHost }),
    ]);
    // The ports the controller listens on by default, and the environment variable it reads its identity from.
    const port = (name: string) => container.ports?.find((p) => p.name === name)?.containerPort;
    expect(port('metrics')).toBe(settings.metricsPort.default({} as never));
    expect(port('dashboard')).toBe(settings.dashboardPort.default({} as never));
    expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(container.env).toContainEqual({
      name: settings.podName.env,
      valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
    });
    expect(container.resources?.requests).toBeDefined();
    expect(container.resources?.limits).toBeDefined();
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(podSpecOf(deployment).securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const service = one(objects, 'Service').spec as { ports: { name: string; port: number }[] };
    expect(service.ports.map((p) => [p.name, p.port])).toEqual([
      ['metrics', port('metrics')],
      ['dashboard', port('dashboard')],
    ]);
  });

  it("analysis-secrets-namespace: a Role and RoleBinding a namespace owner applies in their namespace, granting get on its Secrets to the install's ServiceAccount", async () => {
    const { objects } = await render('manifests/analysis-secrets-namespace');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'Role/sluice-analysis-secrets',
      'RoleBinding/sluice-analysis-secrets',
    ]);
    // No namespace of its own: it goes where the owner applies it (kubectl apply -n <namespace> -k ...).
    for (const o of objects) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBeUndefined();
    expect(rulesOf(one(objects, 'Role'))).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]);
    const binding = one(objects, 'RoleBinding');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'sluice-analysis-secrets',
    });
    const install = await render('manifests');
    expect(binding.subjects).toEqual([
      {
        kind: 'ServiceAccount',
        name: one(install.objects, 'ServiceAccount').metadata.name,
        namespace: one(install.objects, 'Namespace').metadata.name,
      },
    ]);
    // Even under an owner's kustomization that sets its namespace, the subject stays the install's.
    const overlaid = await render('manifests/analysis-secrets-namespace', { namespace: 'shop', nameSuffix: '' });
    expect(one(overlaid.objects, 'RoleBinding').subjects).toEqual(binding.subjects);
  });

  it("lets only Prometheus's namespace reach the metrics port and only labelled pods beside it the dashboard", async () => {
    const { objects } = await render('manifests');
    const deployment = one(objects, 'Deployment');
    const policy = one(objects, 'NetworkPolicy').spec as {
      podSelector: { matchLabels: Record<string, string> };
      policyTypes: string[];
      ingress: {
        from: {
          namespaceSelector?: { matchLabels: Record<string, string> };
          podSelector?: { matchLabels: Record<string, string> };
        }[];
        ports: { port: string; protocol: string }[];
      }[];
    };
    // It selects the controller's pods, and limits ingress only: the controller reaches out to the API server and the providers.
    const podLabels = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template
      .metadata.labels;
    expect(Object.entries(policy.podSelector.matchLabels).every(([k, v]) => podLabels[k] === v)).toBe(true);
    expect(policy.policyTypes).toEqual(['Ingress']);
    // Every port it opens is one the container names, and each to one narrow source; no rule without a source.
    const containerPorts = (containerOf(deployment).ports ?? []).map((p) => p.name);
    expect(policy.ingress.map((rule) => rule.ports.map((p) => p.port))).toEqual([['metrics'], ['dashboard']]);
    for (const rule of policy.ingress) for (const p of rule.ports) expect(containerPorts).toContain(p.port);
    expect(policy.ingress.map((rule) => rule.from)).toEqual([
      [{ namespaceSelector: { matchLabels: { 'sluice.dev/scrape-metrics': 'true' } } }],
      [{ podSelector: { matchLabels: { 'sluice.dev/dashboard-access': 'true' } } }],
    ]);
  });

  it('namespaced: the same controller, told to handle its own namespace, with a Role and no ClusterRole but the template reader', async () => {
    const { objects } = await render('manifests/namespaced');
    expect(ofKind(objects, 'Namespace')).toEqual([]);
    expect(ofKind(objects, 'CustomResourceDefinition')).toEqual([]);
    expect(ofKind(objects, 'ClusterRole').map((r) => rulesOf(r))).toEqual([
      [{ apiGroups: ['sluice.dev'], resources: ['clusteranalysistemplates'], verbs: ['list', 'watch'] }],
    ]);
    const container = containerOf(one(objects, 'Deployment'));
    expect(container.args).toContain('--namespace=$(POD_NAMESPACE)');
    expect(container.env).toContainEqual({
      name: 'POD_NAMESPACE',
      valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
    });
    // The namespaced Role grants what the ClusterRole grants, less the cluster-scoped templates.
    const cluster = rulesOf(one((await render('manifests')).objects, 'ClusterRole')).map((r) => ({
      ...r,
      resources: r.resources!.filter((x) => x !== 'clusteranalysistemplates'),
    }));
    const role = ofKind(objects, 'Role').find((r) => r.metadata.name === 'sluice')!;
    expect(rulesOf(role)).toEqual(cluster);
  });
});

describe('the API server accepts', () => {
  it.each([
    ['manifests', undefined],
    ['manifests/namespaced', undefined],
    ['manifests', ['manifests/dashboard-actions']],
    ['manifests', ['manifests/analysis-secrets']],
  ] as const)('every object of %s (components %s) in a server-side dry run', async (dir, components) => {
    const target = dir === 'manifests/namespaced' ? nsInstall.name : app.name;
    const { yaml, objects } = await render(dir, {
      namespace: target,
      nameSuffix: suffix,
      ...(components === undefined ? {} : { components: [...components] }),
    });
    const { stdout } = await applyYaml(yaml, { dryRun: true });
    const applied = stdout.split('\n').filter((l) => l.endsWith('serverside-applied (server dry run)'));
    expect(applied).toHaveLength(objects.length);
  });

  it('the per-namespace Secret access of manifests/analysis-secrets-namespace, applied with -n, in a server-side dry run', async () => {
    const { yaml, objects } = await render('manifests/analysis-secrets-namespace');
    const { stdout } = await applyYaml(yaml, { dryRun: true, namespace: app.name });
    expect(stdout.split('\n').filter((l) => l.endsWith('serverside-applied (server dry run)'))).toHaveLength(
      objects.length,
    );
  });

  it('every YAML example, the PrometheusRule included, in a server-side dry run', async () => {
    const crd = join(monitoringTools(), 'monitoring.coreos.com_prometheusrules.yaml');
    await applyYaml(readFileSync(crd, 'utf8'));
    await waitFor(
      async () => (await kubectlAs(clusterInfo().kubeconfig, ['get', 'prometheusrules', '-n', app.name])).code === 0,
      { timeoutMs: 30_000, what: 'the PrometheusRule kind to be served' },
    );
    const files = globSync('examples/**/*.{yaml,yml}', { cwd: repoRoot })
      .filter((f) => !f.endsWith('prometheus/prometheus.yml'))
      .sort();
    expect(files).toContain('examples/prometheus/sluice-alerts.yaml');
    for (const file of files) {
      const yaml = readFileSync(join(repoRoot, file), 'utf8');
      const { stdout } = await applyYaml(yaml, { dryRun: true, namespace: app.name });
      expect(
        stdout.split('\n').filter((l) => l.endsWith('(server dry run)')),
        file,
      ).toHaveLength(parseObjects(yaml).length);
    }
  });

  it('a PrometheusRule with a misspelt field, refused by that schema (so the dry run above can fail)', async () => {
    const rule = parse(readFileSync(join(repoRoot, 'examples/prometheus/sluice-alerts.yaml'), 'utf8')) as {
      spec: { groups: { rules: Record<string, unknown>[] }[] };
    };
    rule.spec.groups[0]!.rules[0]!.expresion = 'up';
    await expect(applyYaml(stringify(rule), { dryRun: true, namespace: app.name })).rejects.toThrow(
      /rules\[0\]\.expresion: field not declared in schema/,
    );
  });
});

function monitoringTools(): string {
  return execFileSync('bash', [join(repoRoot, 'test/setup/monitoring-tools.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

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
      entry: payload.entry,
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
    const ns = app.name;
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
        metadata: { name: 'web', labels: { 'sluice.dev/instance-id': id } },
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
    expect(await routeCanaryWeight(ns, 'web')).toBe(0);
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
  });

  it('lets the ServiceAccount do exactly what the ClusterRoles grant, in any namespace, and nothing else', async () => {
    const grants: Record<string, string[]> = {
      'sluice.dev/rollouts': ['list', 'watch', 'patch'],
      'sluice.dev/rollouts/status': ['update'],
      'sluice.dev/rollouts/finalizers': ['update'],
      'sluice.dev/analysistemplates': ['list', 'watch'],
      'sluice.dev/clusteranalysistemplates': ['list', 'watch'],
      'apps/deployments': ['list', 'watch', 'patch'],
      'apps/replicasets': ['list', 'watch', 'create', 'patch', 'delete'],
      '/services': ['list', 'watch', 'create', 'patch'],
      '/events': ['list', 'watch', 'create'],
      'gateway.networking.k8s.io/httproutes': ['list', 'watch', 'patch'],
      'authentication.k8s.io/tokenreviews': ['create'],
      'authorization.k8s.io/subjectaccessreviews': ['create'],
      '/pods': [],
      '/secrets': [],
      '/configmaps': [],
      '/serviceaccounts': [],
      '/serviceaccounts/token': [],
      '/namespaces': [],
      'apps/daemonsets': [],
      'coordination.k8s.io/leases': [],
      'rbac.authorization.k8s.io/clusterroles': [],
      'rbac.authorization.k8s.io/rolebindings': [],
    };
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
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });
});

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
      entry: payload.entry,
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

  it('lets the ServiceAccount act in its namespace only', async () => {
    const namespaced: Record<string, string[]> = {
      'sluice.dev/rollouts': ['list', 'watch', 'patch'],
      'sluice.dev/rollouts/status': ['update'],
      'apps/deployments': ['list', 'watch', 'patch'],
      'apps/replicasets': ['list', 'watch', 'create', 'patch', 'delete'],
      '/services': ['list', 'watch', 'create', 'patch'],
      '/events': ['list', 'watch', 'create'],
      'gateway.networking.k8s.io/httproutes': ['list', 'watch', 'patch'],
      '/secrets': [],
      '/pods': [],
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

/** For each "group/resource[/subresource]", the verbs the kubeconfig's user may use, in `namespace` or cluster-wide. */
async function accessMatrix(
  kubeconfig: string,
  keys: string[],
  namespace: string | undefined,
): Promise<Record<string, string[]>> {
  const entries = await Promise.all(
    keys.map(async (key) => {
      const [group = '', resource = '', subresource] = key.split('/');
      const granted: string[] = [];
      for (const verb of verbs) {
        const access: Access = {
          group,
          resource,
          verb,
          ...(subresource === undefined ? {} : { subresource }),
          ...(namespace === undefined ? {} : { namespace }),
        };
        if (await allowed(kubeconfig, access)) granted.push(verb);
      }
      return [key, granted] as const;
    }),
  );
  const order = (list: readonly string[]) =>
    [...list].sort((a, b) => verbs.indexOf(a as never) - verbs.indexOf(b as never));
  return Object.fromEntries(entries.map(([k, v]) => [k, order(v)]));
}

interface AlertRule {
  alert: string;
  expr: string;
  annotations: { runbook_url: string };
}

function alertGroups(): { name: string; rules: AlertRule[] }[] {
  return (
    parse(readFileSync(join(repoRoot, 'examples/prometheus/sluice-alerts.yaml'), 'utf8')) as {
      spec: { groups: { name: string; rules: AlertRule[] }[] };
    }
  ).spec.groups;
}

function alertExpressions(): string[] {
  return alertGroups().flatMap((g) => g.rules.map((r) => r.expr));
}

/** The dashboard's queries with Grafana's variables given values, so that they are plain PromQL. */
function dashboardExpressions(): string[] {
  const dashboard = JSON.parse(readFileSync(join(repoRoot, 'examples/grafana/sluice-dashboard.json'), 'utf8')) as {
    panels: { targets?: { expr: string }[] }[];
  };
  return dashboard.panels
    .flatMap((p) => p.targets ?? [])
    .map((t) =>
      t.expr
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$job', 'sluice-controller')
        .replaceAll('$namespace', '.*'),
    );
}

/**
 * Metric names in a PromQL expression: with strings, label lists (by, without, on, ignoring), matchers and ranges
 * taken out, what is left are functions (followed by a parenthesis), operators, numbers and metric names.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const operators = new Set(['and', 'or', 'unless', 'bool', 'offset']);
  return [...bare.matchAll(/\b([a-zA-Z_:][\w:]*)\b(?!\s*\()/g)].map((m) => m[1]!).filter((n) => !operators.has(n));
}

describe('the monitoring examples', () => {
  let tools: string;
  let work: string;
  const promtool = async (args: string[]) => promisify(execFile)('promtool', args, { cwd: work, encoding: 'utf8' });

  beforeAll(() => {
    tools = monitoringTools();
    work = mkdtempSync(join(tmpdir(), 'sluice-promtool-'));
    writeFileSync(join(work, 'sluice-alerts.rules.yaml'), stringify({ groups: alertGroups() }));
  }, 600_000);

  it("the PrometheusRule's groups are a valid rule file (promtool check rules)", async () => {
    const { stdout } = await promtool(['check', 'rules', 'sluice-alerts.rules.yaml']);
    expect(stdout).toMatch(/SUCCESS: 7 rules found/);
  });

  it('each alert fires when it should and only then (promtool test rules)', async () => {
    copyFileSync(
      join(import.meta.dirname, 'testdata/sluice-alerts.promtool.yaml'),
      join(work, 'sluice-alerts.promtool.yaml'),
    );
    const { stdout } = await promtool(['test', 'rules', 'sluice-alerts.promtool.yaml']);
    expect(stdout).toMatch(/SUCCESS/);
    const tested = new Set(
      (readFileSync(join(work, 'sluice-alerts.promtool.yaml'), 'utf8').match(/alertname: (\w+)/g) ?? []).map(
        (m) => m.split(' ')[1],
      ),
    );
    expect([...tested].sort()).toEqual(
      alertGroups()
        .flatMap((g) => g.rules.map((r) => r.alert))
        .sort(),
    );
  });

  it("each alert's runbook is a section of docs/operations.md", () => {
    const slugs = new Set(
      readFileSync(join(repoRoot, 'docs/operations.md'), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('#'))
        .map((l) =>
          l
            .replace(/^#+\s*/, '')
            .toLowerCase()
            .replace(/[^\w\- ]/g, '')
            .replace(/ /g, '-'),
        ),
    );
    for (const rule of alertGroups().flatMap((g) => g.rules)) {
      const [page, anchor] = rule.annotations.runbook_url.split('#');
      expect(page).toBe('https://github.com/sluice-dev/sluice/blob/main/docs/operations.md');
      expect(slugs.has(anchor!), `${rule.alert}: no heading for #${anchor}`).toBe(true);
    }
  });

  it('every query of the Grafana dashboard is valid PromQL', async () => {
    const rules = dashboardExpressions().map((expr, i) => ({ record: `dashboard:query_${i}`, expr }));
    expect(rules.length).toBeGreaterThan(8);
    writeFileSync(join(work, 'dashboard.rules.yaml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
    const { stdout } = await promtool(['check', 'rules', 'dashboard.rules.yaml']);
    expect(stdout).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  it("prometheus.yml loads in Prometheus's own configuration loader, Kubernetes discovery included; a broken one does not", async () => {
    const check = (file: string) => promisify(execFile)(join(tools, 'checkconfig'), [file], { encoding: 'utf8' });
    expect((await check(join(repoRoot, 'examples/prometheus/prometheus.yml'))).stdout).toMatch(/: ok$/m);
    const broken = readFileSync(join(repoRoot, 'examples/prometheus/prometheus.yml'), 'utf8').replace(
      'role: endpointslice',
      'role: endpointslices',
    );
    writeFileSync(join(work, 'broken.yml'), broken);
    await expect(check(join(work, 'broken.yml'))).rejects.toThrow(/endpointslices/);
  });
});
