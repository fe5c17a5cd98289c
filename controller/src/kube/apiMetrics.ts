/**
 * Counts every request the controller sends to the API server, by verb and HTTP status, and holds them to a
 * client-side rate limit. This is what proves "zero writes when idle", so it must see every write.
 *
 * How: client-node 2.x sends each request of a client made by `kc.makeApiClient(...)` through the Configuration's
 * HttpLibrary. InstrumentedKubeConfig builds that Configuration with an HttpLibrary that wraps client-node's own
 * (IsomorphicFetchHttpLibrary). It therefore sees every typed client, KubernetesObjectApi (server-side apply) and
 * KubeJsonApi (the informers' list and watch), with the request and its response together.
 * Middleware would not do: its post hook gets the response without the request it answers, and a per-call
 * `middleware` option replaces the static list unless the caller asks for "append".
 * With a `fence`, it is also where writes are fenced: a write is checked when it is asked for, again after its wait
 * for a token, and last when undici hands it a connection, right before its bytes go out. A write waiting for a
 * token when leadership ends is dropped at once. Reads are never fenced: a follower keeps its caches warm.
 * Not covered: client-node's Watch, Exec, Attach, PortForward, Log and Metrics, which open their own connections;
 * Sluice uses none of them (informers watch through KubeJsonApi).
 */
import type { ApiConstructor, ApiType, HttpLibrary, RequestContext, ResponseContext } from '@kubernetes/client-node';
import {
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  ServerConfiguration,
  createConfiguration,
  setHeaderMiddleware,
  wrapHttpLibrary,
} from './clientNode.ts';
import { ConnectionPool, defaultRequestTimeoutMs, failureMeansDeadConnection } from './connectionPool.ts';
import { TokenBucket, type RateLimit } from './rateLimit.ts';
import { fenceAtSocket, notLeaderCause, type WriteFence } from './writeFence.ts';
import type { Tracer } from '../trace/tracer.ts';
import { traceKubeWrite } from './writeSpans.ts';

export type KubeVerb =
  'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'other';

/** The HTTP status, or 'error' when no response came (refused, reset, timed out, aborted). */
export type KubeResponseCode = number | 'error';

/** `resource` is the plural, with the subresource if any ("rollouts/status"); '' for discovery and other paths. */
export type KubeRequestObserver = (verb: KubeVerb, code: KubeResponseCode, resource: string) => void;

export interface KubeInstrumentation {
  observe?: KubeRequestObserver;
  rateLimit?: RateLimit;
  /** Sent as User-Agent, so the API server's audit log names Sluice; "sluice" when omitted. */
  userAgent?: string;
  /** Deadline for a response's headers and between body chunks, lists and watches aside; default 30 s. */
  requestTimeoutMs?: number;
  /**
   * Checked before every POST, PUT, PATCH and DELETE leaves (see above). For the reconciler's client only: the leader
   * elector's own Lease client must not be fenced, or a replica could never become leader.
   */
  fence?: WriteFence;
  /** Each write sent under a reconcile's span becomes its child (writeSpans.ts). For the reconciler's client. */
  tracer?: Tracer;
}

const mutatingMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A pooled request's whole answer may take this many request timeouts (2 minutes by default), never longer. */
const answerDeadlineFactor = 4;

// The namespace object's own subresources: /api/v1/namespaces/{name}/status is not a resource named "status".
const namespaceSubresources = new Set(['status', 'finalize']);

/** What a request does in Kubernetes terms, from its method and URL (the way the API server classifies it). */
export function describeRequest(method: string, url: string): { verb: KubeVerb; resource: string } {
  const u = new URL(url, 'https://api-server.invalid');
  let parts = u.pathname.split('/').filter((p) => p !== '');
  if (parts[0] === 'api') parts = parts.slice(2);
  else if (parts[0] === 'apis') parts = parts.length >= 3 ? parts.slice(3) : [];
  else parts = [];
  let watch = ['true', '1'].includes(u.searchParams.get('watch') ?? '');
  if (parts[0] === 'watch') {
    watch = true; // the old /api/v1/watch/... form
    parts = parts.slice(1);
  }
  if (parts[0] === 'namespaces' && parts.length >= 3 && !namespaceSubresources.has(parts[2]!)) parts = parts.slice(2);
  const [plural, name, subresource] = parts;
  const resource = plural === undefined ? '' : subresource === undefined ? plural : `${plural}/${subresource}`;
  const verb = ((): KubeVerb => {
    switch (method.toUpperCase()) {
      case 'GET':
      case 'HEAD':
        if (watch) return 'watch';
        return name === undefined && plural !== undefined ? 'list' : 'get';
      case 'POST':
        return 'create';
      case 'PUT':
        return 'update';
      case 'PATCH':
        return 'patch';
      case 'DELETE':
        return name === undefined ? 'deletecollection' : 'delete';
      default:
        return 'other';
    }
  })();
  return { verb, resource };
}

/**
 * A KubeConfig whose API clients count and rate-limit their requests. Load it like any KubeConfig, or copy one
 * with instrumentKubeConfig; then use `kc.makeApiClient(...)` as usual.
 */
export class InstrumentedKubeConfig extends KubeConfig {
  readonly #httpApi: HttpLibrary;
  readonly #userAgent: string;
  readonly #pool: ConnectionPool;

