/**
 * The HTTP path to Unleash's Admin API: Node's global fetch (undici keeps connections alive and pools them per
 * origin, so every call shares one pool), a deadline on each request, and an answer instead of an exception.
 * Nothing here knows about Unleash; it is generic enough to serve any JSON API the controller calls.
 */

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON when present. */
  json?: unknown;
  /** Whole-request deadline: connect, send and read the body. */
  timeoutMs: number;
}

/** The server answered (any status). `body` is the parsed JSON, or undefined when the body was empty or not JSON. */
export interface HttpAnswer {
  status: number;
  body: unknown;
  /** The raw body, for messages when it is not JSON. */
  text: string;
}

export type HttpOutcome =
  | { answered: true; answer: HttpAnswer }
  /** No answer: refused, reset, DNS failure or deadline passed. `reason` is a short description without secrets. */
  | { answered: false; reason: string };

/** Sends one request; resolves with the answer or the reason there was none, and never rejects. */
export async function requestJson(request: HttpRequest): Promise<HttpOutcome> {
  const headers: Record<string, string> = { Accept: 'application/json', ...request.headers };
  if (request.json !== undefined) headers['Content-Type'] = 'application/json';
  const signal = AbortSignal.timeout(request.timeoutMs);
  try {
    const res = await fetch(request.url, {
      method: request.method,
      headers,
      body: request.json === undefined ? undefined : JSON.stringify(request.json),
      signal,
    });
    const text = await res.text();
    return { answered: true, answer: { status: res.status, body: parseJson(text), text } };
  } catch (err) {
    return { answered: false, reason: noAnswerReason(err, request.timeoutMs, signal) };
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Why fetch gave no answer, in a few words. fetch's own message is only "fetch failed"; the system error
 * (ECONNREFUSED, ENOTFOUND, ...) sits in its cause.
 */
function noAnswerReason(err: unknown, timeoutMs: number, signal: AbortSignal): string {
  if (signal.aborted) return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error ? err.cause : undefined;
  const code = cause instanceof Error && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  if (code !== undefined) return describeCode(code);
  if (cause instanceof Error) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

const codeWords: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

function describeCode(code: string): string {
  const words = codeWords[code];
  return words === undefined ? code : `${words} (${code})`;
}

/** Replaces every occurrence of each secret in `text`, so that an echoed header can never leak into a message. */
export function withoutSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret !== '') out = out.split(secret).join('[redacted]');
  }
  return out;
}
