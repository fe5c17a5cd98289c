/**
 * PrometheusProvider: instant and range queries against the Prometheus HTTP API. Every request goes through the
 * process's one HTTP client (global fetch, whose undici dispatcher keeps connections alive); nothing here creates
 * an agent per request. It never throws for anything Prometheus or the network does: unreachable, timeouts, HTTP
 * errors and refused queries all come back as `{kind: 'error'}` with a sentence saying what happened.
 * NaN and ±Inf, which Prometheus sends as the strings "NaN", "+Inf" and "-Inf", come back as NaN and ±Infinity.
 */
import { formatDuration } from '../api/duration.ts';

export type PromResult =
  | { kind: 'scalar' | 'vector'; values: number[] }
  | { kind: 'matrix'; series: number[][] }
  | { kind: 'empty' }
  | { kind: 'error'; message: string };

export interface QueryOptions {
  timeoutMs: number;
  headers?: Readonly<Record<string, string>>;
  /** Evaluation time; Prometheus's "now" when omitted. */
  time?: Date;
}

export interface RangeQueryOptions {
  start: Date;
  end: Date;
  stepMs: number;
  timeoutMs: number;
  headers?: Readonly<Record<string, string>>;
}

/** What the analysis engine needs from Prometheus; PrometheusProvider is the implementation. */
export interface PrometheusApi {
  query(address: string, promql: string, opts: QueryOptions): Promise<PromResult>;
  queryRange(address: string, promql: string, opts: RangeQueryOptions): Promise<PromResult>;
}

export interface PrometheusProviderOptions {
  /** Sent as User-Agent, so that Prometheus's logs name Sluice. */
  userAgent?: string;
  /** Answers larger than this are refused rather than held in memory (a query returning every series). */
  maxResponseBytes?: number;
}

const defaultMaxResponseBytes = 8 * 1024 * 1024;

export class PrometheusProvider implements PrometheusApi {
  readonly #userAgent: string;
  readonly #maxResponseBytes: number;

  constructor(opts: PrometheusProviderOptions = {}) {
    this.#userAgent = opts.userAgent ?? 'sluice';
    this.#maxResponseBytes = opts.maxResponseBytes ?? defaultMaxResponseBytes;
  }

  query(address: string, promql: string, opts: QueryOptions): Promise<PromResult> {
    const form: Record<string, string> = { query: promql, timeout: promTimeout(opts.timeoutMs) };
    if (opts.time !== undefined) form.time = unixSeconds(opts.time);
    return this.#post(address, 'api/v1/query', form, opts.timeoutMs, opts.headers);
  }

  queryRange(address: string, promql: string, opts: RangeQueryOptions): Promise<PromResult> {
    const form = {
      query: promql,
      start: unixSeconds(opts.start),
      end: unixSeconds(opts.end),
      step: String(opts.stepMs / 1000),
      timeout: promTimeout(opts.timeoutMs),
    };
    return this.#post(address, 'api/v1/query_range', form, opts.timeoutMs, opts.headers);
  }

  async #post(address: string, path: string, form: Record<string, string>, timeoutMs: number, headers: Readonly<Record<string, string>> = {}): Promise<PromResult> {
    const where = `Prometheus at ${address}`;
    let url: URL;
    try {
      url = new URL(path, address.endsWith('/') ? address : `${address}/`);
    } catch {
      return { kind: 'error', message: `${where} cannot be queried: the address is not a URL` };
    }
    const requestHeaders = new Headers({ 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', 'User-Agent': this.#userAgent });
    for (const [name, value] of Object.entries(headers)) {
      try {
        requestHeaders.set(name, value);
      } catch {
        // The error would quote the value, which may come from a Secret: name the header only.
        return { kind: 'error', message: `${where} cannot be queried: header ${name} has a value HTTP cannot carry (a line break or control character)` };
      }
    }
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      // POST with a form body: Prometheus accepts it on both endpoints, and long queries do not hit URL limits.
      const res = await fetch(url, { method: 'POST', headers: requestHeaders, body: new URLSearchParams(form).toString(), signal });
      const body = await readLimited(res, this.#maxResponseBytes);
      if (body === undefined) return { kind: 'error', message: `${where} answered with more than ${this.#maxResponseBytes} bytes: narrow the query (aggregate with sum or topk)` };
      return interpretResponse(address, res.status, res.statusText, body);
    } catch (err) {
      if (signal.aborted) return { kind: 'error', message: `${where} did not answer within ${formatDuration(timeoutMs)}: raise provider.prometheus.timeout or make the query cheaper` };
      return { kind: 'error', message: `${where} was unreachable: ${describeNetworkError(err)}` };
    }
  }
}

function unixSeconds(d: Date): string {
  return (d.getTime() / 1000).toFixed(3);
}

function promTimeout(ms: number): string {
  return `${Math.max(1, Math.ceil(ms))}ms`;
}

/** Reads a body up to `max` bytes; undefined (and the rest discarded) when it is larger. */
async function readLimited(res: Response, max: number): Promise<string | undefined> {
  if (res.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) {
      await res.body.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Turns fetch's "fetch failed" into its cause: "connect ECONNREFUSED 127.0.0.1:9", "getaddrinfo ENOTFOUND prom". */
function describeNetworkError(err: unknown): string {
  let at: unknown = err;
  // fetch wraps the socket error in `cause`; follow the chain to the innermost one that says something.
  while (at instanceof Error && at.cause instanceof Error) at = at.cause;
  if (at instanceof AggregateError && at.errors.length > 0) {
    return [...new Set(at.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))))].join('; ');
  }
  if (at instanceof Error) return at.message !== '' ? at.message : ('code' in at && typeof at.code === 'string' ? at.code : at.name);
  return String(at);
}

