/**
 * The monitoring examples as the tests read them: the alerts of the PrometheusRule, the Grafana dashboard's queries
 * as plain PromQL, the metric names a query reads, and the folder of tools (promtool, Prometheus's own
 * configuration loader, prometheus-operator's CRD) that test/setup/monitoring-tools.sh builds.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../cluster/paths.ts';

export function monitoringTools(): string {
  return execFileSync('bash', [join(repoRoot, 'test/setup/monitoring-tools.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

export interface AlertRule {
  alert: string;
  expr: string;
  annotations: { runbook_url: string };
}

export function alertGroups(): { name: string; rules: AlertRule[] }[] {
  return (
    parse(readFileSync(join(repoRoot, 'examples/prometheus/sluice-alerts.yaml'), 'utf8')) as {
      spec: { groups: { name: string; rules: AlertRule[] }[] };
    }
  ).spec.groups;
}

export function alertExpressions(): string[] {
  return alertGroups().flatMap((g) => g.rules.map((r) => r.expr));
}

export interface RecordingRule {
  record: string;
  expr: string;
}

/** The groups of examples/prometheus/sluice-outcomes.yaml: recording rules over the outcome metrics. */
export function outcomeRuleGroups(): { name: string; interval?: string; rules: RecordingRule[] }[] {
  return (
    parse(readFileSync(join(repoRoot, 'examples/prometheus/sluice-outcomes.yaml'), 'utf8')) as {
      spec: { groups: { name: string; rules: RecordingRule[] }[] };
    }
  ).spec.groups;
}

/** The series the example recording rules make, which the Grafana dashboard may read beside the controller's. */
export function recordedNames(): Set<string> {
  return new Set(outcomeRuleGroups().flatMap((g) => g.rules.map((r) => r.record)));
}

/** The dashboard's queries with Grafana's variables given values, so that they are plain PromQL. */
export function dashboardExpressions(): string[] {
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
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const operators = new Set(['and', 'or', 'unless', 'bool', 'offset']);
  return [...bare.matchAll(/\b([a-zA-Z_:][\w:]*)\b(?!\s*\()/g)].map((m) => m[1]!).filter((n) => !operators.has(n));
}
