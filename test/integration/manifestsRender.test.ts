/**
 * manifests/ as a user gets it, read from what `kubectl kustomize` renders (no object reaches the API server here):
 * which objects each folder installs, RBAC bound to the ServiceAccount the Deployment runs as and with no wildcard,
 * the Deployment against the Dockerfile and the controller's own defaults, the per-namespace Secret access, the
 * NetworkPolicy, and the namespaced variant. The API server's side is manifestsDryRun.test.ts and the install stories.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { machineHost, settings } from '../../controller/src/config.ts';
import { repoRoot } from '../cluster/paths.ts';
import { dockerInstructions } from '../support/imageCommand.ts';
import { render } from './installation.ts';
import { containerOf, ofKind, one, podSpecOf, rulesOf } from './renderedManifests.ts';

describe('manifests/ as kubectl kustomize renders it', () => {
  it('installs the namespace, the CRDs of crds/, the RBAC and the controller', async () => {
    const { objects } = await render('manifests');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/sluice',
      'ClusterRole/sluice-routers',
      'ClusterRoleBinding/sluice',
      'ClusterRoleBinding/sluice-routers',
      'CustomResourceDefinition/analysistemplates.sluice.dev',
      'CustomResourceDefinition/clusteranalysistemplates.sluice.dev',
      'CustomResourceDefinition/notificationchannels.sluice.dev',
      'CustomResourceDefinition/rollouts.sluice.dev',
      'Deployment/sluice',
      'Namespace/sluice-system',
      'NetworkPolicy/sluice',
      'PodDisruptionBudget/sluice',
      'Role/sluice-leader-election',
      'Role/sluice-notification-secrets',
      'RoleBinding/sluice-leader-election',
      'RoleBinding/sluice-notification-secrets',
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
    const leaseRole = ofKind(objects, 'Role').find((r) => r.metadata.name === 'sluice-leader-election')!;
    const leaseRule = rulesOf(leaseRole).find((r) => r.resourceNames !== undefined);
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
      [
        { apiGroups: ['sluice.dev'], resources: ['notificationchannels'], verbs: ['list', 'watch'] },
        { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] },
      ],
    ]);
    const container = containerOf(one(objects, 'Deployment'));
    expect(container.args).toContain('--namespace=$(POD_NAMESPACE)');
    expect(container.env).toContainEqual({
      name: 'POD_NAMESPACE',
      valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
    });
    // The namespaced Role grants what the ClusterRole grants, less the cluster-scoped kinds (templates, notification
    // channels and namespaces' labels: granted in their own ClusterRoles above).
    const clusterRoles = ofKind((await render('manifests')).objects, 'ClusterRole');
    const named = <T extends { metadata: { name: string } }>(list: T[], name: string) =>
      list.find((r) => r.metadata.name === name)!;
    const cluster = rulesOf(named(clusterRoles, 'sluice'))
      .filter((r) => !r.resources!.includes('notificationchannels') && !r.resources!.includes('namespaces'))
      .map((r) => ({
        ...r,
        resources: r.resources!.filter((x) => x !== 'clusteranalysistemplates'),
      }));
    expect(rulesOf(named(ofKind(objects, 'Role'), 'sluice'))).toEqual(cluster);
    // The routers' rules: the same in the namespace as across the cluster.
    expect(rulesOf(named(ofKind(objects, 'Role'), 'sluice-routers'))).toEqual(
      rulesOf(named(clusterRoles, 'sluice-routers')),
    );
  });
});
