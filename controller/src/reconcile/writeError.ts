/**
 * A write that failed, named for what it was meant to do: the executor's steps wrap their errors in it, so that the
 * status message says which write failed and what the API server answered.
 */
import { statusCode } from '../kube/apiErrors.ts';

/** A write that failed, named for the status message: "set the canary weight to 0%: HTTP 422 ...". */
export class WriteError extends Error {
  readonly code: unknown;
  constructor(what: string, cause: unknown) {
    super(`could not ${what}: ${describeError(cause)}`, { cause });
    this.name = 'WriteError';
    this.code = (cause as { code?: unknown } | undefined)?.code;
  }
}

export async function step<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw new WriteError(what, err);
  }
}

function describeError(err: unknown): string {
  const code = statusCode(err);
  const body = (err as { body?: unknown } | undefined)?.body;
  let said = '';
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === 'string') said = parsed.message;
    } catch {
      said = '';
    }
  } else if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') {
    said = (body as { message: string }).message;
  }
  if (said === '' && err instanceof Error) said = err.message;
  const text = `${code === undefined ? '' : `HTTP ${code}: `}${said}`.replace(/\s+/g, ' ').trim();
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}
