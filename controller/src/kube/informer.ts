/**
 * A shared informer for one kind: it lists and watches the API server, keeps the objects in memory as the API
 * server's JSON, and tells its handlers which keys changed. Handlers get the kind and the key, nothing else: they
 * enqueue the key, and the reconciler reads the cache.
 *
 * Written on KubeJsonApi rather than client-node's ListWatch/makeInformer, because restarting is the whole job:
 * - ListWatch stops for good on any error but 410 Gone, and restarting it from outside means racing its own
 *   reconnect logic; it has no bookmarks, no no-progress watchdog and no periodic relist;
 * - its list objects are model classes (Dates, unknown fields dropped) but its watch objects are JSON;
 * - it watches through client-node's Watch, which drops quiet watches after 30 s (see kubeJsonApi.ts).
 * Here one loop owns every step (list, watch, restart, relist), so errors, stalls, expiry and resyncs all take
 * the same path, and stop() has exactly one request and one set of timers to end.
 *
 * The loop: list (in pages) and replace the cache, notifying keys that were added, changed or removed -> watch
 * from the list's resourceVersion with bookmarks -> when the watch ends, decide how to go on:
 * - closed by the API server (its timeoutSeconds): watch again from the last resourceVersion seen;
 * - error (HTTP error, reset, a torn line): the same after an exponential backoff;
 * - stalled (no event or bookmark for noProgressTimeoutMs; watches can hang silently, client-node #596, #958):
 *   watch again at once;
 * - expired (410 Gone: the resourceVersion is too old): list again;
 * - resync (resyncPeriodMs since the last list): list again, which also catches anything a watch missed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { isGone } from './apiErrors.ts';
import { dropConnections } from './apiMetrics.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import {
  forCache,
  nextStep,
  resyncDelayMs,
  watchFailure,
  type RestartReason,
  type WatchEnd,
} from './informerDecisions.ts';
import { KubeJsonApi, type WatchEvent } from './kubeJsonApi.ts';
import { keyOf } from './objectKey.ts';
import { ObjectStore, type KubeObject } from './objectStore.ts';
import { collectionPath, type ResourceRef } from './resourceRef.ts';

export type { RestartReason } from './informerDecisions.ts';

/**
 * Receives the kind ("Rollout"), the key ("shop/checkout") and the object that was added or changed (as it is now)
 * or deleted (as it was last: the cache no longer has it, so this is the only place its labels can still be read).
 */
export type InformerHandler<T = KubeObject> = (kind: string, key: string, object: T) => void;

export interface InformerOptions<T extends KubeObject = KubeObject> {
  resource: ResourceRef;
  /** Watch one namespace; all namespaces when omitted. */
  namespace?: string;
  labelSelector?: string;
  /** Relist this often even when the watch looks healthy; 0 never relists. Default 10 minutes. */
  resyncPeriodMs?: number;
  /**
   * Restart a watch that delivered no event and no bookmark for this long. The API server sends a bookmark about
   * every 60 s on a quiet watch, so the default (150 s) is two missed bookmarks and a margin. Also the bound of each
   * list page.
   */
  noProgressTimeoutMs?: number;
  /** The API server ends each watch after this many seconds; default a random 5 to 10 minutes. */
  watchTimeoutSeconds?: () => number;
  /** Delays between failed attempts; default 1 s doubling up to 30 s. */
  backoff?: BackoffOptions;
  /** Objects per list page. Default 500. */
  pageSize?: number;
  /**
   * What the cache keeps of each object (after forCache): the fields its readers use (reconcile/projection.ts,
   * reconcile/pods.ts), with their repeated strings shared (internTable.ts). The rest is dropped as it arrives, so
   * the cache's weight is the projection's. It must keep metadata.name, namespace and resourceVersion, and it may
   * change the object it is given (freshly parsed, held by nobody else) but must return the one to cache. `cached`
   * is the object the cache holds under the same name, if any, for parts of it that have not changed to be kept:
   * given for watch events only, which come in the API server's order. A list is the repair of whatever the cache
   * missed or got wrong (a watch that lost events, an API server whose history went back), so its objects are
   * projected whole, with `cached` undefined.
   */
  project?: (obj: KubeObject, cached: KubeObject | undefined) => KubeObject;
  /** The value each cached object is also found by (listIndexed), computed on the projected object. */
  indexBy?: (obj: T) => string | undefined;
  /** Called each time the watch is restarted, for metrics and logs; it must not throw. */
  onRestart?: (kind: string, reason: RestartReason, error?: unknown) => void;
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly kind: string;
  /** Resolves once the first list is in the cache; rejects if the informer is stopped before that. */
  readonly synced: Promise<void>;
  readonly #kc: KubeConfig;
  readonly #api: KubeJsonApi;
  readonly #resource: ResourceRef;
  readonly #path: string;
  readonly #labelSelector: string | undefined;
  readonly #resyncPeriodMs: number;
  readonly #noProgressTimeoutMs: number;
  readonly #watchTimeoutSeconds: () => number;
  readonly #pageSize: number;
  readonly #onRestart: (kind: string, reason: RestartReason, error?: unknown) => void;
  readonly #project: ((obj: KubeObject, cached: KubeObject | undefined) => KubeObject) | undefined;
  readonly #backoff: Backoff;
  readonly #store: ObjectStore<T>;
  readonly #handlers = new Set<InformerHandler<T>>();
  readonly #stopper = new AbortController();
  #running: Promise<void> | undefined;
  #hasSynced = false;
  #markSynced: () => void = () => undefined;
  #failSync: (err: Error) => void = () => undefined;

