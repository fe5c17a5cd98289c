/**
 * A Canary's spec.analysis.metrics as the metrics of one Sluice AnalysisTemplate per Canary, run as background
 * analysis (a canary), or before the switch with `iterations` measurements each (blue-green). A Flagger metric is
 * a query and a thresholdRange that the Canary sets; a Sluice metric carries its condition in the template. So each
 * Canary gets its own template: builtin checks with the PromQL of its mesh, and templateRef metrics with the query
 * of the referenced MetricTemplate (which must be converted in the same run).
 *
 * Judging, mapped exactly where Sluice can:
 * - Flagger checks every metric once per analysis.interval, first one interval after the first weight (or, in
 *   blue-green, after the canary is ready): Sluice's metric interval and initialDelay are analysis.interval. Flagger's metric interval is the query's window.
 * - Flagger rolls back when `threshold` checks have failed (a failed check being a value outside thresholdRange, a
 *   query error or no data), counted since the canary started and never reset by a passing check. Sluice fails a
 *   metric when failed measurements exceed failureLimit (analysis/metric.ts: failed > failureLimit), also counted
 *   over the whole run: failureLimit = threshold - 1 fails it on the threshold-th failure. Errors and empty results
 *   get the same allowance (consecutiveErrorLimit, inconclusiveLimit). One difference remains: Flagger counts failed
 *   checks across all metrics together, Sluice per metric, so mixed failures of several metrics last longer here.
 */
import { renderPromql } from '../analysis/promqlTemplate.ts';
import type { KubeManifest } from './conversion.ts';
import { Fields, isRecord, type Json } from './flaggerFields.ts';
import { builtinQueries } from './flaggerQueries.ts';

/** Flagger's --metrics-server default, which its builtin checks query. */
export const flaggerMetricsServer = 'http://prometheus:9090';
/** Flagger's default metric interval (the query window). */
const defaultWindow = '1m';

export interface MetricContext {
  rollout: string;
  namespace: string | undefined;
  /** The Service only the new revision stands behind: <rollout>-canary, or a blue-green's preview Service. */
  canaryService: string;
  target: string;
  apex: string;
  ingress: string | undefined;
  provider: string | undefined;
  /** analysis.interval: how often Flagger checks. */
  interval: string;
  threshold: number;
  /**
   * Measurements per metric when the checks gate one step (blue-green's pre-promotion analysis: Flagger's
   * iterations); undefined for background analysis, which measures until the rollout ends.
   */
  count?: number;
  /** The MetricTemplate a templateRef names, among the objects converted together. */
  metricTemplate: (namespace: string | undefined, name: string) => KubeManifest | undefined;
}

export interface ConvertedMetrics {
  metrics: Json[];
  /** The template's args, as declared (without value: the Rollout passes them) or with valueFrom. */
  templateArgs: Json[];
  /** What the Rollout passes. */
  args: { name: string; value: string }[];
}

const builtinNames = ['request-success-rate', 'request-duration'];

/** The args a template reads from the Rollout being analysed (valueFrom.fieldRef), by the field they read. */
const fromRollout: Record<string, string> = {
  namespace: 'metadata.namespace',
  name: 'metadata.name',
  // The revision under analysis, whose pods are named after it (workload/objects.ts): for the kubernetes builtins
  // only, since no Flagger template has a variable for it.
  revision: 'status.canaryRevision',
};

/** The args every converted template may use, with the value the Rollout passes (undefined: from the Rollout). */
function knownArgs(ctx: MetricContext): Map<string, string | undefined> {
  const m = new Map<string, string | undefined>([
    ['namespace', undefined],
    ['name', undefined],
    ['canaryService', ctx.canaryService],
    ['target', ctx.target],
    ['service', ctx.apex],
  ]);
  if (ctx.ingress !== undefined) m.set('ingress', ctx.ingress);
  return m;
}

const reserved = new Set(['namespace', 'name', 'revision', 'canaryService', 'target', 'service', 'ingress']);
/** A templateVariables key as a Sluice arg name: its own name, unless a builtin variable has it. */
export function variableArg(key: string): string {
  return reserved.has(key) ? `variables-${key}` : key;
}