interface ApiBody {
  status?: unknown;
  errorType?: unknown;
  error?: unknown;
  data?: { resultType?: unknown; result?: unknown };
}

/**
 * Reads an answer of the Prometheus HTTP API. Pure, so that every shape Prometheus (or a proxy in front of it)
 * can send is tested without a server.
 */
export function interpretResponse(address: string, status: number, statusText: string, text: string): PromResult {
  const where = `Prometheus at ${address}`;
  let body: ApiBody | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object') body = parsed;
  } catch {
    body = undefined;
  }
  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  if (body === undefined || (body.status !== 'success' && body.status !== 'error')) {
    if (status < 200 || status >= 300) {
      const hint = status === 401 || status === 403 ? ': check provider.prometheus.authentication' : snippet === '' ? '' : `: ${snippet}`;
      return { kind: 'error', message: `${where} answered HTTP ${status} ${statusText}`.trimEnd() + hint };
    }
    return { kind: 'error', message: `${where} answered with something other than the Prometheus API: check provider.prometheus.address (got: ${snippet})` };
  }
  if (body.status === 'error') {
    const detail = typeof body.error === 'string' ? body.error : 'no error text';
    if (body.errorType === 'bad_data') return { kind: 'error', message: `${where} refused the query: ${detail}` };
    const type = typeof body.errorType === 'string' ? ` (${body.errorType})` : '';
    return { kind: 'error', message: `${where} could not run the query, HTTP ${status}${type}: ${detail}` };
  }
  return readData(where, body.data);
}

function readData(where: string, data: ApiBody['data']): PromResult {
  const result = data?.result;
  try {
    switch (data?.resultType) {
      case 'scalar':
        return { kind: 'scalar', values: [readSample(result)] };
      case 'vector': {
        const series = asArray(result).map((s) => readSample((s as { value?: unknown }).value, s));
        return series.length === 0 ? { kind: 'empty' } : { kind: 'vector', values: series };
      }
      case 'matrix': {
        const series = asArray(result).map((s) => asArray((s as { values?: unknown }).values, s).map((v) => readSample(v)));
        return series.every((s) => s.length === 0) ? { kind: 'empty' } : { kind: 'matrix', series: series.filter((s) => s.length > 0) };
      }
      case 'string':
        return { kind: 'error', message: `${where} returned a string, not numbers: the query must return a number, a vector or a range` };
      default:
        return { kind: 'error', message: `${where} returned an unknown result type ${JSON.stringify(data?.resultType)}` };
    }
  } catch (err) {
    return { kind: 'error', message: `${where} returned a result Sluice cannot read: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function asArray(value: unknown, series?: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (series !== null && typeof series === 'object' && ('histogram' in series || 'histograms' in series)) {
    throw new Error('native histogram samples have no single value: wrap the query in histogram_quantile or histogram_sum');
  }
  throw new Error(`expected a list, got ${JSON.stringify(value)?.slice(0, 80)}`);
}

/** Reads one [timestamp, "value"] pair; Prometheus writes NaN and infinities as "NaN", "+Inf" and "-Inf". */
function readSample(pair: unknown, series?: unknown): number {
  const [, raw] = asArray(pair, series);
  if (raw === '+Inf' || raw === 'Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  if (raw === 'NaN') return NaN;
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (Number.isNaN(value)) throw new Error(`sample value ${JSON.stringify(raw)} is not a number`);
  return value;
}