  constructor(kc: KubeConfig, options: InformerOptions<T>) {
    this.#store = new ObjectStore<T>(options.indexBy);
    this.kind = options.resource.kind;
    this.#kc = kc;
    this.#api = kc.makeApiClient(KubeJsonApi);
    this.#resource = options.resource;
    this.#path = collectionPath(options.resource, options.namespace);
    this.#labelSelector = options.labelSelector;
    this.#resyncPeriodMs = options.resyncPeriodMs ?? 10 * 60_000;
    this.#noProgressTimeoutMs = options.noProgressTimeoutMs ?? 150_000;
    this.#watchTimeoutSeconds = options.watchTimeoutSeconds ?? (() => 300 + Math.floor(Math.random() * 300));
    this.#pageSize = options.pageSize ?? 500;
    this.#onRestart = options.onRestart ?? (() => undefined);
    this.#project = options.project;
    this.#backoff = new Backoff(options.backoff ?? { initialMs: 1_000, maxMs: 30_000 });
    this.synced = new Promise<void>((resolve, reject) => {
      this.#markSynced = resolve;
      this.#failSync = reject;
    });
    // Nobody may be waiting for it; a rejection nobody awaits must not crash the process.
    this.synced.catch(() => undefined);
  }

  /** Starts listing and watching; call once, after registering handlers. */
  start(): void {
    if (this.#running !== undefined) throw new Error(`the ${this.kind} informer was already started`);
    this.#running = this.#run(this.#stopper.signal);
  }

  /** Ends the watch and every timer; resolves when nothing of the informer is left running. Final. */
  async stop(): Promise<void> {
    this.#stopper.abort();
    if (!this.#hasSynced) this.#failSync(new Error(`the ${this.kind} informer was stopped before it synced`));
    await this.#running;
  }

  /** True once the first list is in the cache. An arrow function, so that a readiness probe can hold it. */
  readonly hasSynced = (): boolean => this.#hasSynced;

  /** The cached object, as the API server sent it. Do not modify it: other readers share it. */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.#store.get(namespace, name);
  }

  /** Cached objects of one namespace, or of all. Do not modify them: other readers share them. */
  list(namespace?: string): T[] {
    return this.#store.list(namespace);
  }

  /** Cached objects of a namespace (all, as list(), when none is given) with this index value (options.indexBy); undefined without an index. */
  listIndexed(namespace: string | undefined, value: string): T[] | undefined {
    return this.#store.listIndexed(namespace, value);
  }

  /** Registers a handler; returns the function that removes it. */
  onChange(handler: InformerHandler<T>): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  async #run(stop: AbortSignal): Promise<void> {
    let resourceVersion: string | undefined;
    let listedAt = 0;
    while (!stop.aborted) {
      if (resourceVersion === undefined || this.#resyncDue(listedAt)) {
        try {
          resourceVersion = await this.#relist(stop);
          listedAt = performance.now();
        } catch (err) {
          if (stop.aborted) break;
          this.#onRestart(this.kind, 'error', err);
          await pause(this.#backoff.next(), stop);
          continue;
        }
      }
      const end = await this.#watch(resourceVersion, listedAt, stop);
      if (end.reason === 'stopped') break;
      const next = nextStep({ ...end, reason: end.reason });
      resourceVersion = next.resourceVersion;
      if (next.resetBackoff) this.#backoff.reset();
      if (next.dropConnections) dropConnections(this.#kc);
      this.#onRestart(this.kind, end.reason, end.error);
      await pause(next.backOff ? this.#backoff.next() : 0, stop);
    }
  }

  #resyncDue(listedAt: number): boolean {
    return resyncDelayMs(this.#resyncPeriodMs, listedAt, performance.now()) === 0;
  }

  /** Lists every page, replaces the cache, notifies what changed; returns the list's resourceVersion. */
  async #relist(stop: AbortSignal): Promise<string> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    do {
      // A page with no answer within the no-progress bound fails, as a silent watch ends: a list has a connection of
      // its own with no deadline (apiMetrics.ts), and a relist that hangs would leave the cache as it was for ever.
      const page = await this.#api.list<T>(
        this.#path,
        { labelSelector: this.#labelSelector, limit: this.#pageSize, continue: continueToken },
        AbortSignal.any([stop, AbortSignal.timeout(this.#noProgressTimeoutMs)]),
      );
      // Nothing of the cached copies is kept: a list is what repairs them (`project`).
      for (const item of page.items ?? []) items.push(this.#forCache(item, false));
      resourceVersion = page.metadata?.resourceVersion;
      continueToken = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
    } while (continueToken !== undefined);
    if (resourceVersion === undefined || resourceVersion === '')
      throw new Error(`the ${this.kind} list carried no resourceVersion`);
    for (const obj of this.#store.replace(items)) this.#notify(obj);
    if (!this.#hasSynced) {
      this.#hasSynced = true;
      this.#markSynced();
    }
    return resourceVersion;
  }

  /** One watch, from `resourceVersion` until it ends for one of the reasons in WatchEnd. */
  async #watch(resourceVersion: string, listedAt: number, stop: AbortSignal): Promise<WatchEnd> {
    const state = { resourceVersion, progressed: false };
    let ended: WatchEnd | undefined;
    const request = new AbortController();
    let watchdog: NodeJS.Timeout | undefined;
    let resync: NodeJS.Timeout | undefined;
    const end = (reason: WatchEnd['reason'], error?: unknown) => {
      if (ended !== undefined) return;
      ended = { reason, error, ...state };
      clearTimeout(watchdog);
      clearTimeout(resync);
      request.abort();
    };
    const armWatchdog = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(
        () => end('stalled', new Error(`no ${this.kind} event or bookmark for ${this.#noProgressTimeoutMs} ms`)),
        this.#noProgressTimeoutMs,
      );
    };
    const onStop = () => end('stopped');
    stop.addEventListener('abort', onStop, { once: true });
    const resyncIn = resyncDelayMs(this.#resyncPeriodMs, listedAt, performance.now());
    if (resyncIn !== undefined) resync = setTimeout(() => end('resync'), resyncIn);
    armWatchdog();
    const onEvent = (event: WatchEvent) => {
      if (ended !== undefined) return;
      state.progressed = true;
      armWatchdog();
      const failure = this.#apply(event, state);
      if (failure !== undefined) end(failure.reason, failure.error);
    };
    try {
      const query = {
        resourceVersion,
        allowWatchBookmarks: true,
        labelSelector: this.#labelSelector,
        timeoutSeconds: this.#watchTimeoutSeconds(),
      };
      await this.#api.watch(this.#path, query, onEvent, request.signal);
      end('closed');
    } catch (err) {
      end(isGone(err) ? 'expired' : 'error', err);
    } finally {
      stop.removeEventListener('abort', onStop);
    }
    return ended ?? { reason: 'error', error: new Error('watch ended without a reason'), ...state };
  }

  /** Applies one watch event to the cache; returns why the watch must end, if it must. */
  #apply(
    event: WatchEvent,
    state: { resourceVersion: string },
  ): { reason: 'expired' | 'error'; error: Error } | undefined {
    const failure = watchFailure(this.kind, event);
    if (failure !== undefined) return failure;
    const obj = this.#forCache(event.object as T, true);
    const rv = obj.metadata?.resourceVersion;
    if (rv !== undefined && rv !== '') state.resourceVersion = rv;
    if (event.type === 'BOOKMARK') return undefined;
    const changed = event.type === 'DELETED' ? this.#store.remove(obj) : this.#store.upsert(obj);
    if (changed) this.#notify(obj);
    return undefined;
  }

  /** `fromWatch`: a watch event, whose projection may keep what has not changed of the cached copy. */
  #forCache(obj: T, fromWatch: boolean): T {
    const kept = forCache(obj, this.#resource);
    if (this.#project === undefined) return kept;
    const cached =
      !fromWatch || kept.metadata?.name === undefined
        ? undefined
        : this.#store.get(kept.metadata.namespace, kept.metadata.name);
    return this.#project(kept, cached) as T;
  }

  #notify(obj: T): void {
    const key = keyOf(obj);
    for (const handler of this.#handlers) {
      try {
        handler(this.kind, key, obj);
      } catch (err) {
        // A throwing handler is a bug. Surface it as an uncaught exception instead of losing it, and keep
        // the cache consistent by finishing the list or event that is being applied.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

/** Waits, unless the informer is stopped first. */
async function pause(ms: number, stop: AbortSignal): Promise<void> {
  if (ms <= 0 || stop.aborted) return;
  await sleep(ms, undefined, { signal: stop }).catch(() => undefined);
}
