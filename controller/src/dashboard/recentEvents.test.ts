import { describe, expect, it } from 'vitest';
import { RecentEvents, type RawEvent } from './recentEvents.ts';

const event = (uid: string, rollout: string, minute: number, extra: Partial<RawEvent> = {}): RawEvent => ({
  metadata: { uid, namespace: 'shop' },
  involvedObject: {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    name: rollout,
    namespace: 'shop',
    uid: `uid-${rollout}`,
  },
  type: 'Normal',
  reason: `R${uid}`,
  message: `message ${uid}`,
  count: 1,
  lastTimestamp: new Date(Date.UTC(2026, 10, 29, 3, minute)).toISOString(),
  ...extra,
});

describe('RecentEvents', () => {
  it('keeps the newest per rollout, newest first, and updates an Event in place', () => {
    const events = new RecentEvents({ perRollout: 2 });
    expect(events.upsert(event('1', 'a', 1))).toBe('shop/a');
    events.upsert(event('2', 'a', 3));
    events.upsert(event('3', 'a', 2));
    events.upsert(event('2', 'a', 4, { count: 3 }));
    expect(events.of('shop/a', 'uid-a').map((e) => [e.reason, e.count])).toEqual([
      ['R2', 3],
      ['R3', 1],
    ]);
  });

  it('orders Events of the same second by arrival, newest first', () => {
    const events = new RecentEvents();
    for (const uid of ['1', '2', '3']) events.upsert(event(uid, 'a', 5));
    expect(events.of('shop/a', 'uid-a').map((e) => e.reason)).toEqual(['R3', 'R2', 'R1']);
  });

  it('ignores Events about other kinds', () => {
    const events = new RecentEvents();
    expect(
      events.upsert({ ...event('1', 'a', 1), involvedObject: { kind: 'Pod', name: 'a', namespace: 'shop' } }),
    ).toBeUndefined();
    expect(events.rollouts).toBe(0);
  });

  describe('forged Events', () => {
    const forged = (patch: { namespace?: string; involvedObject?: RawEvent['involvedObject'] }): RawEvent => {
      const real = event('9', 'a', 1, { message: 'abort requested by mallory via the dashboard' });
      return {
        ...real,
        metadata: { ...real.metadata, namespace: patch.namespace ?? 'shop' },
        involvedObject: { ...real.involvedObject, ...patch.involvedObject },
      };
    };

    it('ignores an Event in another namespace than the Rollout it names', () => {
      const events = new RecentEvents();
      // Written in mallory's own namespace, where she may create Events, about the Rollout in "shop".
      expect(events.upsert(forged({ namespace: 'mallory' }))).toBeUndefined();
      expect(events.upsert(forged({ namespace: 'mallory', involvedObject: { namespace: undefined } }))).toBeUndefined();
      expect(events.of('shop/a', 'uid-a')).toEqual([]);
      expect(events.of('mallory/a', 'uid-a')).toEqual([]);
      expect(events.rollouts).toBe(0);
    });

    it("does not show an Event whose uid is not the Rollout's", () => {
      const events = new RecentEvents();
      events.upsert(event('1', 'a', 1));
      events.upsert(forged({ involvedObject: { uid: 'uid-of-an-earlier-a' } }));
      expect(events.upsert(forged({ involvedObject: { uid: undefined } }))).toBeUndefined();
      expect(events.of('shop/a', 'uid-a').map((e) => e.reason)).toEqual(['R1']);
      expect(events.of('shop/a', undefined)).toEqual([]);
    });

    it('ignores an Event about a Rollout of another API group', () => {
      const events = new RecentEvents();
      expect(events.upsert(forged({ involvedObject: { apiVersion: 'argoproj.io/v1alpha1' } }))).toBeUndefined();
      expect(events.upsert(forged({ involvedObject: { apiVersion: undefined } }))).toBeUndefined();
      expect(events.upsert(forged({ involvedObject: { kind: 'Deployment' } }))).toBeUndefined();
      expect(events.rollouts).toBe(0);
    });
  });

  it('drops the rollout whose Events changed longest ago beyond maxRollouts', () => {
    const events = new RecentEvents({ maxRollouts: 2 });
    events.upsert(event('1', 'a', 1));
    events.upsert(event('2', 'b', 1));
    events.upsert(event('3', 'a', 2));
    events.upsert(event('4', 'c', 1));
    expect(events.of('shop/b', 'uid-b')).toEqual([]);
    expect(events.of('shop/a', 'uid-a')).toHaveLength(2);
    expect(events.rollouts).toBe(2);
  });

  it('cuts long messages, reads the time from series or eventTime, and forgets', () => {
    const events = new RecentEvents();
    events.upsert(
      event('1', 'a', 1, {
        message: 'x'.repeat(2_000),
        lastTimestamp: null,
        eventTime: '2026-11-29T03:00:00.000000Z',
        series: { count: 7, lastObservedTime: '2026-11-29T03:09:00.000000Z' },
      }),
    );
    const [only] = events.of('shop/a', 'uid-a');
    expect(only?.message).toHaveLength(512);
    expect(only?.time).toBe('2026-11-29T03:09:00.000000Z');
    expect(only?.count).toBe(7);
    expect(events.remove(event('1', 'a', 1))).toBe('shop/a');
    expect(events.of('shop/a', 'uid-a')).toEqual([]);
    events.upsert(event('2', 'a', 1));
    events.forget('shop/a');
    expect(events.rollouts).toBe(0);
  });

  it('replaces everything on a relist and names every rollout that may have changed', () => {
    const events = new RecentEvents();
    events.upsert(event('1', 'a', 1));
    const touched = events.replace([event('2', 'b', 1)]);
    expect([...touched].sort()).toEqual(['shop/a', 'shop/b']);
    expect(events.of('shop/a', 'uid-a')).toEqual([]);
    expect(events.of('shop/b', 'uid-b').map((e) => e.reason)).toEqual(['R2']);
  });
});

describe('RecentEvents with the cache to check against', () => {
  const event = (ns: string, name: string, uid: string, i: number): RawEvent =>
    ({
      metadata: {
        uid: `e-${ns}-${name}-${i}`,
        name: `${name}.${i}`,
        namespace: ns,
        creationTimestamp: '2026-11-30T00:00:00Z',
      },
      involvedObject: { apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', name, namespace: ns, uid },
      type: 'Warning',
      reason: 'Aborted',
      message: 'aborted',
      source: { component: 'sluice' },
    }) as RawEvent;

  it("keeps another team's Events when one namespace floods Events about made-up Rollouts", () => {
    const events = new RecentEvents({ exists: (key, uid) => key === 'shop/checkout' && uid === 'real-uid' });
    events.upsert(event('shop', 'checkout', 'real-uid', 0));
    for (let i = 0; i < 4_000; i++) expect(events.upsert(event('evil', `ghost-${i}`, 'x', i))).toBeUndefined();
    expect(events.of('shop/checkout', 'real-uid')).toHaveLength(1);
  });
});
