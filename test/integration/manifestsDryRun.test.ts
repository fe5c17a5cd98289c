/**
 * The API server accepts every object of manifests/ (cluster-wide, namespaced, with dashboard actions, the
 * per-namespace Secret access) and every YAML example in a server-side dry run with strict field validation; the
 * PrometheusRule against prometheus-operator's schema, which refuses a misspelt field. Nothing is stored: the objects
 * go under the test's own namespaces and name suffix, as an overlay would put them.
 */
import { randomBytes } from 'node:crypto';
import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { repoRoot } from '../cluster/paths.ts';
import { waitFor } from '../support/wait.ts';
import { applyYaml, kubectlAs, parseObjects, render } from './installation.ts';
import { monitoringTools } from './monitoringExamples.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, clusterInfo, useNamespace } from './support.ts';

const suffix = `-${randomBytes(3).toString('hex')}`;
const app = useNamespace('manifests-app');
const nsInstall = useNamespace('manifests-ns');

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
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
