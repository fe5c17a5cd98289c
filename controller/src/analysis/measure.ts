/**
 * Takes one measurement of a metric: asks the metric's provider (provider.ts; for `compare`, once per track) under
 * the provider's deadline, judges the answer by the conditions or the statistical judge, and returns a Measurement
 * for status. This is where the provider contract is enforced, the same for every provider: empty is Inconclusive,
 * an error or a throw is an Error, NaN and infinities never pass, a late provider is an Error. It never throws: a
 * template it cannot carry out, a Secret it cannot read or a backend it cannot reach is an Error measurement with
 * a message saying what to do. Secret values are scrubbed from everything it returns.
 */
import type { TSchema } from 'typebox';
import { metricCompare, providerKeys } from '../api/analysis.schema.ts';
import { DurationError, formatDuration } from '../api/duration.ts';
import type { Measurement, Metric } from '../api/types.ts';
import { redact, type ReadSecret, type ResolvedArgs } from './args.ts';
import { judgeByConditions, maxConditionSamples, type Judgeable, type MeasuredPhase } from './condition.ts';
import { AnalysisConfigError, truncate } from './errors.ts';
import { judge, type Direction, type JudgeClass } from './judge.ts';
import { judgeStatistics } from './judgeStatistics.ts';
import { fromJson, samplesOf, type Scrub } from './providerAnswer.ts';
import { providerKeyOf, type MetricProvider, type ProviderAnswer, type ProviderSet } from './provider.ts';

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
  /** The Rollout analysed: a provider that creates objects (a Job) has them owned by it. */
  rollout?: { name: string; uid: string | undefined };
  /** The due measurement's id (engine.ts DueMeasurement.id): the same after a controller restart. */
  measurementId?: string;
}

export interface MeasureDeps {
  /** The providers this controller runs; a metric whose provider is missing is an Error measurement. */
  providers: ProviderSet;
  readSecret: ReadSecret;
  /** Reads the time a measurement finished. */
  clock: () => Date;
}

function schemaDefault<T>(schema: TSchema): T {
  return (schema as { default?: unknown }).default as T;
}

