/**
 * The InfluxDB 1.x metric provider: renders the metric's InfluxQL (arguments escaped for the literal they sit in,
 * {{track}} for compare; influxqlTemplate.ts), refuses anything but one SELECT or SHOW before it is sent, and asks
 * GET /query?db=&rp=&epoch=ms&q= through the process's one HTTP client (global fetch). What the answer means is the
 * engine's; influxdbAnswer.ts turns it into numbers.
 *
 * The same bounds as Prometheus (prometheus.ts says why): the address is checked first (providerPolicy.ts, the
 * allowlist for namespaced templates), every answer is counted against the process's one AnswerBudget as it
 * arrives and capped in size, an answer with more rows than Sluice reads is refused, redirects are not followed,
 * and the answer's text never reaches status but for InfluxDB's own error about the query.
 * GET is InfluxDB's method for reading; InfluxDB 1.x still runs a writing statement sent by GET (it only warns), so
 * the read-only check before sending is what keeps a template from writing with the credentials it borrows.
 * The password travels in the Authorization header, never in the URL (which proxies and InfluxDB's own log keep).
 */
import { influxdbProvider } from '../api/influxdbProvider.schema.ts';
import { parseDuration } from '../api/duration.ts';
import type { InfluxdbProvider as InfluxdbSpec } from '../api/types.ts';
import { AnswerBudget } from './answerBudget.ts';
import { redact } from './args.ts';
import { interpretInfluxAnswer } from './influxdbAnswer.ts';
import { escapeInfluxqlString, renderInfluxql } from './influxqlTemplate.ts';
import { fetchWithinBudget } from './answerFetch.ts';
import { defaultAnswerBudgetBytes, defaultMaxResponseBytes } from './prometheus.ts';
import { defaultSampleLimits, type PromResult, type SampleLimits } from './prometheusAnswer.ts';
import type { MetricProvider, ProviderRequest } from './provider.ts';
import { addressProblem, type HostPattern } from './providerPolicy.ts';
import { isError, traceProviderCall } from './measureSpan.ts';
import type { Span } from '../trace/span.ts';
import { noopTracer, type Tracer } from '../trace/tracer.ts';

const defaultTimeout = (influxdbProvider.properties.timeout as unknown as { default: string }).default;

export interface InfluxdbClientOptions {
  /** Sent as User-Agent, so that InfluxDB's logs name Sluice. */
  userAgent?: string;
  /** The process's budget for answers in flight, shared with every other provider; its own when omitted. */
  budget?: AnswerBudget;
  /** Answers larger than this are refused; at most the budget's maxAnswerBytes. */
  maxResponseBytes?: number;
  /** Hosts a namespaced AnalysisTemplate may query (--analysis-allowed-hosts); none when omitted. */
  allowedHosts?: readonly HostPattern[];
  sampleLimits?: SampleLimits;
  /** Where the start of a refused answer goes (never into status). */
  debug?: (details: Record<string, unknown>, message: string) => void;
  /** A client span per query under the measurement's (measureSpan.ts); none when omitted. */
  tracer?: Tracer;
}

const mib = (bytes: number) => `${Number((bytes / 1024 / 1024).toFixed(1))} MiB`;

/**
 * The forms a secret can take in InfluxDB's words about a query: as written, as Sluice escaped it, and as InfluxDB
 * quotes it back (QuoteString escapes \\ ' and line feeds but not ", QuoteIdent \\ " and line feeds but not ').
 * They are removed before InfluxDB's words are cut and stripped of what status cannot hold (influxdbAnswer.ts).
 */
