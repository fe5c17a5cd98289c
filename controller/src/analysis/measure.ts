/**
 * Takes one measurement of a metric: renders the query, asks Prometheus (an instant query; a range query over
 * range.lookback when the metric has `range`; for `compare`, one range query per track), judges the answer by
 * the conditions or the statistical judge, and returns a Measurement for status. It never throws: a template it
 * cannot carry out, a Secret it cannot read or a Prometheus it cannot reach is an Error measurement with a
 * message saying what to do. Secret values are scrubbed from everything it returns.
 */
import type { TSchema } from 'typebox';
import { metricCompare, prometheusProvider } from '../api/analysis.schema.ts';
import { DurationError, parseDuration } from '../api/duration.ts';
import type { Measurement, Metric, PrometheusProvider as PrometheusSpec } from '../api/types.ts';
import { redact, renderQuery, renderText, type ReadSecret, type ResolvedArgs } from './args.ts';
import { judgeByConditions, type MeasuredPhase, type PromData } from './condition.ts';
import { AnalysisConfigError, truncate } from './errors.ts';
import { judge, type Direction, type JudgeClass } from './judge.ts';
import { judgeStatistics } from './judgeStatistics.ts';
import type { PrometheusApi, PromResult } from './prometheus.ts';

export interface MeasureInput {
  metric: Metric;
  /** The template's arguments, or why they could not be resolved (which makes the measurement an Error). */
  args: ResolvedArgs | AnalysisConfigError;
  /** The Rollout's namespace, where Secrets are read. */
  namespace: string;
  /** Where the metric is defined, for messages: e.g. "AnalysisTemplate shop/error-rate metrics[error-rate]". */
  field: string;
  startedAt: Date;
  /**
   * The metric comes from a ClusterAnalysisTemplate (written by a cluster admin), so its address need not be in
   * --analysis-allowed-hosts. Omitted: false, as for a namespaced AnalysisTemplate.
   */
  trusted?: boolean;
}

export interface MeasureDeps {
  provider: PrometheusApi;
  readSecret: ReadSecret;
  /** Reads the time a measurement finished. */
  clock: () => Date;
}

function schemaDefault<T>(schema: TSchema): T {
  return (schema as { default?: unknown }).default as T;
}

const defaults = {
  timeout: schemaDefault<string>(prometheusProvider.properties.timeout),
  direction: schemaDefault<Direction>(metricCompare.properties.direction),
  confidence: schemaDefault<number>(metricCompare.properties.confidence),
  allowedIncrease: schemaDefault<number>(metricCompare.properties.allowedIncrease),
  allowedDecrease: schemaDefault<number>(metricCompare.properties.allowedDecrease),
};

const maxValueLength = 256;
const maxMessageLength = 1024;

/** A number as status shows it: up to 6 significant digits, NaN and infinities as Prometheus writes them. */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  return String(Number(n.toPrecision(6)));
}

function formatList(values: readonly number[]): string {
  return `[${values.map(formatNumber).join(', ')}]`;
}

/** The measured value as short text: "0.31", "[0.2, 0.4]", "no data"; long lists are cut with their size. */
export function formatResult(data: PromData): string {
  let text: string;
  let size: number;
  switch (data.kind) {
    case 'empty':
      return 'no data';
    case 'scalar':
    case 'vector':
      if (data.values.length === 1) return formatNumber(data.values[0]!);
      text = formatList(data.values);
      size = data.values.length;
      break;
    case 'matrix':
      text = data.series.length === 1 ? formatList(data.series[0]!) : `[${data.series.map(formatList).join(', ')}]`;
      size = data.series.reduce((n, s) => n + s.length, 0);
      break;
  }
  const suffix = ` … (${size} values)`;
  return text.length <= maxValueLength ? text : `${text.slice(0, maxValueLength - suffix.length)}${suffix}`;
}

function readSecretOrFail(
  deps: MeasureDeps,
  namespace: string,
  ref: { name: string; key: string },
  field: string,
  secrets: string[],
): string {
  const value = deps.readSecret(namespace, ref.name, ref.key);
  if (value === undefined) {
    throw new AnalysisConfigError(
      'SecretNotFound',
      field,
      `${field}: Secret ${namespace}/${ref.name} has no key "${ref.key}" (or does not exist): create it, or fix the secretKeyRef`,
    );
  }
  secrets.push(value);
  return value;
}

/** The HTTP headers of the queries: the metric's headers (plain or from Secrets) and its authentication. */
function requestHeaders(
  prom: PrometheusSpec,
  args: ResolvedArgs,
  input: MeasureInput,
  deps: MeasureDeps,
  secrets: string[],
): Record<string, string> {
  const headers: Record<string, string> = {};
  const base = `${input.field}.provider.prometheus`;
  (prom.headers ?? []).forEach((h, i) => {
    const field = `${base}.headers[${i}]`;
    const ref = h.valueFrom?.secretKeyRef;
    headers[h.name] =
      ref !== undefined
        ? readSecretOrFail(deps, input.namespace, ref, `${field}.valueFrom.secretKeyRef`, secrets)
        : renderText(h.value ?? '', { args: args.values }, `${field}.value`);
  });
  const auth = prom.authentication;
  if (auth?.bearerToken !== undefined) {
    const token = readSecretOrFail(
      deps,
      input.namespace,
      auth.bearerToken.secretKeyRef,
      `${base}.authentication.bearerToken.secretKeyRef`,
      secrets,
    );
    headers.Authorization = `Bearer ${token}`;
  } else if (auth?.basicAuth !== undefined) {
    const password = readSecretOrFail(
      deps,
      input.namespace,
      auth.basicAuth.password.secretKeyRef,
      `${base}.authentication.basicAuth.password.secretKeyRef`,
      secrets,
    );
    const encoded = Buffer.from(`${auth.basicAuth.username}:${password}`).toString('base64');
    secrets.push(encoded);
    headers.Authorization = `Basic ${encoded}`;
  }
  return headers;
}

