/**
 * The page's one line to the controller: the server-sent event stream (no polling), reopened with a backoff when
 * the server refuses it, plus the config and action requests. It reports its state, so the page can say plainly
 * when the API is unreachable or the controller is still starting, and keep showing the last data it had.
 */
import type { ApiError, DashboardAction, DashboardInfo, StreamMessages } from '../../controller/src/dashboard/model.ts';

export type ConnectionState =
  { kind: 'connecting' } | { kind: 'live' } | { kind: 'starting'; message: string } | { kind: 'down'; message: string };

export interface StreamHandlers {
  onMessage<E extends keyof StreamMessages>(event: E, data: StreamMessages[E]): void;
  onState(state: ConnectionState): void;
}

const tokenKey = 'sluice.token';

/** The token lives in this tab's sessionStorage: never a cookie, so no other site can make the browser send it. */
export const tokenStore = {
  get: (): string | undefined => sessionStorage.getItem(tokenKey) ?? undefined,
  set: (token: string) => sessionStorage.setItem(tokenKey, token.trim()),
  clear: () => sessionStorage.removeItem(tokenKey),
};

const unreachable = (what: string, why: string) => `Cannot reach the Sluice API (${what}): ${why}. Retrying…`;

export async function fetchInfo(): Promise<DashboardInfo> {
  let res: Response;
  try {
    res = await fetch('api/config', { headers: { Accept: 'application/json' } });
  } catch (err) {
    throw new Error(unreachable('api/config', err instanceof Error ? err.message : String(err)), { cause: err });
  }
  if (!res.ok) throw new Error(unreachable('api/config', `HTTP ${res.status}`));
  return (await res.json()) as DashboardInfo;
}

export class Stream {
  readonly #handlers: StreamHandlers;
  #source: EventSource | undefined;
  #params = '';
  #retryTimer: number | undefined;
  #failures = 0;

  constructor(handlers: StreamHandlers) {
    this.#handlers = handlers;
  }

  /** (Re)opens the stream; `rollout` adds that rollout's detail to it. */
  open(rollout: string | undefined): void {
    const params = rollout === undefined ? '' : `?rollout=${encodeURIComponent(rollout)}`;
    if (this.#source !== undefined && params === this.#params) return;
    this.#params = params;
    this.#connect();
  }

  #connect(): void {
    this.#source?.close();
    window.clearTimeout(this.#retryTimer);
    const source = new EventSource(`api/stream${this.#params}`);
    this.#source = source;
    const on = <E extends keyof StreamMessages>(event: E) => {
      source.addEventListener(event, (e) => {
        this.#handlers.onMessage(event, JSON.parse((e as MessageEvent<string>).data) as StreamMessages[E]);
      });
    };
    on('snapshot');
    on('changes');
    on('detail');
    source.addEventListener('open', () => {
      this.#failures = 0;
      this.#handlers.onState({ kind: 'live' });
    });
    source.addEventListener('error', () => {
      if (source !== this.#source) return;
      if (source.readyState === EventSource.CONNECTING) {
        // The browser reconnects by itself (the server asked for 2 s); meanwhile the data shown may be stale.
        this.#handlers.onState({ kind: 'down', message: unreachable('api/stream', 'the connection was lost') });
        return;
      }
      // CLOSED: the server answered with an error status, or nothing answered. Ask why, then try again later.
      void this.#diagnose().then((state) => {
        if (source !== this.#source) return;
        this.#handlers.onState(state);
        const delay = Math.min(30_000, 1_000 * 2 ** Math.min(this.#failures++, 5));
        this.#retryTimer = window.setTimeout(() => this.#connect(), delay);
      });
    });
  }

  async #diagnose(): Promise<ConnectionState> {
    try {
      const res = await fetch('api/rollouts?limit=0', { headers: { Accept: 'application/json' } });
      if (res.status === 503) {
        const body = (await res.json().catch(() => ({}))) as Partial<ApiError>;
        if (body.code === 'SLUICE_DASHBOARD_NOT_SYNCED')
          return { kind: 'starting', message: 'The controller is starting: it has not listed the rollouts yet.' };
      }
      return { kind: 'down', message: unreachable('api/stream', `HTTP ${res.status}`) };
    } catch (err) {
      return { kind: 'down', message: unreachable('api/stream', err instanceof Error ? err.message : String(err)) };
    }
  }
}

export type ActionOutcome = { ok: true; message: string } | { ok: false; status: number; message: string };

/** POSTs an action with the bearer token; the answer's message is shown as it is. */
export async function requestAction(
  namespace: string,
  name: string,
  action: DashboardAction,
  token: string,
): Promise<ActionOutcome> {
  let res: Response;
  try {
    res = await fetch(`api/rollouts/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/actions/${action}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      credentials: 'omit',
    });
  } catch (err) {
    return { ok: false, status: 0, message: unreachable('actions', err instanceof Error ? err.message : String(err)) };
  }
  const body = (await res.json().catch(() => ({}))) as Partial<ApiError> & { message?: string };
  return res.ok
    ? { ok: true, message: body.message ?? `${action} requested` }
    : { ok: false, status: res.status, message: body.message ?? `HTTP ${res.status}` };
}
