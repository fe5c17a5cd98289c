/**
 * One outbound call of a provider that reads an HTTP answer (Prometheus, InfluxDB, web): the answer's bytes counted
 * against the process's budget for answers in flight, within the call's timeout, and the three ways it can fail
 * (no room in the budget, no answer in time, no connection) said the same way for every provider.
 */
import { formatDuration } from '../api/duration.ts';
import { BudgetExhausted, type AnswerAccount, type AnswerBudget } from './answerBudget.ts';

export interface BudgetedCall {
  /** Sent with redirect 'manual' and the call's signal: an allowed host could otherwise send it on to one that is not. */
  url: URL;
  init: Omit<RequestInit, 'signal' | 'redirect'>;
  budget: AnswerBudget;
  /** Whose answer it is (a namespace): the budget keeps one tenant from holding all of it. */
  tenant: string;
  timeoutMs: number;
  /** The measurement's own signal (its cancellation), besides the timeout; none for Prometheus's API calls. */
  signal?: AbortSignal;
  /** Bytes of the largest answer read; a larger one is `undefined` to `read`. */
  maxBytes: number;
  /** "Prometheus at http://prom:9090": the subject of every message. */
  where: string;
  /** The message when the answer found no room in the budget, given the timeout as written ("10s"). */
  noRoom: (within: string) => string;
  /** What a user can do about a timeout: "raise provider.influxdb.timeout or make the query cheaper". */
  timeoutHint: string;
  /** Told of the answer before its body is read (a span's status code). */
  answered?: (res: Response) => void;
}

export type CallFailure = { kind: 'error'; message: string };

/**
 * Sends the call and hands its answer to `read` while the answer's bytes are still counted: the account is closed
 * only once `read` is done, when the text and its parsed form are garbage.
 */
export async function fetchWithinBudget<T>(
  call: BudgetedCall,
  read: (res: Response, body: string | undefined) => T,
): Promise<T | CallFailure> {
  const { timeoutMs, where } = call;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = call.signal === undefined ? timeout : AbortSignal.any([call.signal, timeout]);
  const account = call.budget.open(call.tenant);
  try {
    let answer: { res: Response; body: string | undefined };
    try {
      const res = await fetch(call.url, { ...call.init, signal, redirect: 'manual' });
      call.answered?.(res);
      answer = { res, body: await readCounted(res, call.maxBytes, account, signal) };
    } catch (err) {
      if (err instanceof BudgetExhausted) return { kind: 'error', message: call.noRoom(formatDuration(timeoutMs)) };
      if (timeout.aborted)
        return {
          kind: 'error',
          message: `${where} did not answer within ${formatDuration(timeoutMs)}: ${call.timeoutHint}`,
        };
      // The measurement was cancelled (its Rollout moved on or went away): neither the provider's fault nor slow.
      if (signal.aborted) return { kind: 'error', message: `${where}: the call was cancelled before its answer came` };
      return { kind: 'error', message: `${where} was unreachable: ${describeNetworkError(err)}` };
    }
    // Outside the network's catch: an answer the reader cannot make sense of is not an unreachable provider, and an
    // on-call engineer told "unreachable" would look at the network instead of at the answer.
    try {
      return read(answer.res, answer.body);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return {
        kind: 'error',
        message: `${where} answered HTTP ${answer.res.status}, and the answer could not be read: ${why}`,
      };
    }
  } finally {
    account.close();
  }
}

/**
 * Reads a body of at most `max` bytes, counting every byte against the answer's account as it arrives (waiting
 * for room while `signal` allows). A Content-Length is counted at once, so that an answer of known size waits
 * for the room it needs before holding any; bytes beyond it are counted too. Undefined (and the rest
 * discarded) when the body is larger than `max`.
 */
export async function readCounted(
  res: Response,
  max: number,
  account: AnswerAccount,
  signal: AbortSignal,
): Promise<string | undefined> {
  if (res.body === null) return '';
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (Number.isSafeInteger(declared) && declared > max) {
    await res.body.cancel().catch(() => undefined);
    return undefined;
  }
  try {
    if (Number.isSafeInteger(declared) && declared > 0) await account.grow(declared, signal);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > max) {
        await res.body.cancel().catch(() => undefined);
        return undefined;
      }
      await account.grow(size, signal);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    await res.body.cancel().catch(() => undefined);
    throw err;
  }
}

/** Turns fetch's "fetch failed" into its cause: "connect ECONNREFUSED 127.0.0.1:9", "getaddrinfo ENOTFOUND prom". */
export function describeNetworkError(err: unknown): string {
  let at: unknown = err;
  // fetch wraps the socket error in `cause`; follow the chain to the innermost one that says something.
  while (at instanceof Error && at.cause instanceof Error) at = at.cause;
  if (at instanceof AggregateError && at.errors.length > 0) {
    return [...new Set(at.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))))].join('; ');
  }
  if (at instanceof Error)
    return at.message !== '' ? at.message : 'code' in at && typeof at.code === 'string' ? at.code : at.name;
  return String(at);
}
