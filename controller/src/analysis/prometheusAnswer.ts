/**
 * Reading an answer of the Prometheus HTTP API into numbers: its shape, its errors, and the limits on how many
 * samples it may hold. Pure, so that every shape Prometheus (or a proxy in front of it) can send is tested without
 * a server. Only a bad_data error keeps Prometheus's words, cut and stripped; the rest of an answer's text never
 * reaches status (prometheus.ts says why).
 */
import { redact } from './args.ts';
import { STATUS_CODES } from 'node:http';
import { statusWords } from './errors.ts';

export type PromResult =
  | { kind: 'scalar' | 'vector'; values: number[] }
  | { kind: 'matrix'; series: number[][] }
  | { kind: 'empty' }
  | { kind: 'error'; message: string };

/** How many samples one answer may hold; more is refused rather than judged on a part. */
export interface SampleLimits {
  /** Points of one series: Prometheus itself refuses a range query of more than 11,000 points per series. */
  perSeries: number;
  /** Samples of the whole answer (series × points). */
  total: number;
}

export const defaultSampleLimits: SampleLimits = { perSeries: 11_000, total: 100_000 };

interface ApiBody {
  status?: unknown;
  errorType?: unknown;
  error?: unknown;
  data?: { resultType?: unknown; result?: unknown };
}

/** An errorType as Prometheus writes them (bad_data, execution, timeout, ...), or nothing for anything else. */
function errorTypeOf(body: ApiBody): string | undefined {
  return typeof body.errorType === 'string' && /^[a-z_]{1,32}$/.test(body.errorType) ? body.errorType : undefined;
}

/**
 * Reads an answer of the Prometheus HTTP API. Pure, so that every shape Prometheus (or a proxy in front of it)
 * can send is tested without a server. No part of an answer's text is returned but a bad_data error's words.
 */
export function interpretResponse(
  address: string,
  status: number,
  text: string,
  limits: SampleLimits = defaultSampleLimits,
  secrets: readonly string[] = [],
): PromResult {
  const where = `Prometheus at ${address}`;
  let body: ApiBody | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object') body = parsed;
  } catch {
    body = undefined;
  }
  // The standard reason phrase, not the server's: that is the author's text too.
  const statusLine = `HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd();
  if (body === undefined || (body.status !== 'success' && body.status !== 'error')) {
    if (status < 200 || status >= 300) {
      const hint =
        status === 401 || status === 403
          ? ': check provider.prometheus.authentication'
          : status >= 300 && status < 400
            ? ': Sluice follows no redirects, so point provider.prometheus.address at where it leads'
            : '';
      return { kind: 'error', message: `${where} answered ${statusLine}${hint}` };
    }
    return {
      kind: 'error',
      message: `${where} answered with something other than the Prometheus API: check provider.prometheus.address`,
    };
  }
  if (body.status === 'error') {
    const type = errorTypeOf(body);
    if (type === 'bad_data') {
      // A parse error: it is about the author's own query, which they need to fix, so its words are kept.
      // Secrets first: folding and cutting could leave part of one that the engine's redaction no longer finds.
      const detail = typeof body.error === 'string' ? `: ${statusWords(redact(body.error, secrets), 160)}` : '';
      return { kind: 'error', message: `${where} refused the query (bad_data)${detail}` };
    }
    const hint =
      type === 'timeout' || type === 'execution' ? ': make the query cheaper or raise provider.prometheus.timeout' : '';
    return {
      kind: 'error',
      message: `${where} could not run the query, ${statusLine}${type === undefined ? '' : ` (${type})`}${hint}`,
    };
  }
  return readData(where, body.data, limits);
}

/** Why an answer holds more samples than Sluice reads, before any of them is converted. */
function tooManySamples(where: string, resultType: unknown, result: unknown, limits: SampleLimits): string | undefined {
  if (!Array.isArray(result)) return undefined;
  if (resultType === 'vector' && result.length > limits.total) {
    return `${where} answered with ${result.length} series, more than the ${limits.total} samples Sluice reads in one answer: aggregate the query (sum, topk)`;
  }
  if (resultType !== 'matrix') return undefined;
  let total = 0;
  for (const series of result) {
    const points = (series as { values?: unknown } | null)?.values;
    const n = Array.isArray(points) ? points.length : 0;
    if (n > limits.perSeries) {
      return `${where} answered with ${n} points in one series, more than the ${limits.perSeries} Sluice reads per series: use a longer range.step or a shorter range.lookback`;
    }
    total += n;
  }
  if (total > limits.total) {
    return `${where} answered with ${total} samples (series × points), more than the ${limits.total} Sluice reads in one answer: aggregate the query (sum, topk) or use a longer range.step`;
  }
  return undefined;
}

function readData(where: string, data: ApiBody['data'], limits: SampleLimits): PromResult {
  const result = data?.result;
  const over = tooManySamples(where, data?.resultType, result, limits);
  if (over !== undefined) return { kind: 'error', message: over };
  try {
    switch (data?.resultType) {
      case 'scalar':
        return { kind: 'scalar', values: [readSample(result)] };
      case 'vector': {
        const series = asArray(result).map((s) => readSample((s as { value?: unknown }).value, s));
        return series.length === 0 ? { kind: 'empty' } : { kind: 'vector', values: series };
      }
      case 'matrix': {
        const series = asArray(result).map((s) =>
          asArray((s as { values?: unknown }).values, s).map((v) => readSample(v)),
        );
        return series.every((s) => s.length === 0)
          ? { kind: 'empty' }
          : { kind: 'matrix', series: series.filter((s) => s.length > 0) };
      }
      case 'string':
        return {
          kind: 'error',
          message: `${where} returned a string, not numbers: the query must return a number, a vector or a range`,
        };
      default:
        return {
          kind: 'error',
          message: `${where} returned an unknown result type: the query must return a number, a vector or a range`,
        };
    }
  } catch (err) {
    return {
      kind: 'error',
      message: `${where} returned a result Sluice cannot read: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

function asArray(value: unknown, series?: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (series !== null && typeof series === 'object' && ('histogram' in series || 'histograms' in series)) {
    throw new Error(
      'native histogram samples have no single value: wrap the query in histogram_quantile or histogram_sum',
    );
  }
  // Says what kind of thing came, never what it said: the answer's text stays out of status.
  throw new Error(`expected a list, got ${value === null ? 'null' : typeof value}`);
}

/** Reads one [timestamp, "value"] pair; Prometheus writes NaN and infinities as "NaN", "+Inf" and "-Inf". */
function readSample(pair: unknown, series?: unknown): number {
  const [, raw] = asArray(pair, series);
  if (raw === '+Inf' || raw === 'Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  if (raw === 'NaN') return NaN;
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (Number.isNaN(value)) throw new Error(`a sample value (a ${typeof raw}) is not a number`);
  return value;
}
