/**
 * List and watch any resource as plain JSON, through the same request path as client-node's typed clients.
 * Build it with `kc.makeApiClient(KubeJsonApi)`: authentication, middleware and the HTTP library then come from the
 * KubeConfig, so an instrumented KubeConfig (apiMetrics.ts) counts and rate-limits these requests like all others.
 *
 * Why not client-node's typed list calls: they turn objects into model classes (Date objects; fields the model
 * does not know are dropped), while watch events are the API server's JSON. The informer keeps one shape, the
 * API server's JSON, for both.
 * Why not client-node's Watch: it aborts a watch after 30 s without data (a fixed, private timeout), shorter than
 * the ~60 s between the API server's bookmarks on a quiet watch, so every quiet watch would be torn down twice a
 * minute; and it sends its request outside the Configuration, past the HTTP library that counts requests.
 */
import { ApiException, HttpMethod, type Configuration, type ResponseContext } from '@kubernetes/client-node';

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

export class KubeJsonApi {
  readonly #config: Configuration;

  constructor(configuration: Configuration) {
    this.#config = configuration;
  }

  /** One page of a list: `path` is the collection, e.g. /api/v1/namespaces/shop/configmaps. */
  async list<T>(path: string, query: Query, signal?: AbortSignal): Promise<KubeList<T>> {
    const res = await this.#get(path, query, signal);
    return JSON.parse(await res.body.text()) as KubeList<T>;
  }

  /** One document as JSON, such as the API server's OpenAPI schema of a group version. */
  async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    const res = await this.#get(path, {}, signal);
    return JSON.parse(await res.body.text()) as T;
  }

  /**
   * Calls onEvent for each event until the API server ends the watch (resolves), or the stream fails or `signal`
   * aborts it (rejects). onEvent runs synchronously, in stream order.
   */
  async watch(path: string, query: Query, onEvent: (event: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    const res = await this.#get(path, { ...query, watch: true }, signal);
    const stream = res.body.stream();
    if (stream === null) throw new Error(`watch ${path}: the response has no body`);
    for await (const event of decodeWatchStream(stream)) onEvent(event);
  }

  async #get(path: string, query: Query, signal: AbortSignal | undefined): Promise<ResponseContext> {
    let req = this.#config.baseServer.makeRequestContext(path, HttpMethod.GET);
    req.setHeaderParam('Accept', 'application/json');
    for (const [name, value] of Object.entries(query)) if (value !== undefined) req.setQueryParam(name, String(value));
    if (signal !== undefined) req.setSignal(signal);
    // The order of the generated clients: authentication, middleware, HTTP library, middleware.
    await this.#config.authMethods.default?.applySecurityAuthentication(req);
    for (const m of this.#config.middleware) req = await m.pre(req).toPromise();
    let res = await this.#config.httpApi.send(req).toPromise();
    for (const m of this.#config.middleware) res = await m.post(res).toPromise();
    if (res.httpStatusCode < 200 || res.httpStatusCode > 299) {
      const body = await res.body.text().catch(() => '');
      throw new ApiException(
        res.httpStatusCode,
        `GET ${path}: HTTP ${res.httpStatusCode}${statusMessage(body)}`,
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
