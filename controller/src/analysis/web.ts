/**
 * The web metric provider (Argo Rollouts' `web`): one HTTP request to an endpoint that answers JSON, and the value
 * at the metric's jsonPath as the result. What the value means is the engine's (measure.ts): nothing at the path
 * is no data, a string where a condition compares numbers is an Error, an infinity never passes.
 *
 * The endpoint is chosen by the template's author, so it is held to the same rules as a Prometheus address
 * (providerPolicy.ts): checked after its arguments are filled in, before anything is sent; http(s) only; no
 * credentials in it; a namespaced template reaches only --analysis-allowed-hosts; redirects are not followed
 * (an allowed host could otherwise send the request, with its headers, on to one that is not).
 *
 * The answer is the endpoint owner's text, so it never reaches status or an error message: a message says the
 * HTTP status, the content type (when it is a plain media type) and the origin, and only the value at jsonPath
 * goes on (scrubbed of Secret values by the engine, even when the endpoint echoes one back); not even the debug log
 * gets the text. Its bytes are counted
 * against the process's AnswerBudget as they arrive, shared with Prometheus, and capped per answer; its nesting is
 * bounded before it is parsed, so that no answer can cost the controller more than it can spare.
 */
import { parseDuration } from '../api/duration.ts';
import type { WebProvider as WebSpec } from '../api/types.ts';
import { webDefaultTimeout } from '../api/webProvider.schema.ts';
import type { AnswerBudget } from './answerBudget.ts';
import { fetchWithinBudget } from './answerFetch.ts';
import { AnalysisConfigError } from './errors.ts';
import { evaluateJsonPath, JsonPathError } from './jsonPath.ts';
import type { JsonValue, MetricProvider, ProviderAnswer, ProviderRequest } from './provider.ts';
import { addressProblem, type HostPattern } from './providerPolicy.ts';
import { buildWebRequest } from './webRequest.ts';
import { isError, templatePath, traceProviderCall } from './measureSpan.ts';
import type { Span } from '../trace/span.ts';
import { noopTracer, type Tracer } from '../trace/tracer.ts';

export interface WebProviderOptions {
  /** The process's budget for answers in flight, shared with every other provider that reads answers. */
  budget: AnswerBudget;
  /** Hosts a namespaced AnalysisTemplate may reach (--analysis-allowed-hosts); none when empty. */
  allowedHosts: readonly HostPattern[];
  /** The most one answer may be; at most the budget's maxAnswerBytes. 1 MiB when omitted: a health answer is small. */
  maxAnswerBytes?: number;
  /** The deepest nesting of objects and lists an answer may have. 64 when omitted. */
  maxDepth?: number;
  /**
   * Where details that must not reach status go. Never the answer's text: an endpoint may echo the request's
   * headers, Secrets included, and the log is no place for them either.
   */
  debug?: (details: Record<string, unknown>, message: string) => void;
  /** A client span per request under the measurement's (measureSpan.ts); none when omitted. */
  tracer?: Tracer;
}

export const defaultWebAnswerBytes = 1024 * 1024;
export const defaultWebDepth = 64;

/**
 * The deepest nesting in a JSON text (strings skipped), read without parsing: JSON.parse would build the whole
 * structure first, and what reads it afterwards (JSON.stringify, the conditions) recurses. Stops past `max`.
 */
export function jsonDepth(text: string, max: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash takes the next character with it
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > max) return deepest;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/** The answer's media type when it is a plain one ("application/json"); the header is the endpoint's text. */
function mediaType(res: Response): string {
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === '') return 'no content type';
  return /^[a-z0-9.+-]{1,64}\/[a-z0-9.+-]{1,64}$/.test(type) ? type : 'an unreadable content type';
}

const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;

export function webMetricProvider(opts: WebProviderOptions): MetricProvider<'web'> {
  const maxBytes = Math.min(opts.maxAnswerBytes ?? defaultWebAnswerBytes, opts.budget.maxAnswerBytes);
  const maxDepth = opts.maxDepth ?? defaultWebDepth;
  const debug = opts.debug ?? (() => undefined);
  const tracer = opts.tracer ?? noopTracer;
  const timeoutMs = (spec: WebSpec, field: string) => parseDuration(spec.timeout ?? webDefaultTimeout, field);

  async function measure(spec: WebSpec, request: ProviderRequest): Promise<ProviderAnswer> {
    const base = request.field;
    const limitMs = timeoutMs(spec, `${base}.timeout`);
    let built: ReturnType<typeof buildWebRequest>;
    try {
      built = buildWebRequest(spec, request);
    } catch (err) {
      if (err instanceof AnalysisConfigError) return { kind: 'error', message: err.message };
      throw err;
    }
    const { url, path } = built;
    // Checked before anything is sent, on the URL as it will be sent: the template's headers must not go to a
    // host the namespace may not reach.
    const problem = addressProblem(
      url.href,
      { trusted: request.trusted, allowedHosts: opts.allowedHosts },
      { field: `${base}.url`, credentials: `${base}.headers with valueFrom.secretKeyRef` },
    );
    if (problem !== undefined) return { kind: 'error', message: problem };
    // The origin only: the path and query may carry arguments, and messages should not grow with them.
    const where = `${base}: ${url.origin}`;
    const attributes = {
      'http.request.method': built.method,
      'server.address': url.host,
      'url.path': templatePath(spec.url),
    };
    return traceProviderCall(tracer, `web ${built.method}`, attributes, (span) => send(span), isError);

    async function send(span: Span): Promise<ProviderAnswer> {
      return fetchWithinBudget(
        {
          url,
          init: {
            method: built.method,
            headers: built.headers,
            ...(built.body === undefined ? {} : { body: built.body }),
          },
          budget: opts.budget,
          tenant: request.namespace,
          timeoutMs: limitMs,
          signal: request.signal,
          maxBytes,
          where,
          noRoom: (within) =>
            `${where}: its answer found no room in the controller's budget for answers in flight within ${within}, as other analyses held it: measured again at the next interval`,
          timeoutHint: `raise ${base}.timeout or make the endpoint faster`,
          answered: (res) => span.setAttribute('http.response.status_code', res.status),
        },
        (res, text): ProviderAnswer => {
          const answered = `${where} answered HTTP ${res.status} (${mediaType(res)})`;
          if (text === undefined) return { kind: 'error', message: `${answered} with more than ${kib(maxBytes)}` };
          if (res.status >= 300 && res.status < 400)
            return {
              kind: 'error',
              message: `${answered}, a redirect, which is not followed: point ${base}.url at the final address`,
            };
          if (res.status < 200 || res.status >= 300) {
            debug({ url: url.origin, status: res.status, bytes: text.length }, 'web answer refused');
            return { kind: 'error', message: `${answered}: only a 2xx answer is measured` };
          }
          if (jsonDepth(text, maxDepth) > maxDepth)
            return { kind: 'error', message: `${answered} nested deeper than ${maxDepth} levels, which is not read` };
          let document: unknown;
          try {
            document = JSON.parse(text);
          } catch {
            debug({ url: url.origin, status: res.status, bytes: text.length }, 'web answer is not JSON');
            return { kind: 'error', message: `${answered}, which is not JSON: point ${base}.url at a JSON endpoint` };
          }
          try {
            return { kind: 'json', value: evaluateJsonPath(path, document) as JsonValue | undefined };
          } catch (err) {
            if (err instanceof JsonPathError) return { kind: 'error', message: `${base}.jsonPath: ${err.message}` };
            throw err;
          }
        },
      );
    }
  }

  return { key: 'web', timeoutMs, measure };
}
