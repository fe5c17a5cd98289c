/**
 * Keeps the dashboard's RecentEvents filled from the API server: lists Sluice's Rollout Events, then watches them,
 * and tells its listener which rollouts' Events changed (so the stream can push them; the page never polls).
 *
 * Not the controller's Informer: that one caches every object of a kind, and a cluster's Events are many. Here the
 * API server filters (`involvedObject.kind=Rollout,source=sluice`) and RecentEvents keeps only the newest few per
 * rollout. The loop has the same safety nets as the informer, in small: reconnect with backoff after an error, list
 * again on 410 Gone, and a no-progress watchdog for watches that hang silently (bookmarks arrive about every 60 s).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { isGone } from '../kube/apiErrors.ts';
import { Backoff } from '../kube/backoff.ts';
import { KubeJsonApi, type WatchEvent } from '../kube/kubeJsonApi.ts';
import type { RawEvent, RecentEvents } from './recentEvents.ts';

export const eventFieldSelector = 'involvedObject.kind=Rollout,source=sluice';

export interface EventFeedOptions {
  /** Watch one namespace; all when empty. */
  namespace: string;
  events: RecentEvents;
  /** Called with the rollout key whose Events changed. Synchronous; must not throw. */
  onChange: (key: string) => void;
  /** Called when the feed fails and will retry; for logs. */
  onError: (err: unknown) => void;
  noProgressTimeoutMs?: number;
  /** The list and watch calls; built from the KubeConfig when omitted (tests pass their own). */
  api?: Pick<KubeJsonApi, 'list' | 'watch'>;
  /** Delays between failed attempts; 1 s doubling up to 30 s when omitted. */
  backoff?: { initialMs: number; maxMs: number };
}

export class EventFeed {
  readonly #api: Pick<KubeJsonApi, 'list' | 'watch'>;
  readonly #path: string;
  readonly #options: EventFeedOptions;
  readonly #stopper = new AbortController();
  readonly #backoff: Backoff;
  #running: Promise<void> | undefined;

  constructor(kc: KubeConfig, options: EventFeedOptions) {
    this.#api = options.api ?? kc.makeApiClient(KubeJsonApi);
    this.#backoff = new Backoff(options.backoff ?? { initialMs: 1_000, maxMs: 30_000 });
    this.#path =
      options.namespace === ''
        ? '/api/v1/events'
        : `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/events`;
    this.#options = options;
  }

  start(): void {
    this.#running ??= this.#run(this.#stopper.signal);
  }

  async stop(): Promise<void> {
    this.#stopper.abort();
    await this.#running;
  }

  async #run(stop: AbortSignal): Promise<void> {
    let resourceVersion: string | undefined;
    while (!stop.aborted) {
      try {
        resourceVersion ??= await this.#list(stop);
        resourceVersion = await this.#watch(resourceVersion, stop);
        this.#backoff.reset();
      } catch (err) {
        if (stop.aborted) break;
        if (isGone(err)) {
          resourceVersion = undefined;
          continue;
        }
        this.#options.onError(err);
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, this.#backoff.next());
          stop.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              resolve(undefined);
            },
            { once: true },
          );
        });
      }
    }
  }

  async #list(stop: AbortSignal): Promise<string> {
    const items: RawEvent[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.#api.list<RawEvent>(
        this.#path,
        { fieldSelector: eventFieldSelector, limit: 500, continue: continueToken },
        stop,
      );
      items.push(...(page.items ?? []));
      resourceVersion = page.metadata?.resourceVersion;
      continueToken = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
    } while (continueToken !== undefined);
    if (resourceVersion === undefined || resourceVersion === '')
      throw new Error('the Event list carried no resourceVersion');
    for (const key of this.#options.events.replace(items)) this.#options.onChange(key);
    return resourceVersion;
  }

  /** Watches until the API server closes the watch or it stalls; returns the last resourceVersion seen. */
  async #watch(from: string, stop: AbortSignal): Promise<string> {
    let resourceVersion = from;
    const request = new AbortController();
    const onStop = () => request.abort();
    stop.addEventListener('abort', onStop, { once: true });
    const timeoutMs = this.#options.noProgressTimeoutMs ?? 150_000;
    let watchdog = setTimeout(() => request.abort(), timeoutMs);
    const onEvent = (event: WatchEvent) => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => request.abort(), timeoutMs);
      if (event.type === 'ERROR') {
        const status = event.object as { code?: number; message?: string };
        throw Object.assign(new Error(`Event watch error ${status.code ?? '?'}: ${status.message ?? ''}`), {
          code: status.code,
        });
      }
      const object = event.object as RawEvent & { metadata?: { resourceVersion?: string } };
      const rv = object.metadata?.resourceVersion;
      if (rv !== undefined && rv !== '') resourceVersion = rv;
      if (event.type === 'BOOKMARK') return;
      const key = event.type === 'DELETED' ? this.#options.events.remove(object) : this.#options.events.upsert(object);
      if (key !== undefined) this.#options.onChange(key);
    };
    try {
      await this.#api.watch(
        this.#path,
        {
          fieldSelector: eventFieldSelector,
          resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: 300 + Math.floor(Math.random() * 300),
        },
        onEvent,
        request.signal,
      );
    } catch (err) {
      // The watchdog's abort is a stalled watch: watch again from where it was, at once.
      if (!request.signal.aborted || stop.aborted) throw err;
    } finally {
      clearTimeout(watchdog);
      stop.removeEventListener('abort', onStop);
    }
    return resourceVersion;
  }
}