const defaults = {
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

/**
 * The measured value as short text: "0.31", "[0.2, 0.4]", "no data"; long lists are cut with their size. A JSON
 * value goes through `scrub` whole before it is cut: a Secret straddling the cut would no longer be recognised.
 */
export function formatResult(data: Judgeable, scrub: Scrub = (text) => text): string {
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
    case 'json':
      // JSON writes an infinity as null; status shows it as what the conditions saw.
      text = scrub(
        JSON.stringify(data.value, (_key, v: unknown) =>
          typeof v === 'number' && !Number.isFinite(v) ? formatNumber(v) : v,
        ),
      );
      size = text.length;
      if (text.length > maxValueLength) return `${text.slice(0, maxValueLength - 20)} … (${size} chars)`;
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
  scrubbed: string[],
): string {
  const value = deps.readSecret(namespace, ref.name, ref.key);
  if (value === undefined) {
    throw new AnalysisConfigError(
      'SecretNotFound',
      field,
      `${field}: Secret ${namespace}/${ref.name} has no key "${ref.key}" (or does not exist): create it, or fix the secretKeyRef`,
    );
  }
  scrubbed.push(value);
  return value;
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

async function measureCompare(
  metric: Metric,
  query: (track: 'canary' | 'stable') => Promise<ProviderAnswer>,
  scrub: Scrub,
): Promise<Judged> {
  const [canary, stable] = await Promise.all([query('canary'), query('stable')]);
  const canarySamples = samplesOf(canary, scrub);
  if ('error' in canarySamples) return { phase: 'Error', message: canarySamples.error };
  const stableSamples = samplesOf(stable, scrub);
  if ('error' in stableSamples) return { phase: 'Error', message: stableSamples.error };
  // judge() runs on the event loop (it sorts and ranks every sample): the conditions' bound holds for it too.
  for (const [track, { samples }] of [
    ['canary', canarySamples],
    ['stable', stableSamples],
  ] as const) {
    if (samples.length > maxConditionSamples) {
      return {
        phase: 'Error',
        message: `compare got ${samples.length} ${track} samples, more than the ${maxConditionSamples} per track it may judge: aggregate the query, or raise its step`,
      };
    }
  }
  const c = metric.compare!;
  const result = judge(canarySamples.samples, stableSamples.samples, {
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

/** The provider's answer as the conditions judge it, or an Error/verdict that needs no judging. */
async function judgeAnswer(metric: Metric, answer: ProviderAnswer, scrub: Scrub): Promise<Judged> {
  if (answer.kind === 'error') return { phase: 'Error', message: answer.message };
  if (answer.kind === 'verdict') return { phase: answer.phase, value: answer.value, message: answer.message };
  const data = answer.kind === 'json' ? fromJson(answer.value) : answer;
  const verdict = await judgeByConditions(metric, data, undefined, scrub);
  return {
    phase: verdict.phase,
    value: formatResult(data, scrub),
    message: verdict.message,
    decidedBy: verdict.decidedBy,
  };
}

/**
 * Waits for the provider at most its timeout (plus a moment, so that a provider that keeps its own deadline gives
 * its own, more precise message), then aborts its signal and makes the measurement an Error: a provider that
 * ignores its deadline cannot hold a measurement worker.
 */
async function withDeadline(
  timeoutMs: number,
  field: string,
  ask: (signal: AbortSignal) => Promise<ProviderAnswer>,
): Promise<ProviderAnswer> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<ProviderAnswer>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({
        kind: 'error',
        message: `${field} did not answer within ${formatDuration(timeoutMs)}: raise ${field}.timeout or make the measurement cheaper`,
      });
    }, timeoutMs + deadlineGraceMs);
  });
  try {
    return await Promise.race([ask(controller.signal), late]);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

const deadlineGraceMs = 250;

async function measureOnce(input: MeasureInput, deps: MeasureDeps, scrubbed: string[]): Promise<Judged> {
  if (input.args instanceof AnalysisConfigError) return { phase: 'Error', message: input.args.message };
  const { metric } = input;
  const args = input.args;
  scrubbed.push(...args.secrets);
  const key = providerKeyOf(metric);
  if (key === undefined) {
    return {
      phase: 'Error',
      message: `${input.field}.provider: set exactly one of ${providerKeys.join(', ')}`,
    };
  }
  const provider: MetricProvider | undefined = deps.providers[key];
  const field = `${input.field}.provider.${key}`;
  if (provider === undefined) {
    return { phase: 'Error', message: `${field}: this controller does not run the ${key} provider` };
  }
  // The provider under `key` takes the spec under `key`; TypeScript cannot pair the two through a union of keys.
  const spec = metric.provider[key] as never;
  const timeoutMs = provider.timeoutMs(spec, `${field}.timeout`);
  const ask = (vars: Record<string, string>, track?: 'canary' | 'stable') =>
    withDeadline(timeoutMs, field, async (signal) =>
      provider.measure(spec, {
        namespace: input.namespace,
        rollout: input.rollout ?? { name: '', uid: undefined },
        measurementId: input.measurementId ?? '',
        field,
        startedAt: input.startedAt,
        trusted: input.trusted ?? false,
        ...(track === undefined ? {} : { track }),
        args,
        vars,
        secret: (ref, at) => readSecretOrFail(deps, input.namespace, ref, at, scrubbed),
        scrub: (derived) => void scrubbed.push(derived),
        signal,
      }),
    );

  // Read when a message is written, once the provider has named every Secret value it used.
  const scrub: Scrub = (text) => redact(text, scrubbed);
  if (metric.compare !== undefined) return measureCompare(metric, (track) => ask({ track }, track), scrub);
  return judgeAnswer(metric, await ask({}), scrub);
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
