/**
 * The monitoring examples are valid for Prometheus: the alerts as a rule file and against their promtool unit
 * tests, each with a runbook section in docs/operations.md, the Grafana dashboard's queries as PromQL, and
 * prometheus.yml in Prometheus's own configuration loader. That the series they read are exported is checked
 * against a running controller in manifestsClusterInstall.test.ts.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { repoRoot } from '../cluster/paths.ts';
import { alertGroups, dashboardExpressions, monitoringTools } from './monitoringExamples.ts';

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
