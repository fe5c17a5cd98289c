/**
 * PrometheusProvider: instant and range queries against the Prometheus HTTP API. Every request goes through the
 * process's one HTTP client (global fetch, whose undici dispatcher keeps connections alive); nothing here creates
 * an agent per request. It never throws for anything Prometheus or the network does: unreachable, timeouts, HTTP
 * errors and refused queries all come back as `{kind: 'error'}` with a sentence saying what happened.
 * NaN and ±Inf, which Prometheus sends as the strings "NaN", "+Inf" and "-Inf", come back as NaN and ±Infinity.
 *
 * Three bounds keep a query from costing the controller more than it can spare or reaching what it should not:
 * - the address is checked before anything is sent (providerPolicy.ts): http(s) only, no credentials in it, and
 *   for a namespaced template only the hosts the controller's settings allow;
 * - every answer is counted against the process's one AnswerBudget as its bytes arrive, besides the cap on each
 *   answer, and an answer with more samples than Sluice reads is refused after parsing;
 * - the answer's text never reaches status: its address is chosen by a template's author, so the body is theirs
 *   to write. Status gets the HTTP status and Prometheus's errorType; only a bad_data answer (Prometheus's parse
 *   error, which is about the author's own query) keeps its words, cut and stripped. The rest goes to the debug log.
 */
import { redact } from './args.ts';
import { AnswerBudget } from './answerBudget.ts';
import { fetchWithinBudget } from './answerFetch.ts';
import { tracePrometheusCall } from './measureSpan.ts';
import { addressProblem, type HostPattern } from './providerPolicy.ts';
import { defaultSampleLimits, interpretResponse, type PromResult, type SampleLimits } from './prometheusAnswer.ts';
import { noopTracer, type Tracer } from '../trace/tracer.ts';

export { defaultSampleLimits, interpretResponse, type PromResult, type SampleLimits } from './prometheusAnswer.ts';

interface QueryScope {
  /**
   * The query comes from a ClusterAnalysisTemplate, which a cluster admin wrote: its address need not be in the
   * allowed hosts. Omitted: false, the namespaced template's rule.
   */
  trusted?: boolean;
  /** Whose query it is (the Rollout's namespace): one tenant holds at most half of the answer budget's rooms. */
  tenant?: string;
  /**
   * Secret values the query may hold (arguments from Secrets): removed from Prometheus's words before they are
   * folded and cut for status, when a cut could still leave part of one; and from the debug log.
   */
  secrets?: readonly string[];
}

export interface QueryOptions extends QueryScope {
  timeoutMs: number;
  headers?: Readonly<Record<string, string>>;
  /** Evaluation time; Prometheus's "now" when omitted. */
  time?: Date;
}

export interface RangeQueryOptions extends QueryScope {
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
  /**
   * Answers larger than this are refused rather than held in memory (a query returning every series). At most
   * the budget's maxAnswerBytes.
   */
  maxResponseBytes?: number;
  /** The process's budget for answers in flight; the provider's own, of defaultAnswerBudgetBytes, when omitted. */
  budget?: AnswerBudget;
  /** Hosts a namespaced AnalysisTemplate may query (--analysis-allowed-hosts); none when omitted. */
  allowedHosts?: readonly HostPattern[];
  sampleLimits?: SampleLimits;
  /** Where the full text of a refused or failed answer goes (never into status). */
  debug?: (details: Record<string, unknown>, message: string) => void;
  /** Each call is a child span of the measurement's, when there is one (measureSpan.ts). */
  tracer?: Tracer;
}

export const defaultMaxResponseBytes = 8 * 1024 * 1024;
export const defaultAnswerBudgetBytes = 64 * 1024 * 1024;

/** The setting that sizes the budget, for messages. */
const budgetSetting = '--analysis-answer-budget / SLUICE_ANALYSIS_ANSWER_BUDGET';

const mib = (bytes: number) => `${Number((bytes / 1024 / 1024).toFixed(1))} MiB`;

export class PrometheusProvider implements PrometheusApi {
  readonly #userAgent: string;
  readonly #maxResponseBytes: number;
  readonly #budget: AnswerBudget;
  readonly #allowedHosts: readonly HostPattern[];
  readonly #limits: SampleLimits;
  readonly #debug: NonNullable<PrometheusProviderOptions['debug']>;
  readonly #tracer: Tracer;

