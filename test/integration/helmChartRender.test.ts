/**
 * The Helm chart (manifests/helm/sluice) as the real helm renders it, against the kustomize install it mirrors (no
 * object reaches the API server here): with default values, exactly the objects of `kubectl kustomize manifests/`;
 * each value that has a kustomize counterpart (the namespaced variant, a name suffix and namespace, the
 * dashboard-actions and analysis-secrets components) exactly that counterpart's objects; each other value exactly
 * the change it names, and nothing else. helm lint passes strict for each, and bad values fail with their path.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../cluster/paths.ts';
import { byKey, chartDir, helm, helmTemplate, valuesFile, withoutHelmKeep } from './helmChart.ts';
import { render, type KubeObject } from './installation.ts';
import { containerOf, one, rulesOf } from './renderedManifests.ts';

type Values = Record<string, unknown>;

/** The default render, changed by `change`: what a value must render, when only that change is expected. */
async function defaultsChangedBy(change: (objects: Record<string, KubeObject>) => void) {
  const objects = byKey(await helmTemplate());
  change(objects);
  return byKey(Object.values(objects));
}
/**
 * The kustomize objects as the chart names them in the namespace scope without a suffix: each ClusterRole and
 * ClusterRoleBinding takes the namespace's name, so that two teams' installs do not take each other's.
 */
function clusterScopedNamedAfter(namespace: string, objects: KubeObject[]): KubeObject[] {
  return objects.map((o) => {
    if (o.kind !== 'ClusterRole' && o.kind !== 'ClusterRoleBinding') return o;
    const renamed = structuredClone(o);
    renamed.metadata.name = `${o.metadata.name}-${namespace}`;
    const roleRef = renamed['roleRef'] as { name: string } | undefined;
    if (roleRef !== undefined) roleRef.name = `${roleRef.name}-${namespace}`;
    return renamed;
  });
}
const deploymentIn = (objects: Record<string, KubeObject>) => objects['Deployment/sluice-system/sluice']!;
const argsOf = (objects: Record<string, KubeObject>) => containerOf(deploymentIn(objects)).args!;
const envOf = (objects: Record<string, KubeObject>) => containerOf(deploymentIn(objects)).env!;

