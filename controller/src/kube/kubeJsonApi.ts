/**
 * Read, write, list and watch any resource as plain JSON, through the same request path as client-node's typed
 * clients. Build it with `kc.makeApiClient(KubeJsonApi)`: authentication, middleware and the HTTP library then come from the
 * KubeConfig, so an instrumented KubeConfig (apiMetrics.ts) counts and rate-limits these requests like all others.
 *
 * Why not client-node's typed list calls: they turn objects into model classes (Date objects; fields the model
 * does not know are dropped), while watch events are the API server's JSON. The informer keeps one shape, the
 * API server's JSON, for both.
 * Why not client-node's Watch: it aborts a watch after 30 s without data (a fixed, private timeout), shorter than
 * the ~60 s between the API server's bookmarks on a quiet watch, so every quiet watch would be torn down twice a
 * minute; and it sends its request outside the Configuration, past the HTTP library that counts requests.
 * Why not the typed clients for writes either: each of them loads client-node's ObjectSerializer and with it every
 * generated model (the idle controller: 183 MiB of RSS with them, 145 without), to turn JSON into classes nobody
 * here needs.
 */
import type { Configuration, ResponseContext } from '@kubernetes/client-node';
import { ApiException, HttpMethod } from './clientNode.ts';

export interface KubeList<T> {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One line of a watch stream. `object` is the changed object, or a Status for ERROR. */
export interface WatchEvent {
  type: WatchEventType;
  object: Record<string, unknown>;
}

export type Query = Record<string, string | number | boolean | undefined>;

/** The Content-Type of a PATCH, which says how the API server merges its body (values as client-node names them). */
export const PatchStrategy = {
  JsonPatch: 'application/json-patch+json',
  MergePatch: 'application/merge-patch+json',
  StrategicMergePatch: 'application/strategic-merge-patch+json',
  ServerSideApply: 'application/apply-patch+yaml',
} as const;
export type PatchStrategy = (typeof PatchStrategy)[keyof typeof PatchStrategy];

/** What a single request may carry besides its path. */
export interface RequestOptions {
  query?: Query;
  signal?: AbortSignal | undefined;
}

interface Sent extends RequestOptions {
  body?: unknown;
  contentType?: string;
  accept?: string;
}

export class KubeJsonApi {
  readonly #config: Configuration;

  constructor(configuration: Configuration) {
    this.#config = configuration;
  }

  /** One page of a list: `path` is the collection, e.g. /api/v1/namespaces/shop/configmaps. */
  async list<T>(path: string, query: Query, signal?: AbortSignal): Promise<KubeList<T>> {
    return this.#json<KubeList<T>>(HttpMethod.GET, path, { query, signal });
  }

  /** One document as JSON, such as an object or the API server's OpenAPI schema of a group version. */
  async get<T>(path: string, signal?: AbortSignal, query?: Query): Promise<T> {
    return this.#json<T>(HttpMethod.GET, path, { query, signal });
  }

  /** A plain-text document, such as a container's log. */
  async text(path: string, options: RequestOptions = {}): Promise<string> {
    const res = await this.#send(HttpMethod.GET, path, { ...options, accept: 'text/plain, */*' });
    return res.body.text();
  }

  /** POST `body` to the collection `path`; the object as stored. */
  async create<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.#json<T>(HttpMethod.POST, path, { ...options, body, contentType: 'application/json' });
  }