function influxSecretForms(secrets: readonly string[]): string[] {
  const quoted = (s: string, quote: string) =>
    s.replace(/[\\\n'"]/g, (c) => (c === '\n' ? '\\n' : c === '\\' || c === quote ? `\\${c}` : c));
  return secrets.flatMap((s) => [
    s,
    quoted(s, "'"),
    quoted(s, '"'),
    ...(/[\r\0]/.test(s) ? [] : [escapeInfluxqlString(s)]),
  ]);
}

/** Basic authentication from the spec, the password read from its Secret and the encoded form scrubbed. */
function authorization(spec: InfluxdbSpec, request: ProviderRequest, secrets: string[]): string | undefined {
  const basic = spec.authentication?.basicAuth;
  if (basic === undefined) return undefined;
  const password = request.secret(
    basic.password.secretKeyRef,
    `${request.field}.authentication.basicAuth.password.secretKeyRef`,
  );
  secrets.push(...influxSecretForms([password]));
  const encoded = Buffer.from(`${basic.username}:${password}`).toString('base64');
  request.scrub(encoded);
  return `Basic ${encoded}`;
}

/** The InfluxDB provider: one per process, sharing its budget with Prometheus's. */
export function influxdbMetricProvider(opts: InfluxdbClientOptions = {}): MetricProvider<'influxdb'> {
  const budget =
    opts.budget ??
    new AnswerBudget(defaultAnswerBudgetBytes, { maxAnswerBytes: opts.maxResponseBytes ?? defaultMaxResponseBytes });
  const maxBytes = Math.min(opts.maxResponseBytes ?? defaultMaxResponseBytes, budget.maxAnswerBytes);
  const limits = opts.sampleLimits ?? defaultSampleLimits;
  const debug = opts.debug ?? (() => undefined);
  const tracer = opts.tracer ?? noopTracer;

  async function query(spec: InfluxdbSpec, request: ProviderRequest, timeoutMs: number): Promise<PromResult> {
    const problem = addressProblem(
      spec.address,
      { trusted: request.trusted, allowedHosts: opts.allowedHosts ?? [] },
      { field: 'provider.influxdb.address', credentials: 'provider.influxdb.authentication with a secretKeyRef' },
    );
    if (problem !== undefined) return { kind: 'error', message: problem };
    // A secret argument may come back inside InfluxDB's error about the query, escaped as the query holds it.
    for (const secret of request.args.secrets) {
      if (!/[\r\0]/.test(secret)) request.scrub(escapeInfluxqlString(secret));
    }
    const secrets = influxSecretForms(request.args.secrets);
    const q = renderInfluxql(spec.query, { args: request.args.values, vars: request.vars }, `${request.field}.query`);
    const auth = authorization(spec, request, secrets);
    const where = `InfluxDB at ${spec.address}`;
    const url = new URL('query', spec.address.endsWith('/') ? spec.address : `${spec.address}/`);
    url.searchParams.set('db', spec.database);
    if (spec.retentionPolicy !== undefined) url.searchParams.set('rp', spec.retentionPolicy);
    url.searchParams.set('epoch', 'ms');
    url.searchParams.set('q', q);
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': opts.userAgent ?? 'sluice' };
    if (auth !== undefined) headers.Authorization = auth;
    // The path only: the query string holds the filled-in query, and so any Secret argument.
    const attributes = { 'http.request.method': 'GET', 'server.address': url.host, 'url.path': url.pathname };
    return traceProviderCall(tracer, 'influxdb query', attributes, (span) => send(span), isError);

    async function send(span: Span): Promise<PromResult> {
      return fetchWithinBudget(
        {
          url,
          init: { method: 'GET', headers },
          budget,
          tenant: request.namespace,
          timeoutMs,
          signal: request.signal,
          maxBytes,
          where,
          noRoom: (within) =>
            `${where}: its answer found no room in the controller's budget for answers in flight (${mib(budget.totalBytes)}) within ${within}: measured again at the next interval`,
          timeoutHint: 'raise provider.influxdb.timeout or make the query cheaper',
          answered: (res) => span.setAttribute('http.response.status_code', res.status),
        },
        (res, body): PromResult => {
          if (body === undefined)
            return {
              kind: 'error',
              message: `${where} answered with more than ${mib(maxBytes)}: narrow the query (aggregate, fewer GROUP BY tags, a LIMIT)`,
            };
          const result = interpretInfluxAnswer(spec.address, res.status, body, limits, (text) => redact(text, secrets));
          if (result.kind === 'error' && res.status >= 300)
            debug(
              { address: spec.address, status: res.status, body: redact(body.slice(0, 2048), secrets) },
              'InfluxDB answer refused',
            );
          return result;
        },
      );
    }
  }

  return {
    key: 'influxdb',
    timeoutMs: (spec, field) => parseDuration(spec.timeout ?? defaultTimeout, field),
    measure(spec, request) {
      const timeoutMs = parseDuration(spec.timeout ?? defaultTimeout, `${request.field}.timeout`);
      return query(spec, request, timeoutMs);
    },
  };
}