describe('the Helm chart, rendered by helm', () => {
  it('given default values, when rendered, then it holds exactly the objects of kubectl kustomize manifests/', async () => {
    const kustomized = (await render('manifests')).objects;
    expect(kustomized.length).toBe(18);
    // The one difference, documented in templates/namespace.yaml: helm uninstall keeps the Namespace.
    expect(byKey(withoutHelmKeep(await helmTemplate()))).toEqual(byKey(kustomized));
  });

  it.each<[string, { dir: string; components?: string[] }, Values]>([
    ['the namespaced variant', { dir: 'manifests/namespaced' }, { scope: 'namespace' }],
    ['a namespace and a name suffix', { dir: 'manifests' }, { namespace: 'platform', nameSuffix: '-x' }],
    [
      'the dashboard-actions component',
      { dir: 'manifests', components: ['manifests/dashboard-actions'] },
      { namespace: 'platform', nameSuffix: '-x', dashboard: { actions: true } },
    ],
    [
      'the analysis-secrets component',
      { dir: 'manifests', components: ['manifests/analysis-secrets'] },
      { namespace: 'platform', nameSuffix: '-x', analysisSecrets: true },
    ],
    [
      'the namespaced variant with dashboard actions, in its own namespace',
      { dir: 'manifests/namespaced', components: ['manifests/dashboard-actions'] },
      { scope: 'namespace', namespace: 'shop', nameSuffix: '-x', dashboard: { actions: true } },
    ],
  ])('given values for %s, when rendered, then it holds exactly the kustomize objects', async (_, variant, values) => {
    const namespaced = values['scope'] === 'namespace';
    // The namespaced variant leaves the CRDs to a cluster admin (helm install --skip-crds).
    const chart = await helmTemplate(values, { skipCrds: namespaced });
    const kustomized =
      values['namespace'] === undefined
        ? await render(variant.dir)
        : await render(variant.dir, {
            namespace: values['namespace'] as string,
            nameSuffix: values['nameSuffix'] as string,
            ...(variant.components === undefined ? {} : { components: variant.components }),
          });
    const expected =
      namespaced && values['nameSuffix'] === undefined
        ? clusterScopedNamedAfter('default', kustomized.objects)
        : kustomized.objects;
    expect(byKey(withoutHelmKeep(chart))).toEqual(byKey(expected));
  });

  it('given the namespace scope and helm -n shop, when rendered, then everything namespaced is in shop', async () => {
    const objects = await helmTemplate({ scope: 'namespace' }, { namespace: 'shop', skipCrds: true });
    const namespaces = new Set(objects.filter((o) => !o.kind.startsWith('Cluster')).map((o) => o.metadata.namespace));
    expect([...namespaces]).toEqual(['shop']);
    expect(containerOf(one(objects, 'Deployment')).args).toContain('--namespace=$(POD_NAMESPACE)');
  });

  it("given analysis secrets in the namespace scope, then a Role of that namespace grants what a namespace owner's analysis-secrets-namespace does", async () => {
    const without = byKey(await helmTemplate({ scope: 'namespace' }, { namespace: 'shop', skipCrds: true }));
    const withSecrets = byKey(
      await helmTemplate({ scope: 'namespace', analysisSecrets: true }, { namespace: 'shop', skipCrds: true }),
    );
    const added = Object.keys(withSecrets).filter((k) => !(k in without));
    expect(added.sort()).toEqual(['Role/shop/sluice-analysis-secrets', 'RoleBinding/shop/sluice-analysis-secrets']);
    const owners = byKey((await render('manifests/analysis-secrets-namespace')).objects);
    for (const kind of ['Role', 'RoleBinding']) {
      const expected = structuredClone(owners[`${kind}//sluice-analysis-secrets`]!);
      expected.metadata.namespace = 'shop';
      // The owner's file names the install of manifests/; here the binding names this install's ServiceAccount.
      if (kind === 'RoleBinding')
        expected['subjects'] = [{ kind: 'ServiceAccount', name: 'sluice', namespace: 'shop' }];
      expect(withSecrets[`${kind}/shop/sluice-analysis-secrets`]).toEqual(expected);
    }
  });

  it('given an instance id, then the controller takes only its Rollouts and may renew only its own Lease', async () => {
    const expected = await defaultsChangedBy((objects) => {
      argsOf(objects).push('--instance-id=team-a');
      rulesOf(objects['Role/sluice-system/sluice-leader-election']!)[1]!.resourceNames = ['sluice-controller-team-a'];
    });
    expect(byKey(await helmTemplate({ instanceId: 'team-a' }))).toEqual(expected);
  });

  it('given restartPods false, then the rules on pods and pods/eviction are left out, and nothing else', async () => {
    const pods = new Set(['pods', 'pods/eviction']);
    const expected = await defaultsChangedBy((objects) => {
      const role = objects['ClusterRole//sluice']!;
      const rules = rulesOf(role);
      expect(rules.filter((r) => r.resources?.some((x) => pods.has(x)))).toHaveLength(2);
      role['rules'] = rules.filter((r) => !r.resources?.some((x) => pods.has(x)));
    });
    expect(byKey(await helmTemplate({ restartPods: false }))).toEqual(expected);
  });

  it('given replicas, resources and an image, then only the Deployment changes, in those fields', async () => {
    const resources = { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '2', memory: '2Gi' } };
    const expected = await defaultsChangedBy((objects) => {
      const deployment = deploymentIn(objects);
      (deployment.spec as { replicas: number }).replicas = 3;
      Object.assign(containerOf(deployment), { resources, image: 'registry.example.com/sluice:0.1.1' });
    });
    const values = { replicas: 3, resources, image: { repository: 'registry.example.com/sluice', tag: '0.1.1' } };
    expect(byKey(await helmTemplate(values))).toEqual(expected);
  });

  it('given Unleash settings, then the controller gets them as flags, and its tokens from the named Secrets', async () => {
    // Keys in alphabetical order, as helm's toJson (Go's encoding/json) writes a map's.
    const tenancy = { namespaces: { shop: { environments: ['production'], projects: ['shop'] } } };
    const expected = await defaultsChangedBy((objects) => {
      argsOf(objects).push(
        '--unleash-url=http://unleash.unleash:4242',
        '--unleash-project=shop',
        '--unleash-environment=production',
        `--unleash-tenancy=${JSON.stringify(tenancy)}`,
      );
      envOf(objects).push(
        {
          name: 'SLUICE_UNLEASH_ADMIN_TOKEN',
          valueFrom: { secretKeyRef: { name: 'sluice-unleash', key: 'admin-token' } },
        } as never,
        {
          name: 'SLUICE_UNLEASH_CLIENT_TOKEN',
          valueFrom: { secretKeyRef: { name: 'sluice-unleash', key: 'client' } },
        } as never,
      );
    });
    const unleash = {
      url: 'http://unleash.unleash:4242',
      project: 'shop',
      environment: 'production',
      tenancy,
      adminTokenSecret: { name: 'sluice-unleash', key: 'admin-token' },
      clientTokenSecret: { name: 'sluice-unleash', key: 'client' },
    };
    expect(byKey(await helmTemplate({ unleash }))).toEqual(expected);
  });

  it('given analysis hosts, extra flags and variables, then the controller gets exactly those', async () => {
    const expected = await defaultsChangedBy((objects) => {
      argsOf(objects).push('--analysis-allowed-hosts=prometheus.monitoring:9090,*.monitoring.svc', '--log-level=debug');
      envOf(objects).push({ name: 'SLUICE_LEASE_DURATION', value: '20s' } as never);
    });
    const values = {
      analysisAllowedHosts: ['prometheus.monitoring:9090', '*.monitoring.svc'],
      extraArgs: ['--log-level=debug'],
      extraEnv: [{ name: 'SLUICE_LEASE_DURATION', value: '20s' }],
    };
    expect(byKey(await helmTemplate(values))).toEqual(expected);
  });

  it('given createNamespace false, then only the Namespace is gone', async () => {
    const expected = await defaultsChangedBy((objects) => delete objects['Namespace//sluice-system']);
    expect(byKey(await helmTemplate({ createNamespace: false }))).toEqual(expected);
  });

  it('given the example values of docs/getting-started.md, then the controller gets them, and the schema takes them', async () => {
    const guide = readFileSync(join(repoRoot, 'docs/getting-started.md'), 'utf8');
    const example = /```yaml\n# my-sluice-values\.yaml\n([\s\S]*?)```/.exec(guide)?.[1];
    expect(example).toBeDefined();
    const container = containerOf(one(await helmTemplate(parse(example!) as Values), 'Deployment'));
    expect(container.args).toEqual(
      expect.arrayContaining([
        '--analysis-allowed-hosts=prometheus.monitoring:9090',
        '--unleash-url=http://unleash.unleash:4242',
      ]),
    );
    expect(container.env?.map((e) => e.name)).toContain('SLUICE_UNLEASH_ADMIN_TOKEN');
  });

  it.each<[string, Values]>([
    ['default values', {}],
    ['the namespace scope', { scope: 'namespace', analysisSecrets: true, dashboard: { actions: true } }],
    ['every feature', { instanceId: 'a', analysisSecrets: true, unleash: { url: 'http://u:4242' } }],
  ])('given %s, when helm lint --strict runs, then it reports no warning or error', async (_, values) => {
    const lint = await helm(['lint', '--strict', chartDir, '-f', valuesFile(values)]);
    expect(lint.stdout + lint.stderr).not.toMatch(/\[(WARNING|ERROR)\]/);
    expect(lint.code, lint.stdout).toBe(0);
    expect(lint.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it.each<[string, Values, RegExp]>([
    [
      'a scope it does not know',
      { scope: 'cluster-wide' },
      /at '\/scope': value must be one of 'cluster', 'namespace'/,
    ],
    ['a misspelt value', { replica: 3 }, /additional properties 'replica' not allowed/],
    ['replicas as words', { replicas: 'two' }, /at '\/replicas': got string, want integer/],
    ['an Unleash URL with credentials', { unleash: { url: 'http://admin:pw@unleash:4242' } }, /at '\/unleash\/url'/],
    ['an instance id that is no label', { instanceId: 'Team_A' }, /at '\/instanceId'/],
  ])('given %s, when installed or rendered, then helm refuses it, naming the value', async (_, values, message) => {
    const r = await helm(['template', 'sluice', chartDir, '-f', valuesFile(values)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(r.stderr).toMatch(message);
  });
});