  /** PUT `body` over the object at `path`, conditional on the resourceVersion in it. */
  async replace<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.#json<T>(HttpMethod.PUT, path, { ...options, body, contentType: 'application/json' });
  }

  /** PATCH the object at `path`; `strategy` says how the API server reads the body. */
  async patch<T>(path: string, body: unknown, strategy: PatchStrategy, options: RequestOptions = {}): Promise<T> {
    return this.#json<T>(HttpMethod.PATCH, path, { ...options, body, contentType: strategy });
  }

  /** DELETE the object at `path`; `body` is a DeleteOptions (preconditions, propagationPolicy). */
  async delete<T>(path: string, body?: object, options: RequestOptions = {}): Promise<T> {
    return this.#json<T>(HttpMethod.DELETE, path, {
      ...options,
      ...(body === undefined ? {} : { body, contentType: 'application/json' }),
    });
  }

  /**
   * Calls onEvent for each event until the API server ends the watch (resolves), or the stream fails or `signal`
   * aborts it (rejects). onEvent runs synchronously, in stream order.
   */
  async watch(path: string, query: Query, onEvent: (event: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    const res = await this.#send(HttpMethod.GET, path, { query: { ...query, watch: true }, signal });
    const stream = res.body.stream();
    if (stream === null) throw new Error(`watch ${path}: the response has no body`);
    for await (const event of decodeWatchStream(stream)) onEvent(event);
  }

  async #json<T>(method: HttpMethod, path: string, sent: Sent): Promise<T> {
    const res = await this.#send(method, path, sent);
    // Cut off (a reset, the answer's deadline in apiMetrics.ts): say which request, as for a body that is not JSON.
    const text = await res.body.text().catch((err: unknown) => {
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`${method} ${path}: HTTP ${res.httpStatusCode} with a body that could not be read: ${why}`, {
        cause: err,
      });
    });
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      // A proxy's HTML page, or an empty or cut-off body: say which request, and what came instead of JSON.
      const type = res.headers['content-type'] ?? 'no content type';
      const what = text === '' ? 'an empty body' : `a body that is not JSON: ${JSON.stringify(text.slice(0, 80))}`;
      throw new Error(`${method} ${path}: HTTP ${res.httpStatusCode} (${type}) with ${what}`, { cause: err });
    }
  }

  async #send(method: HttpMethod, path: string, sent: Sent): Promise<ResponseContext> {
    let req = this.#config.baseServer.makeRequestContext(path, method);
    req.setHeaderParam('Accept', sent.accept ?? 'application/json');
    for (const [name, value] of Object.entries(sent.query ?? {}))
      if (value !== undefined) req.setQueryParam(name, String(value));
    if (sent.contentType !== undefined) {
      req.setHeaderParam('Content-Type', sent.contentType);
      // Dates become ISO strings here as they did in client-node's serializer; MicroTime fields are written as
      // strings by their writers (leaderElection.ts), so nothing depends on a model class.
      req.setBody(JSON.stringify(sent.body));
    }
    if (sent.signal !== undefined) req.setSignal(sent.signal);
    // The order of the generated clients: authentication, middleware, HTTP library, middleware.
    await this.#config.authMethods.default?.applySecurityAuthentication(req);
    for (const m of this.#config.middleware) req = await m.pre(req).toPromise();
    let res = await this.#config.httpApi.send(req).toPromise();
    for (const m of this.#config.middleware) res = await m.post(res).toPromise();
    if (res.httpStatusCode < 200 || res.httpStatusCode > 299) {
      // The typed clients' shape, which callers read: code, the body as text (a Status), the headers.
      const body = await res.body.text().catch(() => '');
      throw new ApiException(
        res.httpStatusCode,
        `${method} ${path}: HTTP ${res.httpStatusCode}${statusMessage(body)}`,
        body,
        res.headers,
      );
    }
    return res;
  }
}

/** Splits a watch response into events: one JSON object per line, lines split anywhere across chunks. */
export async function* decodeWatchStream(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<WatchEvent> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of chunks) {
    pending += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== '') yield parseWatchLine(line);
    }
  }
  const last = (pending + decoder.decode()).trim();
  if (last !== '') yield parseWatchLine(last);
}

const eventTypes: ReadonlySet<string> = new Set<WatchEventType>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

function parseWatchLine(line: string): WatchEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    // A torn line means the stream cannot be trusted any more: the informer restarts the watch.
    throw new Error(`watch stream carried a line that is not JSON: ${line.slice(0, 120)}`);
  }
  const event = parsed as Partial<WatchEvent> | null;
  if (
    typeof event?.type !== 'string' ||
    !eventTypes.has(event.type) ||
    typeof event.object !== 'object' ||
    event.object === null
  ) {
    throw new Error(`watch stream carried something that is not a watch event: ${line.slice(0, 120)}`);
  }
  return event as WatchEvent;
}

/** ": <message>" from a Status body, so errors say what the API server said (RBAC denials name the verb). */
function statusMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { message?: unknown };
    return typeof status.message === 'string' ? `: ${status.message}` : '';
  } catch {
    return '';
  }
}
