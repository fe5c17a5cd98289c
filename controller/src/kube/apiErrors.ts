/**
 * What the API server answered, read one way everywhere. client-node throws an ApiException whose `code` is the HTTP
 * status; Sluice's own JSON client throws the same; other layers carry a `code` or `statusCode`, and some wrap the
 * answer as the `cause` of their own error (fetch, WriteError, the Secret reader). A check made by hand on one of
 * these shapes misses the others: ask these helpers instead.
 */

/** How many wrappers deep a status is looked for (as notLeaderCause does): fetch and our own wrappers nest 2-3. */
const maxDepth = 4;

/** The HTTP status the API server answered with, if `err` (or an error it wraps) carries one. */
export function statusCode(err: unknown): number | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < maxDepth && typeof e === 'object' && e !== null; depth++) {
    const status = httpStatus((e as { code?: unknown }).code) ?? httpStatus((e as { statusCode?: unknown }).statusCode);
    if (status !== undefined) return status;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A status only if it is one: Node's own errors carry string codes ('ECONNRESET'), fence errors 'NotLeader'. */
function httpStatus(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 599 ? value : undefined;
}

/** 404: the object (or its namespace) does not exist. */
export const isNotFound = (err: unknown): boolean => statusCode(err) === 404;

/** 409: the object changed since it was read (a stale resourceVersion or precondition), or already exists. */
export const isConflict = (err: unknown): boolean => statusCode(err) === 409;

/** 403: RBAC (or a quota) refused the request. */
export const isForbidden = (err: unknown): boolean => statusCode(err) === 403;

/** 422: the object was refused as invalid (by the schema, a CEL rule or an admission webhook). */
export const isInvalid = (err: unknown): boolean => statusCode(err) === 422;

/** 410: the resourceVersion a list or watch asked for is older than the API server keeps: list again. */
export const isGone = (err: unknown): boolean => statusCode(err) === 410;