interface Judged {
  phase: MeasuredPhase;
  value?: string | undefined;
  message?: string | undefined;
  judge?: Measurement['judge'];
  decidedBy?: Measurement['decidedBy'];
}

const judgePhase: Record<JudgeClass, MeasuredPhase> = {
  Pass: 'Successful',
  High: 'Failed',
  Low: 'Failed',
  NoData: 'Inconclusive',
};

function samplesOf(data: PromData): number[] {
  return data.kind === 'empty' ? [] : data.kind === 'matrix' ? data.series.flat() : data.values;
}

async function measureCompare(metric: Metric, query: (track: string) => Promise<PromResult>): Promise<Judged> {
  const [canary, stable] = await Promise.all([query('canary'), query('stable')]);
  if (canary.kind === 'error') return { phase: 'Error', message: canary.message };
  if (stable.kind === 'error') return { phase: 'Error', message: stable.message };
  const c = metric.compare!;
  const result = judge(samplesOf(canary), samplesOf(stable), {
    what: metric.name,
    direction: c.direction ?? defaults.direction,
    confidence: c.confidence ?? defaults.confidence,
    allowedIncrease: c.allowedIncrease ?? defaults.allowedIncrease,
    allowedDecrease: c.allowedDecrease ?? defaults.allowedDecrease,
  });
  const numbers =
    result.ratio === undefined || result.p === undefined
      ? `${result.canaryCount} canary, ${result.stableCount} stable samples`
      : `ratio ${formatNumber(Number(result.ratio.toPrecision(3)))}, p=${formatNumber(Number(result.p.toPrecision(2)))}`;
  return {
    phase: judgePhase[result.classification],
    value: `${result.classification} (${numbers})`,
    message: result.reason,
    judge: judgeStatistics(result),
  };
}

async function measureOnce(input: MeasureInput, deps: MeasureDeps, secrets: string[]): Promise<Judged> {
  if (input.args instanceof AnalysisConfigError) return { phase: 'Error', message: input.args.message };
  const { metric, startedAt } = input;
  const args = input.args;
  secrets.push(...args.secrets);
  const prom = metric.provider.prometheus;
  const base = `${input.field}.provider.prometheus`;
  const timeoutMs = parseDuration(prom.timeout ?? defaults.timeout, `${base}.timeout`);
  const headers = requestHeaders(prom, args, input, deps, secrets);
  const range =
    prom.range === undefined
      ? undefined
      : {
          lookbackMs: parseDuration(prom.range.lookback, `${base}.range.lookback`),
          stepMs: parseDuration(prom.range.step, `${base}.range.step`),
        };
  const ask = (extra: Record<string, string>): Promise<PromResult> => {
    const promql = renderQuery(prom.query, args, extra, `${base}.query`);
    const trusted = input.trusted ?? false;
    const tenant = input.namespace;
    if (range === undefined) return deps.provider.query(prom.address, promql, { timeoutMs, headers, trusted, tenant });
    const start = new Date(startedAt.getTime() - range.lookbackMs);
    return deps.provider.queryRange(prom.address, promql, {
      start,
      end: startedAt,
      stepMs: range.stepMs,
      timeoutMs,
      headers,
      trusted,
      tenant,
    });
  };

  if (metric.compare !== undefined) return measureCompare(metric, (track) => ask({ track }));
  const data = await ask({});
  if (data.kind === 'error') return { phase: 'Error', message: data.message };
  const verdict = await judgeByConditions(metric, data);
  return { phase: verdict.phase, value: formatResult(data), message: verdict.message, decidedBy: verdict.decidedBy };
}

/** Takes one measurement. Never throws; every field it returns is free of secret values. */
export async function takeMeasurement(input: MeasureInput, deps: MeasureDeps): Promise<Measurement> {
  const secrets: string[] = [];
  let judged: Judged;
  try {
    judged = await measureOnce(input, deps, secrets);
  } catch (err) {
    const known = err instanceof AnalysisConfigError || err instanceof DurationError;
    const text = err instanceof Error ? err.message : String(err);
    judged = { phase: 'Error', message: known ? text : `measuring failed unexpectedly: ${text}` };
  }
  const finished = deps.clock();
  const clean = (text: string | undefined, max: number) =>
    text === undefined ? undefined : truncate(redact(text, secrets), max);
  const value = clean(judged.value, maxValueLength);
  const message = clean(judged.message, maxMessageLength);
  return {
    phase: judged.phase,
    ...(value === undefined ? {} : { value }),
    ...(message === undefined ? {} : { message }),
    ...(judged.judge === undefined ? {} : { judge: judged.judge }),
    ...(judged.decidedBy === undefined ? {} : { decidedBy: judged.decidedBy }),
    startedAt: input.startedAt.toISOString(),
    finishedAt: new Date(Math.max(finished.getTime(), input.startedAt.getTime())).toISOString(),
  };
}