export function convertMetrics(analysis: Fields, ctx: MetricContext): ConvertedMetrics {
  const list = analysis.list('metrics') ?? [];
  const drops = analysis.drops;
  const metrics: Json[] = [];
  const used = new Map<string, string | undefined>();
  const known = knownArgs(ctx);
  list.forEach((item, i) => {
    const f = new Fields(item, `${analysis.at('metrics')}[${i}]`, drops);
    const metric = convertMetric(f, ctx, known, used);
    f.dropRest();
    if (metric !== undefined) metrics.push(metric);
  });
  const templateArgs: Json[] = [];
  const args: { name: string; value: string }[] = [];
  for (const [name, value] of [...used].sort(([a], [b]) => a.localeCompare(b))) {
    if (value === undefined) {
      templateArgs.push({ name, valueFrom: { fieldRef: { fieldPath: fromRollout[name]! } } });
    } else {
      templateArgs.push({ name });
      args.push({ name, value });
    }
  }
  return { metrics, templateArgs, args };
}

function convertMetric(
  f: Fields,
  ctx: MetricContext,
  known: Map<string, string | undefined>,
  used: Map<string, string | undefined>,
): Json | undefined {
  const drops = f.drops;
  const name = f.str('name');
  const window = f.duration('interval') ?? defaultWindow;
  const range = f.obj('thresholdRange');
  const min = range?.num('min');
  const max = range?.num('max');
  range?.dropRest();
  const templateRef = f.obj('templateRef');
  const inlineQuery = f.str('query');
  const variables = f.obj('templateVariables');
  if (name === undefined) {
    drops.add(f.path, 'a metric without a name is not converted');
    return undefined;
  }
  const conditions = [
    ...(min === undefined ? [] : [`result >= ${min}`]),
    ...(max === undefined ? [] : [`result <= ${max}`]),
  ];
  if (conditions.length === 0) {
    drops.add(f.path, `metric ${name} has no thresholdRange: Sluice needs a condition to judge it; add one`);
    return undefined;
  }

  let query: string | undefined;
  let address = flaggerMetricsServer;
  let source: string;
  const values = new Map(known);
  if (templateRef !== undefined || inlineQuery !== undefined) {
    let template: string | undefined = inlineQuery;
    source = `the query of metric ${name}`;
    if (templateRef !== undefined) {
      const refName = templateRef.str('name');
      const refNamespace = templateRef.str('namespace') ?? ctx.namespace;
      templateRef.dropRest();
      const found = refName === undefined ? undefined : ctx.metricTemplate(refNamespace, refName);
      const label = `MetricTemplate ${refNamespace === undefined ? '' : `${refNamespace}/`}${refName ?? '?'}`;
      if (found === undefined) {
        drops.add(
          templateRef.path,
          `${label} is not among the objects converted: convert it together with the Canary (same -f), since its query goes into the Canary's AnalysisTemplate`,
        );
        return undefined;
      }
      const provider = readProvider(found);
      if (typeof provider === 'string') {
        drops.add(templateRef.path, `${label}: ${provider}`);
        return undefined;
      }
      template = provider.query;
      address = provider.address;
      source = `the query of ${label}`;
    } else {
      drops.add(
        f.at('query'),
        `note: Flagger ran this query against its --metrics-server; the template uses ${flaggerMetricsServer}: check the address`,
      );
    }
    for (const k of Object.keys(variables?.value ?? {})) {
      const v = variables!.str(k);
      if (v !== undefined) values.set(variableArg(k), v);
    }
    query = convertTemplateQuery(template!, window, values, used, f.path, drops, name);
    if (query === undefined) return undefined;
    if (/\{\{\s*target\s*\}\}/.test(template!))
      drops.add(
        f.path,
        `action: in Flagger, {{ target }} named the canary Deployment, whose pods only the canary ran; Sluice's stable and canary pods both belong to the Rollout: check that ${source} measures the canary only (Sluice's canary Service is ${ctx.canaryService})`,
      );
  } else {
    variables?.dropRest('templateVariables apply to templateRef metrics only');
    const builtin = builtinNames.includes(name) ? builtinQueries(ctx.provider) : undefined;
    if (builtin === undefined) {
      drops.add(
        f.path,
        builtinNames.includes(name)
          ? `the builtin check ${name} has no query for provider ${ctx.provider ?? '(not set)'} in Sluice: write an AnalysisTemplate for it`
          : `metric ${name} is neither a builtin check nor a templateRef: not converted`,
      );
      return undefined;
    }
    query = name === 'request-success-rate' ? builtin.successRate(window) : builtin.duration(window);
    for (const arg of builtin.args) used.set(arg, known.get(arg));
    drops.add(
      f.path,
      `note: the builtin check ${name} is written as PromQL over ${builtin.source}, ${builtin.selects(ctx.canaryService)}, against ${flaggerMetricsServer} (Flagger's --metrics-server default): check the address and the query`,
    );
  }
  const limit = ctx.threshold - 1;
  return {
    name: metricName(name, f, drops),
    interval: ctx.interval,
    ...(ctx.count === undefined ? {} : { count: ctx.count }),
    initialDelay: ctx.interval,
    failureLimit: limit,
    inconclusiveLimit: limit,
    consecutiveErrorLimit: limit,
    successCondition: conditions.join(' && '),
    provider: { prometheus: { address, query } },
  };
}

