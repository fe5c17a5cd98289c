/**
 * The newest Events of each Rollout, for the dashboard's detail view, kept small: at most `perRollout` Events per
 * rollout (older ones are dropped), messages cut to 512 characters, and at most `maxRollouts` rollouts (the one
 * whose Events changed longest ago is dropped first). A deleted rollout's Events are dropped with it.
 *
 * Anyone who may create Events in a namespace can write one that says `source: sluice`, so the field selector
 * proves nothing about who wrote it. What an Event cannot fake is where it lives: an Event is kept only when it
 * sits in the namespace of the Rollout it names, names a sluice.dev Rollout, and carries that Rollout's uid (checked
 * when it is read, against the cached Rollout). So no one can put "abort requested by alice" on another team's
 * rollout, nor on a deleted rollout's namesake.
 */
import { apiGroup } from '../api/types.ts';
import type { EventView } from './model.ts';

/** The fields of a core/v1 Event that the dashboard reads, as the API server's JSON. */
export interface RawEvent {
  metadata?: { uid?: string; name?: string; namespace?: string; creationTimestamp?: string };
  involvedObject?: { apiVersion?: string; kind?: string; name?: string; namespace?: string; uid?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string } | null;
}

interface Stored extends EventView {
  /** The uid of the Rollout the Event names; shown only while it matches the cached Rollout's. */
  rolloutUid: string;
  sortTime: number;
  /** Arrival order, for Events within the same second (Event times have whole seconds). */
  seq: number;
}

export interface RecentEventsOptions {
  perRollout?: number;
  maxRollouts?: number;
  /**
   * Whether the Rollout `key` with this uid exists (the informer cache): Events about any other are not kept, so
   * that a tenant who may create Events cannot fill the store with made-up Rollouts and push out other teams'.
   */
  exists?: (key: string, uid: string) => boolean;
}

const maxMessage = 512;

/**
 * The rollout key (namespace/name) an Event is about, or undefined when it is not about a sluice.dev Rollout in the
 * Event's own namespace (an Event in namespace "team-a" about a Rollout in "team-b" is a forgery, not a report).
 */
export function rolloutKeyOf(event: RawEvent): string | undefined {
  const o = event.involvedObject;
  const namespace = event.metadata?.namespace;
  if (o?.kind !== 'Rollout' || o.name === undefined || o.name === '') return undefined;
  if (o.apiVersion === undefined || !o.apiVersion.startsWith(`${apiGroup}/`)) return undefined;
  if (namespace === undefined || namespace === '' || o.namespace !== namespace) return undefined;
  if (o.uid === undefined || o.uid === '') return undefined;
  return `${namespace}/${o.name}`;
}

function viewOf(event: RawEvent): Omit<Stored, 'seq' | 'rolloutUid'> {
  const time =
    event.series?.lastObservedTime ??
    event.lastTimestamp ??
    event.eventTime ??
    event.firstTimestamp ??
    event.metadata?.creationTimestamp ??
    undefined;
  const message = event.message ?? '';
  return {
    type: event.type ?? 'Normal',
    reason: event.reason ?? '',
    message: message.length > maxMessage ? `${message.slice(0, maxMessage - 1)}…` : message,
    time: time ?? undefined,
    count: event.series?.count ?? event.count ?? 1,
    sortTime: time === undefined ? 0 : Date.parse(time) || 0,
  };
}

function byTime(a: Stored, b: Stored): number {
  return a.sortTime - b.sortTime || a.seq - b.seq;
}

export class RecentEvents {
  /** Insertion order is recency: a rollout whose Events change moves to the end. */
  readonly #byRollout = new Map<string, Map<string, Stored>>();
  readonly #perRollout: number;
  readonly #maxRollouts: number;
  readonly #exists: ((key: string, uid: string) => boolean) | undefined;
  #seq = 0;

  constructor(options: RecentEventsOptions = {}) {
    this.#perRollout = Math.max(1, options.perRollout ?? 15);
    this.#maxRollouts = Math.max(1, options.maxRollouts ?? 4_000);
    this.#exists = options.exists;
  }

  /** Stores a new or updated Event; returns the rollout key it belongs to, or undefined when it was ignored. */
  upsert(event: RawEvent): string | undefined {
    const key = rolloutKeyOf(event);
    const id = event.metadata?.uid ?? event.metadata?.name;
    if (key === undefined || id === undefined) return undefined;
    if (this.#exists !== undefined && !this.#exists(key, event.involvedObject?.uid ?? '')) return undefined;
    const events = this.#byRollout.get(key) ?? new Map<string, Stored>();
    this.#byRollout.delete(key);
    this.#byRollout.set(key, events);
    events.set(id, { ...viewOf(event), rolloutUid: event.involvedObject!.uid!, seq: this.#seq++ });
    if (events.size > this.#perRollout) {
      const oldest = [...events].sort(([, a], [, b]) => byTime(a, b)).slice(0, events.size - this.#perRollout);
      for (const [oldId] of oldest) events.delete(oldId);
    }
    if (this.#byRollout.size > this.#maxRollouts) {
      const first = this.#byRollout.keys().next();
      if (first.done !== true) this.#byRollout.delete(first.value);
    }
    return key;
  }

  /** Forgets one Event (the API server deleted it); returns its rollout key when it was known. */
  remove(event: RawEvent): string | undefined {
    const key = rolloutKeyOf(event);
    const id = event.metadata?.uid ?? event.metadata?.name;
    if (key === undefined || id === undefined) return undefined;
    return this.#byRollout.get(key)?.delete(id) === true ? key : undefined;
  }

  /** Replaces everything with a fresh list; returns every rollout key whose Events may have changed. */
  replace(events: readonly RawEvent[]): Set<string> {
    const touched = new Set(this.#byRollout.keys());
    this.#byRollout.clear();
    // A stable sort: a list comes in name order, and Sluice names its Events by the millisecond they were made.
    const oldestFirst = [...events].sort((a, b) => viewOf(a).sortTime - viewOf(b).sortTime);
    for (const event of oldestFirst) {
      const key = this.upsert(event);
      if (key !== undefined) touched.add(key);
    }
    return touched;
  }

  forget(key: string): void {
    this.#byRollout.delete(key);
  }

  /**
   * The Events of the rollout `key` whose uid is `uid`, newest first. Those naming another uid (forged, or about
   * an earlier rollout of the same name) are not shown.
   */
  of(key: string, uid: string | undefined): EventView[] {
    const events = this.#byRollout.get(key);
    if (events === undefined || uid === undefined) return [];
    return [...events.values()]
      .filter((e) => e.rolloutUid === uid)
      .sort((a, b) => byTime(b, a))
      .map(({ sortTime: _sortTime, seq: _seq, rolloutUid: _uid, ...view }) => view);
  }

  get rollouts(): number {
    return this.#byRollout.size;
  }
}
