/**
 * One pool of kept-alive connections to the API server for the requests of a kubeconfig that read or write one
 * object, with bounded waits, and thrown away as soon as one of its connections is found dead.
 *
 * Why: client-node 2.0 gives every request a new undici Agent (KubeConfig.applySecurityAuthentication), so no
 * connection is ever reused: each request pays a TCP and TLS handshake and leaves a kept-alive socket behind. At
 * 1,000 rollouts that doubled the time of a canary and held ~300 sockets (bench/results/2026-11-29-*.json).
 *
 * Sharing one Agent brings back the failure a new connection per request hid: a connection that went silent
 * (half-open TCP, a partition, a frozen proxy) sits in the pool and the next request on it waits forever. So:
 * - every pooled request has a deadline for its headers and between body chunks (`requestTimeoutMs`);
 * - when a request fails with no answer (reset, refused, timed out), the pool is replaced: the next requests
 *   open new connections, and the old pool closes once what is in flight on it ends. One dead socket usually
 *   means its siblings are dead too (the same partition), and trying them one by one costs a timeout each.
 *   The kubelet does the same when a heartbeat fails (client-go's closeAllConns);
 * - whoever sees a connection stall without a failure (the informer's watchdog) calls drop();
 * - a 401 drops it too: client-node reads client certificates anew for every request (files, exec plugins), but
 *   a pooled connection keeps presenting the one it was opened with, so after a rotation only a new one works.
 * Lists and watches are not pooled (see apiMetrics.ts): they are few, a watch holds its connection for minutes,
 * and a relist must not land on a pooled connection that froze with the watch it replaces.
 *
 * The pool adopts the Agent that client-node built for the first request after each drop, so TLS, client
 * certificates and proxies are exactly what client-node would have used at that moment.
 */
import { Agent, type Dispatcher } from 'undici';

export interface ConnectionPoolOptions {
  /** Deadline for a response's headers, and between two chunks of its body, for every request but a watch. */
  requestTimeoutMs: number;
  /** How long a dropped pool may finish what was in flight on it before its sockets are destroyed; default twice the request timeout. */
  drainMs?: number;
}

/** Undici's default for headers and body waits is 5 minutes: a frozen connection would hold a reconcile that long. */
export const defaultRequestTimeoutMs = 30_000;

export class ConnectionPool {
  readonly #requestTimeoutMs: number;
  readonly #drainMs: number;
  #agent: Dispatcher | undefined;
  #bounded: Dispatcher | undefined;
  #drops = 0;

  constructor(options: ConnectionPoolOptions) {
    this.#requestTimeoutMs = options.requestTimeoutMs;
    this.#drainMs = options.drainMs ?? 2 * options.requestTimeoutMs;
  }

  /** How many times the pool was dropped: each one costs the next requests a new connection. */
  get drops(): number {
    return this.#drops;
  }

  /**
   * The dispatcher a request should use instead of `own`, the one client-node made for it. client-node makes none
   * when there is no TLS option to carry (a publicly trusted server and a token): the pool then has a plain Agent,
   * so those requests get the same deadlines.
   */
  dispatcherFor(own: Dispatcher | undefined): Dispatcher {
    if (this.#agent === undefined || this.#bounded === undefined) {
      const agent = own ?? new Agent();
      const timeoutMs = this.#requestTimeoutMs;
      this.#agent = agent;
      this.#bounded = agent.compose(
        (dispatch) => (opts, handler) =>
          dispatch({ ...opts, headersTimeout: timeoutMs, bodyTimeout: timeoutMs }, handler),
      );
    }
    return this.#bounded;
  }

  /**
   * Stops handing out the current connections: the next request starts a new pool. With `used`, only if that
   * dispatcher is still the current pool's: ten requests that failed on one dead pool drop it once, not the ten
   * new pools after it.
   */
  drop(used?: Dispatcher): void {
    const old = this.#agent;
    if (old === undefined) return;
    if (used !== undefined && used !== old && used !== this.#bounded) return;
    this.#agent = undefined;
    this.#bounded = undefined;
    this.#drops++;
    // close() lets requests in flight finish and closes idle sockets now; what is still open after the drain
    // (nothing, unless a deadline failed) is destroyed, so a dropped pool never lingers.
    const destroyLater = setTimeout(() => void old.destroy().catch(() => undefined), this.#drainMs);
    destroyLater.unref();
    void old.close().then(
      () => clearTimeout(destroyLater),
      () => undefined,
    );
  }
}

/**
 * Whether a request that failed without a response tells that its connection is dead: everything but an abort its
 * caller asked for (stopping, a superseded watch). An abort by a deadline (AbortSignal.timeout) counts as dead.
 */
export function failureMeansDeadConnection(signal: AbortSignal | undefined): boolean {
  if (signal === undefined || !signal.aborted) return true;
  const reason: unknown = signal.reason;
  return reason instanceof DOMException && reason.name === 'TimeoutError';
}