  constructor(opts: PrometheusProviderOptions = {}) {
    this.#userAgent = opts.userAgent ?? 'sluice';
    this.#budget =
      opts.budget ??
      new AnswerBudget(defaultAnswerBudgetBytes, { maxAnswerBytes: opts.maxResponseBytes ?? defaultMaxResponseBytes });
    // No answer may be larger than the budget's large room, or it would wait for room that can never be.
    this.#maxResponseBytes = Math.min(opts.maxResponseBytes ?? defaultMaxResponseBytes, this.#budget.maxAnswerBytes);
    this.#allowedHosts = opts.allowedHosts ?? [];
    this.#limits = opts.sampleLimits ?? defaultSampleLimits;
    this.#debug = opts.debug ?? (() => undefined);
    this.#tracer = opts.tracer ?? noopTracer;
  }

  query(address: string, promql: string, opts: QueryOptions): Promise<PromResult> {
    const form: Record<string, string> = { query: promql, timeout: promTimeout(opts.timeoutMs) };
    if (opts.time !== undefined) form.time = unixSeconds(opts.time);
    return tracePrometheusCall(this.#tracer, address, 'api/v1/query', () =>
      this.#post(address, 'api/v1/query', form, opts),
    );
  }

  queryRange(address: string, promql: string, opts: RangeQueryOptions): Promise<PromResult> {
    const form = {
      query: promql,
      start: unixSeconds(opts.start),
      end: unixSeconds(opts.end),
      step: String(opts.stepMs / 1000),
      timeout: promTimeout(opts.timeoutMs),
    };
    return tracePrometheusCall(this.#tracer, address, 'api/v1/query_range', () =>
      this.#post(address, 'api/v1/query_range', form, opts),
    );
  }

  async #post(
    address: string,
    path: string,
    form: Record<string, string>,
    opts: QueryScope & { timeoutMs: number; headers?: Readonly<Record<string, string>> },
  ): Promise<PromResult> {
    // Checked before the URL is even built: an address with credentials must not be quoted, and a refused one
    // must not be sent the template's headers.
    const problem = addressProblem(address, { trusted: opts.trusted ?? false, allowedHosts: this.#allowedHosts });
    if (problem !== undefined) return { kind: 'error', message: problem };
    const where = `Prometheus at ${address}`;
    const url = new URL(path, address.endsWith('/') ? address : `${address}/`);
    const requestHeaders = new Headers({
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
      'User-Agent': this.#userAgent,
    });
    for (const [name, value] of Object.entries(opts.headers ?? {})) {
      try {
        requestHeaders.set(name, value);
      } catch {
        // The error would quote the value, which may come from a Secret: name the header only.
        return {
          kind: 'error',
          message: `${where} cannot be queried: header ${name} has a value HTTP cannot carry (a line break or control character)`,
        };
      }
    }
    const { timeoutMs } = opts;
    // POST with a form body: Prometheus accepts it on both endpoints, and long queries do not hit URL limits.
    return fetchWithinBudget(
      {
        url,
        init: { method: 'POST', headers: requestHeaders, body: new URLSearchParams(form).toString() },
        budget: this.#budget,
        tenant: opts.tenant ?? '',
        timeoutMs,
        maxBytes: this.#maxResponseBytes,
        where,
        noRoom: (within) =>
          `${where}: its answer found no room in the controller's budget for answers in flight (${mib(this.#budget.totalBytes)}, ${budgetSetting}) ` +
          `within ${within}, as other analyses held it: measured again at the next interval; raise the budget if this repeats`,
        timeoutHint: 'raise provider.prometheus.timeout or make the query cheaper',
      },
      (res, body): PromResult => {
        if (body === undefined)
          return {
            kind: 'error',
            message: `${where} answered with more than ${mib(this.#maxResponseBytes)}: narrow the query (aggregate with sum or topk)`,
          };
        const result = interpretResponse(address, res.status, body, this.#limits, opts.secrets);
        if (result.kind === 'error' && (res.status >= 300 || !body.startsWith('{"status":"success"'))) {
          const logged = redact(body.slice(0, 2048), opts.secrets ?? []);
          this.#debug({ address, status: res.status, body: logged }, 'Prometheus answer refused');
        }
        return result;
      },
    );
  }
}

function unixSeconds(d: Date): string {
  return (d.getTime() / 1000).toFixed(3);
}

function promTimeout(ms: number): string {
  return `${Math.max(1, Math.ceil(ms))}ms`;
}
