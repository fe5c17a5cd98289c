/**
 * Sends one request to a receiver on the process's one HTTP client (global fetch, as analysis/prometheus.ts does)
 * and says what the answer means for the delivery: delivered; worth retrying (no answer, a timeout, 5xx, 429);
 * or refused for good (any other status: the receiver has said no, and the same body will get the same no).
 * Answers are read up to a small cap and thrown away: a receiver cannot make Sluice hold a large body.
 */
import type { OutgoingRequest } from './message.ts';

export type SendOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; reason: FailureReason; status?: number; retryAfterMs?: number }
  | { kind: 'refused'; reason: FailureReason; status?: number };

/** The failure reasons, as the metric's `reason` label spells them: a small fixed set. */
export type FailureReason =
  | 'network'
  | 'timeout'
  | 'http_5xx'
  | 'http_429'
  | 'http_4xx'
  | 'redirect'
  | 'secret'
  | 'namespace'
  | 'invalid_request';

/** Header names and values HTTP can carry: a line break in either would start another header. */
const headerName = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** No control character (a tab aside, which HTTP allows); checked by code point, so no regular expression holds one. */
const headerValueOk = (v: string) => [...v].every((c) => c === '\t' || (c >= ' ' && c !== '\x7f'));

/** What no retry can fix: not an http(s) URL, or a header HTTP cannot carry (the schema refuses both; a Secret or an
 * object written before the schema's rules could still hold one). */
export function requestProblem(request: OutgoingRequest): string | undefined {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return 'the URL cannot be parsed';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `the URL's scheme is ${url.protocol}, not http(s)`;
  for (const [name, value] of Object.entries(request.headers))
    if (!headerName.test(name) || !headerValueOk(value))
      return `header ${headerName.test(name) ? name : '(unprintable)'} cannot be sent`;
  return undefined;
}

export const maxAnswerBytes = 64 * 1024;

/** Retry-After in seconds or as an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

export async function sendRequest(
  request: OutgoingRequest,
  timeoutMs: number,
  userAgent: string,
  now: () => Date = () => new Date(),
): Promise<SendOutcome> {
  if (requestProblem(request) !== undefined) return { kind: 'refused', reason: 'invalid_request' };
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(request.url, {
      method: 'POST',
      headers: { ...request.headers, 'User-Agent': userAgent },
      body: request.body,
      signal,
      // Not followed: a redirect would carry the signed body (and headers) to a host the channel does not name.
      redirect: 'manual',
    });
  } catch {
    return { kind: 'retry', reason: signal.aborted ? 'timeout' : 'network' };
  }
  await drain(res);
  const status = res.status;
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), now());
    return {
      kind: 'retry',
      reason: status === 429 ? 'http_429' : 'http_5xx',
      status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  return { kind: 'refused', reason: status >= 300 && status < 400 ? 'redirect' : 'http_4xx', status };
}

/** Reads at most maxAnswerBytes of the answer (so that the connection can be reused) and drops the rest. */
async function drain(res: Response): Promise<void> {
  if (res.body === null) return;
  let size = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > maxAnswerBytes) break;
    }
  } catch {
    // the status is what counts; a body cut off midway changes nothing
  } finally {
    await res.body.cancel().catch(() => undefined);
  }
}
