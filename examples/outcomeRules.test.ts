/**
 * The outcome recording rules (examples/prometheus/sluice-outcomes.yaml) read only series the controller exports,
 * as its own registry names them (not a list kept here), or series an earlier rule of the file records; the
 * Grafana dashboard's Outcomes row reads what they record; and promtool accepts the file when it is installed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createMetrics } from '../controller/src/metrics.ts';
import {
  dashboardExpressions,
  metricNames,
  outcomeRuleGroups,
  recordedNames,
} from '../test/integration/monitoringExamples.ts';

/** Every series name the controller exports: a histogram's as _bucket, _count and _sum. */
async function exportedNames(): Promise<Set<string>> {
  const metrics = await createMetrics({ version: 'test' }).registry.getMetricsAsJSON();
  return new Set(
    metrics.flatMap((m) =>
      String(m.type) === 'histogram' ? [`${m.name}_bucket`, `${m.name}_count`, `${m.name}_sum`] : [m.name],
    ),
  );
}

/** promtool on PATH, or in the monitoring tools' cache (test/setup/monitoring-tools.sh); undefined when neither. */
function findPromtool(): string | undefined {
  const onPath = (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'promtool'));
  const cache = join(
    process.env.SLUICE_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sluice'),
  );
  const cached = existsSync(cache)
    ? readdirSync(cache)
        .filter((d) => d.startsWith('monitoring-tools-'))
        .map((d) => join(cache, d, 'promtool'))
    : [];
  return [...onPath, ...cached].find((file) => existsSync(file));
}

describe('the outcome recording rules', () => {
  it('are YAML whose rules read only series the controller exports or an earlier rule records', async () => {
    const groups = outcomeRuleGroups();
    const exported = await exportedNames();
    const recordedSoFar = new Set<string>();
    const read = new Set<string>();
    for (const rule of groups.flatMap((g) => g.rules)) {
      expect(rule.record, rule.expr).toMatch(/^[a-z_]+:sluice_[a-z0-9_]+:[a-z0-9_]+$/);
      for (const name of metricNames(rule.expr)) {
        expect(exported.has(name) || recordedSoFar.has(name), `${rule.record} reads ${name}`).toBe(true);
        read.add(name);
      }
      recordedSoFar.add(rule.record);
    }
    // Each outcome metric is used, so a renamed metric fails here rather than in someone's Prometheus.
    for (const name of [
      'sluice_rollout_outcomes_total',
      'sluice_rollout_duration_seconds_bucket',
      'sluice_analysis_runs_total',
    ])
      expect(read.has(name), name).toBe(true);
  });

  it("feed the Grafana dashboard's change-failure rate and lead time panels", () => {
    const recorded = recordedNames();
    const used = new Set(
      dashboardExpressions()
        .flatMap(metricNames)
        .filter((name) => recorded.has(name)),
    );
    expect(used).toContain('namespace:sluice_change_failure_rate:ratio7d');
    expect(used).toContain('namespace:sluice_change_failure_rate:ratio30d');
    expect(used).toContain('namespace:sluice_rollout_lead_time_seconds:p90_7d');
  });

  const promtool = findPromtool();
  it.skipIf(promtool === undefined)('pass promtool check rules (skipped when promtool is not installed)', async () => {
    const work = mkdtempSync(join(tmpdir(), 'sluice-outcome-rules-'));
    writeFileSync(join(work, 'outcomes.rules.yaml'), stringify({ groups: outcomeRuleGroups() }));
    const { stdout } = await promisify(execFile)(promtool!, ['check', 'rules', 'outcomes.rules.yaml'], {
      cwd: work,
      encoding: 'utf8',
    });
    const count = outcomeRuleGroups().flatMap((g) => g.rules).length;
    expect(stdout).toMatch(new RegExp(`SUCCESS: ${count} rules found`));
  });

  it.skipIf(promtool === undefined)(
    'compute the change-failure rate and the lead time from the counters (promtool test rules)',
    async () => {
      const work = mkdtempSync(join(tmpdir(), 'sluice-outcome-rules-'));
      writeFileSync(join(work, 'outcomes.rules.yaml'), stringify({ groups: outcomeRuleGroups() }));
      // Over two days in shop: 3 promotions and 1 abort an hour (a failure rate of 1 in 4), half of the promotions
      // within 5 minutes and half within 10; in blog, only promotions. The series start as the controller exports
      // them: absent until it handles a Rollout in the namespace (here after an hour), then every outcome at 0
      // before the first one ends - so the first hour's outcomes are counted by increase() too.
      const counter = (namespace: string, outcome: string, perHour: number) => ({
        series: `sluice_rollout_outcomes_total{namespace="${namespace}",outcome="${outcome}"}`,
        values: `_ 0+${perHour}x47`,
      });
      const bucket = (le: string, perHour: number) => ({
        series: `sluice_rollout_duration_seconds_bucket{namespace="shop",outcome="promoted",le="${le}"}`,
        values: `_ 0+${perHour}x47`,
      });
      const samples = (record: string, values: Record<string, number>) => ({
        expr: record,
        eval_time: '48h',
        exp_samples: Object.entries(values).map(([namespace, value]) => ({
          labels: `${record}{namespace="${namespace}"}`,
          value,
        })),
      });
      const tests = {
        rule_files: ['outcomes.rules.yaml'],
        evaluation_interval: '5m',
        tests: [
          {
            interval: '1h',
            input_series: [
              counter('shop', 'promoted', 3),
              counter('shop', 'aborted_analysis', 1),
              counter('shop', 'aborted_user', 0),
              counter('shop', 'deadline', 0),
              counter('blog', 'promoted', 2),
              counter('blog', 'aborted_analysis', 0),
              counter('blog', 'aborted_user', 0),
              counter('blog', 'deadline', 0),
              bucket('60', 0),
              bucket('300', 2),
              bucket('600', 4),
              bucket('+Inf', 4),
            ],
            promql_expr_test: [
              // No failure in blog is a rate of 0, not a missing one.
              samples('namespace:sluice_change_failure_rate:ratio7d', { shop: 0.25, blog: 0 }),
              samples('namespace:sluice_change_failure_rate:ratio30d', { shop: 0.25, blog: 0 }),
              samples('namespace:sluice_rollout_lead_time_seconds:p50_7d', { shop: 300 }),
            ],
          },
        ],
      };
      writeFileSync(join(work, 'outcomes.test.yaml'), stringify(tests));
      const { stdout } = await promisify(execFile)(promtool!, ['test', 'rules', 'outcomes.test.yaml'], {
        cwd: work,
        encoding: 'utf8',
      });
      expect(stdout).toMatch(/SUCCESS/);
    },
  );
});
