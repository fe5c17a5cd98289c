/**
 * The leader fence as one object for every writer: the executor, the HTTP layer of the reconciler's Kubernetes
 * client (apiMetrics.ts) and the Unleash admin calls. A write must be checked right before it leaves: a check made
 * before a wait (the rate limiter, a connection handshake) proves nothing about the moment the write reaches the
 * server, and by then the next leader may be acting.
 */
import type { Dispatcher } from 'undici';

/** A write refused because this replica is not, or no longer, the leader. Never retried: the process stops leading. */
export class NotLeaderError extends Error {
  readonly code = 'NotLeader';
  constructor(what = 'write') {
    super(`not the leader: ${what} not sent (another replica may be acting; this one stops writing)`);
    this.name = 'NotLeaderError';
  }
}

export interface WriteFence {
  /** Throws NotLeaderError unless this replica may write now. Synchronous and a few comparisons: call it per write. */
  readonly check: (what?: string) => void;
  /**
   * Aborts, with a NotLeaderError as its reason, as soon as this replica stops leading; already aborted when it does
   * not lead now. For writes that wait (in the rate limiter): they give up at once instead of after their wait.
   * Not a substitute for check(): a process too wedged to run the timer that aborts it still fails check().
   */
  readonly lost: () => AbortSignal;
}

/** What the fence needs from a leader elector (LeaderElector has both). */
export interface Leadership {
  isLeader(): boolean;
  leadershipLost(): AbortSignal;
}

const neverLost = new AbortController().signal;

/** The fence of `leadership`; without one (leader election off) this replica is the only writer and always may write. */
export function leaderFence(leadership: Leadership | undefined): WriteFence {
  if (leadership === undefined) return { check: () => undefined, lost: () => neverLost };
  return {
    check: (what) => {
      if (!leadership.isLeader()) throw new NotLeaderError(what);
    },
    lost: () => leadership.leadershipLost(),
  };
}

/** The NotLeaderError behind `err`, if that is why it failed: fetch wraps a dispatcher's error as the cause of its own. */
export function notLeaderCause(err: unknown): NotLeaderError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e instanceof NotLeaderError) return e;
  }
  return undefined;
}

/**
 * `dispatcher` with `fence` checked when undici starts writing a request on a connection: after the handshake of
 * a new connection and fetch's own steps, the last moment before its bytes leave. A refusal fails the request
 * (fetch rejects with the NotLeaderError as its cause, see notLeaderCause) before anything is written, and keeps
 * the connection. For writes only: every request through it is fenced.
 */
export function fenceAtSocket(dispatcher: Dispatcher, fence: WriteFence, what: string): Dispatcher {
  return dispatcher.compose((dispatch) => (opts, handler) => dispatch(opts, checkingOnStart(handler, fence, what)));
}

// A Proxy, not a decorator class: fetch's handler has methods of its own (onResponseStarted) that must still be reached.
function checkingOnStart(
  handler: Dispatcher.DispatchHandler,
  fence: WriteFence,
  what: string,
): Dispatcher.DispatchHandler {
  return new Proxy(handler, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property !== 'onRequestStart') return method.bind(target);
      return (...args: unknown[]): unknown => {
        fence.check(what);
        return method.apply(target, args);
      };
    },
  });
}
