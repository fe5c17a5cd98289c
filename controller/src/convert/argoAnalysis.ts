/**
 * Argo AnalysisTemplate / ClusterAnalysisTemplate -> Sluice's. Prometheus metrics carry over (conditions
 * translated to CEL by argoExpr.ts); a metric of another provider is dropped whole, since a metric Sluice cannot
 * measure must not look like one that passes. When no metric is left the template is not written at all, and a
 * Rollout that names it gets TemplateNotFound rather than an analysis that judges nothing.
 */
import { metricLimits } from '../api/analysis.schema.ts';
import { apiVersion } from '../api/types.ts';
import { keptMetadata, type Conversion, type KubeManifest } from './conversion.ts';
import { argoConditionToCel, UntranslatableError } from './argoExpr.ts';
import { DropList, setIf, type Fields } from './argoRead.ts';

const otherProviders = [
  'datadog',
  'newRelic',
  'wavefront',
  'web',
  'job',
  'kayenta',
  'cloudWatch',
  'graphite',
  'influxdb',
  'skywalking',
  'plugin',
];

const labelName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const address = /^https?:\/\/[^\s/?#]+[^\s]*$/;

function convertArg(arg: Fields, path: string, drops: DropList): Fields | undefined {
  const name = drops.string(arg['name'], `${path}.name`);
  if (name === undefined) {
    drops.drop(path, 'the argument has no name');
    return undefined;
  }
  const out: Fields = { name };
  setIf(out, 'value', drops.string(arg['value'], `${path}.value`));
  const from = drops.fields(arg['valueFrom'], `${path}.valueFrom`);
  if (from !== undefined) {
    const secret = drops.fields(from['secretKeyRef'], `${path}.valueFrom.secretKeyRef`);
    const field = drops.fields(from['fieldRef'], `${path}.valueFrom.fieldRef`);
    if (secret !== undefined) out['valueFrom'] = { secretKeyRef: { name: secret['name'], key: secret['key'] } };
    else if (field !== undefined) out['valueFrom'] = { fieldRef: { fieldPath: field['fieldPath'] } };
    drops.rest(from, `${path}.valueFrom`, ['secretKeyRef', 'fieldRef'], () => 'Sluice has no such argument source');
  }
  drops.rest(arg, path, ['name', 'value', 'valueFrom'], () => 'Sluice arguments have no such field');
  return out;
}

function convertPrometheus(prom: Fields, path: string, drops: DropList): Fields | undefined {
  const url = drops.string(prom['address'], `${path}.address`);
  const query = drops.string(prom['query'], `${path}.query`);
  if (url === undefined || !address.test(url) || query === undefined || query === '') {
    drops.drop(
      path,
      'the metric needs an http(s) address written out (an {{args}} address is not accepted by Sluice) and a query; the metric is not converted',
    );
    return undefined;
  }
  const out: Fields = { address: url };
  setIf(out, 'timeout', drops.duration(prom['timeout'], `${path}.timeout`, metricLimits.timeout));
  out['query'] = query;
  const headers = drops.list(prom['headers'], `${path}.headers`);
  const kept = (headers ?? []).flatMap((h, i) => {
    const name = drops.string(h['key'], `${path}.headers[${i}].key`);
    const value = drops.string(h['value'], `${path}.headers[${i}].value`);
    if (name !== undefined && value !== undefined) return [{ name, value }];
    drops.drop(`${path}.headers[${i}]`, 'a header needs a key and a value, both strings: not sent');
    return [];
  });
  if (kept.length > 0) out['headers'] = kept;
  if (prom['authentication'] !== undefined)
    drops.drop(
      `${path}.authentication`,
      'Sluice authenticates to Prometheus with a bearer token or basic auth from a Secret (authentication.bearerToken / basicAuth), not sigv4 or oauth2: set it by hand',
    );
  if (prom['insecure'] !== undefined)
    drops.drop(`${path}.insecure`, 'Sluice always verifies Prometheus TLS certificates');
  if (prom['rangeQuery'] !== undefined)
    drops.drop(
      `${path}.rangeQuery`,
      'Sluice range queries are range {lookback, step} relative to now, not start/end expressions: write range by hand',
    );
  drops.rest(
    prom,
    path,
    ['address', 'query', 'timeout', 'headers', 'authentication', 'insecure', 'rangeQuery'],
    () => 'the Prometheus provider of Sluice has no such field',
  );
  return out;
}

function condition(value: unknown, path: string, drops: DropList): string | undefined {
  const expression = drops.string(value, path);
  if (expression === undefined) return undefined;
  try {
    return argoConditionToCel(expression);
  } catch (err) {
    if (!(err instanceof UntranslatableError)) throw err;
    drops.drop(
      path,
      `${JSON.stringify(expression)} cannot be translated to CEL faithfully (${err.message}): write it in CEL over result`,
    );
    return undefined;
  }
}

function convertMetric(metric: Fields, path: string, dryRun: boolean, drops: DropList): Fields | undefined {
  const name = drops.string(metric['name'], `${path}.name`);
  if (name === undefined || !labelName.test(name) || name.length > 63) {
    drops.drop(path, `the metric name ${JSON.stringify(name)} is not a lowercase DNS label, as Sluice requires`);
    return undefined;
  }
  const provider = drops.fields(metric['provider'], `${path}.provider`) ?? {};
  const kinds = Object.keys(provider);
  const others = kinds.filter((k) => k !== 'prometheus');
  for (const kind of others)
    drops.drop(
      `${path}.provider.${kind}`,
      otherProviders.includes(kind)
        ? `the ${kind} provider is not convertible yet (Sluice measures with Prometheus): the metric ${name} is not converted`
        : `Sluice has no ${kind} provider: the metric ${name} is not converted`,
    );
  if (others.length > 0 || kinds.length === 0) {
    if (kinds.length === 0) drops.drop(`${path}.provider`, `no provider: the metric ${name} is not converted`);
    return undefined;
  }
  const prometheus = drops.fields(provider['prometheus'], `${path}.provider.prometheus`);
  const converted = prometheus && convertPrometheus(prometheus, `${path}.provider.prometheus`, drops);
  if (converted === undefined) return undefined;

  const out: Fields = { name };
  setIf(out, 'interval', drops.duration(metric['interval'], `${path}.interval`, metricLimits.interval));
  setIf(out, 'count', drops.integer(metric['count'], `${path}.count`, 1, metricLimits.count));
  setIf(out, 'initialDelay', drops.duration(metric['initialDelay'], `${path}.initialDelay`, metricLimits.initialDelay));
  for (const limit of ['failureLimit', 'inconclusiveLimit', 'consecutiveErrorLimit'])
    setIf(out, limit, drops.integer(metric[limit], `${path}.${limit}`, 0, metricLimits.tolerated));
  setIf(out, 'successCondition', condition(metric['successCondition'], `${path}.successCondition`, drops));
  setIf(out, 'failureCondition', condition(metric['failureCondition'], `${path}.failureCondition`, drops));
  if (dryRun) out['dryRun'] = true;
  out['provider'] = { prometheus: converted };
  drops.rest(
    metric,
    path,
    [
      'name',
      'provider',
      'interval',
      'count',
      'initialDelay',
      'failureLimit',
      'inconclusiveLimit',
      'consecutiveErrorLimit',
      'successCondition',
      'failureCondition',
    ],
    (field) => `Sluice metrics have no ${field}`,
  );
  if (out['successCondition'] === undefined && out['failureCondition'] === undefined) {
    drops.drop(
      path,
      `no condition of the metric ${name} converts, and Sluice cannot judge it without one: not converted`,
    );
    return undefined;
  }
  return out;
}

/** Names of the metrics spec.dryRun covers: an exact name, or `.*` for all (Argo matches these as regexes). */
function dryRunNames(spec: Fields, drops: DropList): { all: boolean; names: Set<string> } {
  const names = new Set<string>();
  let all = false;
  drops.list(spec['dryRun'], 'spec.dryRun')?.forEach((entry, i) => {
    const name = entry['metricName'];
    if (name === '.*') all = true;
    else if (typeof name === 'string' && labelName.test(name)) names.add(name);
    else
      drops.drop(
        `spec.dryRun[${i}]`,
        `the pattern ${JSON.stringify(name)} is not carried: set dryRun: true on the metrics it means`,
      );
  });
  return { all, names };
}

export function convertArgoAnalysisTemplate(input: KubeManifest, drops: DropList): Conversion {
  const spec = drops.fields(input['spec'], 'spec') ?? {};
  const dryRun = dryRunNames(spec, drops);
  const args = (drops.list(spec['args'], 'spec.args') ?? []).flatMap(
    (arg, i) => convertArg(arg, `spec.args[${i}]`, drops) ?? [],
  );
  const metrics = (drops.list(spec['metrics'], 'spec.metrics') ?? []).flatMap((metric, i) => {
    const name = metric['name'];
    const isDry = dryRun.all || (typeof name === 'string' && dryRun.names.has(name));
    return convertMetric(metric, `spec.metrics[${i}]`, isDry, drops) ?? [];
  });
  if (spec['measurementRetention'] !== undefined)
    drops.drop('spec.measurementRetention', 'Sluice keeps a fixed number of measurements per metric');
  drops.rest(
    spec,
    'spec',
    ['args', 'metrics', 'dryRun', 'measurementRetention'],
    (f) => `Sluice templates have no ${f}`,
  );
  if (metrics.length === 0) {
    drops.drop('spec.metrics', 'no metric converts, so the template is not written (Sluice needs at least one)');
    return { objects: [], dropped: drops.entries };
  }
  const out: Fields = {};
  if (args.length > 0) out['args'] = args;
  out['metrics'] = metrics;
  return {
    objects: [{ apiVersion, kind: input.kind, metadata: keptMetadata(input), spec: out }],
    dropped: drops.entries,
  };
}
