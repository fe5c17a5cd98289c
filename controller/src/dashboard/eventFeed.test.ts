import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it, vi } from 'vitest';
import type { KubeList, Query, WatchEvent } from '../kube/kubeJsonApi.ts';
import { EventFeed, eventFieldSelector } from './eventFeed.ts';
import { RecentEvents, type RawEvent } from './recentEvents.ts';

const event = (uid: string, rollout: string, rv: string) => ({
  metadata: { uid, namespace: 'shop', resourceVersion: rv },
  involvedObject: {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    name: rollout,
    namespace: 'shop',
    uid: `uid-${rollout}`,
  },
  reason: `R${uid}`,
  message: uid,
  lastTimestamp: `2026-11-29T03:00:0${uid}Z`,
});

/** A scripted API server: each list and each watch takes the next entry of its script. */
class ScriptedApi {
  readonly calls: { kind: 'list' | 'watch'; path: string; query: Query }[] = [];
  readonly lists: (KubeList<RawEvent> | Error)[];
  readonly watches: (WatchEvent[] | Error | 'hang')[];

  constructor(lists: (KubeList<RawEvent> | Error)[], watches: (WatchEvent[] | Error | 'hang')[]) {
    this.lists = lists;
    this.watches = watches;
  }

  list<T>(path: string, query: Query): Promise<KubeList<T>> {
    this.calls.push({ kind: 'list', path, query });
    const next = this.lists.shift() ?? { metadata: { resourceVersion: '999' }, items: [] };
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next as KubeList<T>);
  }

  async watch(path: string, query: Query, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    this.calls.push({ kind: 'watch', path, query });
    const next = this.watches.shift() ?? 'hang';
    if (next instanceof Error) throw next;
    if (next !== 'hang') {
      for (const e of next) onEvent(e);
      return;
    }
    await new Promise((_resolve, reject) =>
      signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
    );
  }
}

function feed(api: ScriptedApi, namespace = 'shop') {
  const events = new RecentEvents();
  const changed: string[] = [];
  const errors: unknown[] = [];
  const f = new EventFeed(new KubeConfig(), {
    namespace,
    events,
    api,
    onChange: (key) => changed.push(key),
    onError: (err) => errors.push(err),
    noProgressTimeoutMs: 50,
    backoff: { initialMs: 1, maxMs: 2 },
  });
  return { f, events, changed, errors };
}

describe('EventFeed', () => {
  it("lists Sluice's Rollout Events, then watches from the list's resourceVersion, and reports each rollout that changed", async () => {
    const api = new ScriptedApi(
      [{ metadata: { resourceVersion: '10' }, items: [event('1', 'a', '9')] }],
      [
        [
          { type: 'ADDED', object: event('2', 'b', '11') },
          { type: 'BOOKMARK', object: { metadata: { resourceVersion: '12' } } },
          { type: 'DELETED', object: event('1', 'a', '13') },
        ],
      ],
    );
    const { f, events, changed } = feed(api);
    f.start();
    await vi.waitFor(() => expect(api.calls.filter((c) => c.kind === 'watch').length >= 2).toBe(true), {
      timeout: 2_000,
    });
    await f.stop();
    expect(api.calls[0]).toEqual({
      kind: 'list',
      path: '/api/v1/namespaces/shop/events',
      query: { fieldSelector: eventFieldSelector, limit: 500, continue: undefined },
    });
    expect(api.calls[1]?.query).toMatchObject({
      fieldSelector: eventFieldSelector,
      resourceVersion: '10',
      allowWatchBookmarks: true,
    });
    // After the API server closed the watch, it watches again from the last resourceVersion seen.
    expect(api.calls[2]?.query.resourceVersion).toBe('13');
    expect(changed).toEqual(['shop/a', 'shop/b', 'shop/a']);
    expect(events.of('shop/b', 'uid-b').map((e) => e.reason)).toEqual(['R2']);
    expect(events.of('shop/a', 'uid-a')).toEqual([]);
  });

  it('lists again when the resourceVersion is too old (410), and backs off after other errors', async () => {
    const api = new ScriptedApi(
      [
        new Error('connection refused'),
        { metadata: { resourceVersion: '5' }, items: [] },
        { metadata: { resourceVersion: '20' }, items: [event('3', 'c', '19')] },
      ],
      [[{ type: 'ERROR', object: { code: 410, message: 'too old resource version' } }]],
    );
    const { f, errors, events } = feed(api, '');
    f.start();
    await vi.waitFor(
      () =>
        expect(api.calls.filter((c) => c.kind === 'list').length >= 3 && api.calls.at(-1)?.kind === 'watch').toBe(true),
      { timeout: 2_000 },
    );
    await f.stop();
    expect(api.calls[0]?.path).toBe('/api/v1/events');
    expect(errors.map((e) => (e as Error).message)).toEqual(['connection refused']);
    expect(events.of('shop/c', 'uid-c').map((e) => e.reason)).toEqual(['R3']);
    expect(api.calls.at(-1)?.query.resourceVersion).toBe('20');
  });

  it('restarts a watch that stalls without a bookmark, from where it was', async () => {
    const api = new ScriptedApi([{ metadata: { resourceVersion: '7' }, items: [] }], ['hang', 'hang']);
    const { f, errors } = feed(api);
    f.start();
    await vi.waitFor(() => expect(api.calls.filter((c) => c.kind === 'watch').length >= 2).toBe(true), {
      timeout: 2_000,
    });
    await f.stop();
    expect(api.calls.filter((c) => c.kind === 'list')).toHaveLength(1);
    expect(
      api.calls
        .filter((c) => c.kind === 'watch')
        .map((c) => c.query.resourceVersion)
        .slice(0, 2),
    ).toEqual(['7', '7']);
    expect(errors).toEqual([]);
  });
});
