/**
 * Pushes rollout changes to the open pages (server-sent events), so that no page polls. Informer and Event
 * changes only mark a rollout key dirty; a flush a moment later turns each dirty key into a summary (and a detail
 * for the pages that show it) once, whatever the number of pages, and sends each page what matches its filter.
 * A burst (a relist of 1,000 rollouts) becomes one message per page.
 *
 * Every message is serialised and encoded once for all the pages that get it: pages with the same filter share one
 * snapshot and one changes frame, pages that show the same rollout share its detail frame. The snapshot for a filter is
 * kept until a rollout changes (a detail too), so a reconnect storm (every page after a restart, or a flood of new streams)
 * costs one JSON.stringify per filter, not one per page.
 */
import {
  matchesFilter,
  type RolloutDetail,
  type RolloutFilter,
  type RolloutSummary,
  type StreamMessages,
} from './model.ts';

export interface StreamClient {
  filter: RolloutFilter;
  /** The rollout whose detail this page shows, if any. */
  detailKey: string | undefined;
  /**
   * Sends one server-sent event, already framed and encoded (`event: ...\ndata: ...\n\n`). The same Buffer goes
   * to many pages: a socket queues it by reference, so a slow page does not hold a copy of its own.
   */
  write(frame: Buffer): void;
}

export interface StreamSources {
  summaries(): RolloutSummary[];
  summary(key: string): RolloutSummary | undefined;
  detail(key: string): RolloutDetail | undefined;
}

export interface RolloutStreamOptions {
  /** How long changes gather before they are sent. */
  flushMs?: number;
}

/** One server-sent event, encoded. */
export function frameOf<E extends keyof StreamMessages>(event: E, data: StreamMessages[E]): Buffer {
  return Buffer.from(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** Filters that select the same rows share a key (and so their frames). */
export function filterKey(filter: RolloutFilter): string {
  return JSON.stringify([
    filter.namespace ?? '',
    [...(filter.phases ?? [])].sort(),
    filter.text?.trim().toLowerCase() ?? '',
  ]);
}

/** Snapshot and detail frames kept between changes, each. */
const maxCachedFrames = 256;

export class RolloutStream {
  readonly #sources: StreamSources;
  readonly #flushMs: number;
  readonly #clients = new Set<StreamClient>();
  /** Keys whose summary (and so detail) may have changed. */
  readonly #changed = new Set<string>();
  /** Keys whose Events changed: only their detail is sent again. */
  readonly #eventsChanged = new Set<string>();
  /** Snapshot frames by filter key, and the rows they are cut from; dropped when any rollout changes. */
  readonly #snapshots = new Map<string, Buffer>();
  #summaries: RolloutSummary[] | undefined;
  /** Detail frames by rollout key, for pages that connect; dropped when that rollout or its Events change. */
  readonly #details = new Map<string, Buffer>();
  #timer: NodeJS.Timeout | undefined;

  constructor(sources: StreamSources, options: RolloutStreamOptions = {}) {
    this.#sources = sources;
    this.#flushMs = options.flushMs ?? 250;
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Registers a page: it gets the snapshot (and its detail) at once, then changes. Returns the unsubscribe. */
  add(client: StreamClient): () => void {
    this.#clients.add(client);
    client.write(this.#snapshotFrame(client.filter));
    if (client.detailKey !== undefined) client.write(this.#detailFrame(client.detailKey));
    return () => this.#clients.delete(client);
  }

  rolloutChanged(key: string): void {
    this.#snapshots.clear();
    this.#summaries = undefined;
    // All of them: cheap to rebuild, and a detail also shows templates, whose changes are not announced here.
    this.#details.clear();
    this.#mark(this.#changed, key);
  }

  eventsChanged(key: string): void {
    this.#details.delete(key);
    this.#mark(this.#eventsChanged, key);
  }

  /** Sends what gathered now (the timer calls it; tests may too). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const changed = [...this.#changed];
    const detailKeys = new Set([...changed, ...this.#eventsChanged]);
    this.#changed.clear();
    this.#eventsChanged.clear();
    if (this.#clients.size === 0) return;

    const summaries = new Map(changed.map((key) => [key, this.#sources.summary(key)]));
    const changesByFilter = new Map<string, Buffer | undefined>();
    const changesFrame = (filter: RolloutFilter) => {
      const key = filterKey(filter);
      if (!changesByFilter.has(key)) {
        const upserted: RolloutSummary[] = [];
        const removed: string[] = [];
        for (const [rolloutKey, summary] of summaries) {
          if (summary !== undefined && matchesFilter(summary, filter)) upserted.push(summary);
          else removed.push(rolloutKey);
        }
        changesByFilter.set(
          key,
          upserted.length > 0 || removed.length > 0 ? frameOf('changes', { upserted, removed }) : undefined,
        );
      }
      return changesByFilter.get(key);
    };
    for (const client of this.#clients) {
      const changes = changesFrame(client.filter);
      if (changes !== undefined) client.write(changes);
      if (client.detailKey !== undefined && detailKeys.has(client.detailKey))
        client.write(this.#detailFrame(client.detailKey));
    }
  }

  /** Stops the timer; pages are closed by the server. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#clients.clear();
  }

  #snapshotFrame(filter: RolloutFilter): Buffer {
    const key = filterKey(filter);
    let frame = this.#snapshots.get(key);
    if (frame === undefined) {
      this.#summaries ??= this.#sources.summaries();
      frame = frameOf('snapshot', { items: this.#summaries.filter((s) => matchesFilter(s, filter)) });
      // Pages use a handful of filters; a flood of made-up ones (?q=1, ?q=2 ...) must not grow the map without end.
      if (this.#snapshots.size >= maxCachedFrames) this.#snapshots.clear();
      this.#snapshots.set(key, frame);
    }
    return frame;
  }

  #detailFrame(key: string): Buffer {
    let frame = this.#details.get(key);
    if (frame === undefined) {
      frame = frameOf('detail', { key, rollout: this.#sources.detail(key) ?? null });
      if (this.#details.size >= maxCachedFrames) this.#details.clear();
      this.#details.set(key, frame);
    }
    return frame;
  }

  #mark(set: Set<string>, key: string): void {
    if (this.#clients.size === 0) return; // nobody to tell; a page that connects later gets a fresh snapshot
    set.add(key);
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), this.#flushMs);
      this.#timer.unref();
    }
  }
}