/** A MetricTemplate's prometheus provider and query, or why it cannot be used. */
function readProvider(mt: KubeManifest): { address: string; query: string } | string {
  const spec = isRecord(mt.spec) ? mt.spec : {};
  const provider = isRecord(spec.provider) ? spec.provider : {};
  if (provider.type !== 'prometheus')
    return `provider type ${String(provider.type)} is not Prometheus, the only provider Sluice has`;
  if (typeof provider.address !== 'string' || !/^https?:\/\/[^\s/?#]+\S*$/.test(provider.address))
    return 'provider.address is not an http(s) URL';
  if (typeof spec.query !== 'string' || spec.query === '') return 'it has no query';
  return { address: provider.address, query: spec.query };
}

const placeholder = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)?)\s*\}\}/g;

/**
 * Flagger's {{ var }} placeholders as Sluice's {{args.var}}; {{ interval }}, which sits in a range selector where
 * Sluice takes no placeholder, is written in. Sluice's own renderer then checks the result with the values the
 * Rollout will pass: a placeholder outside a string literal, which Sluice refuses, drops the metric with its reason.
 */
export function convertTemplateQuery(
  template: string,
  window: string,
  values: Map<string, string | undefined>,
  used: Map<string, string | undefined>,
  path: string,
  drops: Fields['drops'],
  metric: string,
): string | undefined {
  const unknown: string[] = [];
  const needed = new Map<string, string | undefined>();
  const query = template.replace(placeholder, (raw, name: string) => {
    if (name === 'interval') return window;
    const arg = name.startsWith('variables.') ? variableArg(name.slice('variables.'.length)) : name;
    if (!values.has(arg)) {
      unknown.push(raw);
      return raw;
    }
    needed.set(arg, values.get(arg));
    return `{{args.${arg}}}`;
  });
  if (unknown.length > 0) {
    drops.add(path, `metric ${metric}: the query uses ${unknown.join(', ')}, which the Canary gives no value for`);
    return undefined;
  }
  try {
    renderPromql(query, { args: new Map([...needed.keys()].map((k) => [k, 'x'])) }, path);
  } catch (err) {
    drops.add(path, `metric ${metric}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  for (const [k, v] of needed) used.set(k, v);
  return query;
}

function metricName(name: string, f: Fields, drops: Fields['drops']): string {
  const clean =
    name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63) || 'metric';
  if (clean !== name)
    drops.add(f.at('name'), `renamed ${JSON.stringify(name)} to ${clean}: Sluice metric names are DNS labels`);
  return clean;
}