  constructor(instrumentation: KubeInstrumentation = {}) {
    super();
    this.#pool = new ConnectionPool({ requestTimeoutMs: instrumentation.requestTimeoutMs ?? defaultRequestTimeoutMs });
    const counted = instrumentedHttpLibrary(new IsomorphicFetchHttpLibrary(), instrumentation, this.#pool);
    // Outermost: a write's span covers its fence checks and its wait for a token, as the reconcile waits for them.
    const { tracer } = instrumentation;
    // Off (the no-op tracer main passes when no endpoint is set): no extra layer on every request.
    this.#httpApi = tracer === undefined || !tracer.enabled ? counted : tracedWrites(counted, tracer);
    this.#userAgent = instrumentation.userAgent ?? 'sluice';
  }

  /** Forgets the kept-alive connections: for a caller that saw one stall without failing (a silent watch). */
  dropConnections(): void {
    this.#pool.drop();
  }

  // Same as KubeConfig.makeApiClient, with the instrumented HttpLibrary.
  override makeApiClient<T extends ApiType>(apiClientType: ApiConstructor<T>): T {
    const cluster = this.getCurrentCluster();
    if (cluster === null) throw new Error('the kubeconfig has no current cluster');
    const config = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: this },
      httpApi: this.#httpApi,
      middleware: [setHeaderMiddleware('User-Agent', this.#userAgent)],
    });
    return new apiClientType(config);
  }
}

/**
 * A copy of `kc` (clusters, users, contexts, current context) whose clients report each request to `observe`.
 * Authenticators added to `kc` with addAuthenticator are not carried over.
 */
export function instrumentKubeConfig(
  kc: KubeConfig,
  observe: KubeRequestObserver,
  options: Omit<KubeInstrumentation, 'observe'> = {},
): InstrumentedKubeConfig {
  const copy = new InstrumentedKubeConfig({ ...options, observe });
  copy.loadFromOptions({
    clusters: kc.getClusters(),
    users: kc.getUsers(),
    contexts: kc.getContexts(),
    currentContext: kc.getCurrentContext(),
  });
  return copy;
}

/** Drops the connections of `kc` if it pools them (an InstrumentedKubeConfig); a plain KubeConfig has none to drop. */
export function dropConnections(kc: KubeConfig): void {
  if (kc instanceof InstrumentedKubeConfig) kc.dropConnections();
}

function instrumentedHttpLibrary(
  inner: HttpLibrary,
  { observe, rateLimit, fence, requestTimeoutMs = defaultRequestTimeoutMs }: KubeInstrumentation,
  pool: ConnectionPool,
): HttpLibrary {
  const bucket = rateLimit === undefined ? undefined : new TokenBucket(rateLimit);
  // The pool bounds the wait for the headers and between two body chunks; an answer that drips a byte now and then
  // would restart that bound for ever and hold the reconcile that asked. The whole answer, body read included
  // (fetch aborts it with the request's signal), gets this bound, counted from when it is sent.
  const answerDeadlineMs = answerDeadlineFactor * requestTimeoutMs;
  return wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      const { verb, resource } = describeRequest(request.getHttpMethod(), request.getUrl());
      const write = fence !== undefined && mutatingMethods.has(request.getHttpMethod().toUpperCase());
      const what = `${verb} ${resource}`;
      // Checked first so that a follower's write does not take a token from the reads behind it.
      if (write) fence.check(what);
      if (bucket !== undefined) {
        const signals = [request.getSignal(), write ? fence.lost() : undefined].filter((s) => s !== undefined);
        await bucket.take(signals.length === 0 ? undefined : AbortSignal.any(signals));
        // Given up on while it waited for its turn: it was never sent, so it is not counted.
        request.getSignal()?.throwIfAborted();
      }
      // The wait may have been long, or the timer that aborts fence.lost() late: ask again.
      if (write) fence.check(what);
      // Lists and watches keep a connection of their own (see connectionPool.ts); the rest share the pool.
      const shared = verb === 'list' || verb === 'watch' ? undefined : pool.dispatcherFor(request.getDispatcher());
      if (shared !== undefined) {
        request.setDispatcher(write ? fenceAtSocket(shared, fence, what) : shared);
        const deadline = AbortSignal.timeout(answerDeadlineMs);
        const own = request.getSignal();
        request.setSignal(own === undefined ? deadline : AbortSignal.any([own, deadline]));
      }
      let response: ResponseContext;
      try {
        response = await inner.send(request).toPromise();
      } catch (err) {
        // Refused by the fence at the socket: never sent, and no sign of a dead connection.
        const notLeader = notLeaderCause(err);
        if (notLeader !== undefined) throw notLeader;
        if (shared !== undefined && failureMeansDeadConnection(request.getSignal())) pool.drop(shared);
        observe?.(verb, 'error', resource);
        throw err;
      }
      // The pooled connections present the client certificate they were opened with; a rotated one needs new ones.
      if (shared !== undefined && response.httpStatusCode === 401) pool.drop(shared);
      observe?.(verb, response.httpStatusCode, resource);
      return response;
    },
  });
}

/** `library` with a span for each write sent while a reconcile's span is current; everything else passes as it is. */
function tracedWrites(library: HttpLibrary, tracer: Tracer): HttpLibrary {
  return wrapHttpLibrary({
    send(request: RequestContext): Promise<ResponseContext> {
      const method = request.getHttpMethod().toUpperCase();
      const parent = mutatingMethods.has(method) ? tracer.currentSpan() : undefined;
      if (parent === undefined) return library.send(request).toPromise();
      const { verb, resource } = describeRequest(method, request.getUrl());
      const described = { method, url: request.getUrl(), verb, resource };
      return traceKubeWrite(tracer, parent, described, () => library.send(request).toPromise());
    },
  });
}
