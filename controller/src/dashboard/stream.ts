/**
 * Pushes rollout changes to the open pages (server-sent events), so that no page polls. Informer and Event
 * changes only mark a rollout key dirty; a flush a moment later turns each dirty key into a summary (and a detail
 * for the pages that show it) once, whatever the number of pages, and sends each page what matches its filter.
 * A burst (a relist of 1,000 rollouts) becomes one message per page.
 */
import { matchesFilter, type RolloutDetail, type RolloutFilter, type RolloutSummary, type StreamMessages } from './model.ts';

export interface StreamClient {
  filter: RolloutFilter;
  /** The rollout whose detail this page shows, if any. */
  detailKey: string | undefined;
  send<E extends keyof StreamMessages>(event: E, data: StreamMessages[E]): void;
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

export class RolloutStream {
  readonly #sources: StreamSources;
  readonly #flushMs: number;
  readonly #clients = new Set<StreamClient>();
  /** Keys whose summary (and so detail) may have changed. */
  readonly #changed = new Set<string>();
  /** Keys whose Events changed: only their detail is sent again. */
  readonly #eventsChanged = new Set<string>();
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
    client.send('snapshot', { items: this.#sources.summaries().filter((s) => matchesFilter(s, client.filter)) });
    if (client.detailKey !== undefined) client.send('detail', { key: client.detailKey, rollout: this.#sources.detail(client.detailKey) ?? null });
    return () => this.#clients.delete(client);
  }

  rolloutChanged(key: string): void {
    this.#mark(this.#changed, key);
  }

  eventsChanged(key: string): void {
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
    const details = new Map<string, RolloutDetail | null>();
    const detailOf = (key: string) => {
      if (!details.has(key)) details.set(key, this.#sources.detail(key) ?? null);
      return details.get(key) ?? null;
    };
    for (const client of this.#clients) {
      const upserted: RolloutSummary[] = [];
      const removed: string[] = [];
      for (const [key, summary] of summaries) {
        if (summary !== undefined && matchesFilter(summary, client.filter)) upserted.push(summary);
        else removed.push(key);
      }
      if (upserted.length > 0 || removed.length > 0) client.send('changes', { upserted, removed });
      if (client.detailKey !== undefined && detailKeys.has(client.detailKey)) {
        client.send('detail', { key: client.detailKey, rollout: detailOf(client.detailKey) });
      }
    }
  }

  /** Stops the timer; pages are closed by the server. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#clients.clear();
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
