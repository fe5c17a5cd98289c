import { describe, expect, it } from 'vitest';
import type { StreamMessages } from './model.ts';
import { FakeCache, progressing, rollout } from './fixtures.test-support.ts';
import { WeightHistory } from './weightHistory.ts';
import { RecentEvents } from './recentEvents.ts';
import { RolloutStream, type StreamClient } from './stream.ts';
import { rolloutViews } from './view.ts';

type Sent = { [E in keyof StreamMessages]: { event: E; data: StreamMessages[E] } }[keyof StreamMessages];

function setup() {
  const rollouts = new FakeCache([
    rollout('shop', 'a', progressing(20, 0)),
    rollout('shop', 'b', progressing(0, 0)),
    rollout('bank', 'c'),
  ]);
  const views = rolloutViews({
    rollouts,
    analysisTemplates: new FakeCache(),
    clusterAnalysisTemplates: new FakeCache(),
    history: new WeightHistory(),
    events: new RecentEvents(),
  });
  let detailsBuilt = 0;
  let summariesBuilt = 0;
  const stream = new RolloutStream(
    {
      ...views,
      detail: (key) => {
        detailsBuilt++;
        return views.detail(key);
      },
      summaries: () => {
        summariesBuilt++;
        return views.summaries();
      },
    },
    { flushMs: 60_000 },
  );
  const page = (filter: StreamClient['filter'] = {}, detailKey?: string) => {
    const sent: Sent[] = [];
    const frames: Buffer[] = [];
    const client: StreamClient = {
      filter,
      detailKey,
      write: (frame) => {
        frames.push(frame);
        const [, event, data] = /^event: (\w+)\ndata: (.*)\n\n$/s.exec(frame.toString())!;
        sent.push({ event, data: JSON.parse(data!) as unknown } as Sent);
      },
    };
    return { sent, frames, remove: stream.add(client) };
  };
  return { rollouts, stream, page, detailsBuilt: () => detailsBuilt, summariesBuilt: () => summariesBuilt };
}

describe('RolloutStream', () => {
  it('starts each page with a snapshot of what matches its filter, and the detail it shows', () => {
    const { page } = setup();
    const p = page({ namespace: 'shop' }, 'shop/a');
    expect(p.sent.map((m) => m.event)).toEqual(['snapshot', 'detail']);
    const snapshot = p.sent[0] as Extract<Sent, { event: 'snapshot' }>;
    expect(snapshot.data.items.map((s) => s.key)).toEqual(['shop/a', 'shop/b']);
  });

  it('gathers a burst of changes into one message per page, and builds each detail once for all pages', () => {
    const { rollouts, stream, page, detailsBuilt } = setup();
    const pages = [page({}, 'shop/a'), page({}, 'shop/a'), page({ namespace: 'bank' })];
    const before = detailsBuilt();
    rollouts.put(rollout('shop', 'a', progressing(60, 2)));
    for (let i = 0; i < 50; i++) stream.rolloutChanged('shop/a');
    stream.rolloutChanged('shop/b');
    stream.flush();
    const [first, , bank] = pages;
    const changes = first!.sent.filter((m): m is Extract<Sent, { event: 'changes' }> => m.event === 'changes');
    expect(changes).toHaveLength(1);
    expect(changes[0]!.data.upserted.map((s) => [s.key, s.canaryWeight])).toEqual([
      ['shop/a', 60],
      ['shop/b', 0],
    ]);
    expect(first!.sent.at(-1)).toMatchObject({
      event: 'detail',
      data: { key: 'shop/a', rollout: { canaryWeight: 60 } },
    });
    expect(detailsBuilt() - before).toBe(1);
    // The bank page does not show shop rollouts: for it they are removals (a no-op for rows it never had).
    expect(bank!.sent.at(-1)).toEqual({ event: 'changes', data: { upserted: [], removed: ['shop/a', 'shop/b'] } });
  });

  it('serialises one snapshot for all pages with the same filter, until a rollout changes', () => {
    const { rollouts, stream, page, summariesBuilt, detailsBuilt } = setup();
    const pages = Array.from({ length: 50 }, () => page({ namespace: 'shop', phases: ['Progressing'] }, 'shop/a'));
    const bank = page({ namespace: 'bank' });
    expect(summariesBuilt()).toBe(1);
    expect(detailsBuilt()).toBe(1);
    // The very same Buffer, not 50 equal ones: memory for the frames is shared.
    expect(new Set(pages.map((p) => p.frames[0])).size).toBe(1);
    expect(pages[0]!.frames[0]).not.toBe(bank.frames[0]);
    rollouts.put(rollout('shop', 'a', progressing(60, 2)));
    stream.rolloutChanged('shop/a');
    const late = page({ namespace: 'shop', phases: ['Progressing'] });
    expect(summariesBuilt()).toBe(2);
    expect(late.sent[0]).toMatchObject({
      event: 'snapshot',
      data: { items: [{ key: 'shop/a', canaryWeight: 60 }, { key: 'shop/b' }] },
    });
    stream.flush();
    expect(new Set(pages.map((p) => p.frames.at(-2))).size).toBe(1);
    expect(pages[0]!.sent.at(-2)).toMatchObject({ event: 'changes', data: { upserted: [{ key: 'shop/a' }] } });
  });

  it('sends a deleted rollout as removed, and a null detail to the page that showed it', () => {
    const { rollouts, stream, page } = setup();
    const p = page({}, 'shop/b');
    rollouts.delete('shop', 'b');
    stream.rolloutChanged('shop/b');
    stream.flush();
    expect(p.sent.slice(-2)).toEqual([
      { event: 'changes', data: { upserted: [], removed: ['shop/b'] } },
      { event: 'detail', data: { key: 'shop/b', rollout: null } },
    ]);
  });

  it('sends only the detail when only Events changed, and nothing after a page left', () => {
    const { stream, page } = setup();
    const p = page({}, 'shop/a');
    const other = page({});
    stream.eventsChanged('shop/a');
    stream.flush();
    expect(p.sent.at(-1)?.event).toBe('detail');
    expect(other.sent.map((m) => m.event)).toEqual(['snapshot']);
    p.remove();
    other.remove();
    stream.rolloutChanged('shop/a');
    stream.flush();
    expect(stream.clients).toBe(0);
    expect(p.sent.at(-1)?.event).toBe('detail');
  });
});
