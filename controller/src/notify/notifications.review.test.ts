/**
 * Hostile review of notifications (issue 17): failing tests for what a flapping tenant, a rate-limiting receiver and
 * a de-duplicating receiver would do to the delivery path. Each names its defect in a `review:` comment.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RolloutStatus } from '../api/types.ts';
import { notificationSubscription } from '../api/notification.schema.ts';
import { harness, item, ok } from './deliveryQueue.test-support.ts';
import { detectNotifications } from './detect.ts';
import { aborted, rolloutWith } from './fixtures.test-support.ts';
import type { SendOutcome } from './send.ts';
import { slackMessage } from './slack.ts';

describe('delivery queue under a rate-limiting receiver and a flapping tenant', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  // review: a 429's Retry-After was applied to the one delivery that got it; every other delivery to the same
  // receiver (other tenants' too) went on being sent at once, so a shared Slack channel that asked Sluice to slow
  // down was hammered with requests that all earned 429s, and everyone's notifications backed off towards max age.
  it("a 429 with Retry-After holds every delivery to that receiver until then; other receivers' go on", async () => {
    let limited = true;
    const h = harness((d) =>
      d.target === 'hook' && limited ? { kind: 'retry', reason: 'http_429', status: 429, retryAfterMs: 30_000 } : ok,
    );
    h.queue.enqueue(item('shop', 'a'));
    await vi.advanceTimersByTimeAsync(0); // a is tried once and told to come back in 30 s
    limited = false;
    h.queue.enqueue(item('other', 'b')); // same receiver, another tenant
    h.queue.enqueue(item('other', 'c', 'elsewhere'));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.delivered).toEqual(['c']);
    expect(h.attempts.map((x) => x.key)).not.toContain('b');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(h.delivered.sort()).toEqual(['a', 'b', 'c']);
    expect(h.dropped).toEqual([]);
  });

  // review: nothing limited how fast one namespace sends to one channel: a tenant whose Rollout flaps (set image in a
  // loop, abort/retry) posted every StepCompleted/Paused/Aborted to a shared channel as fast as the receiver took
  // them, flooding the other teams' Slack channel. With the defaults, one namespace sends a channel at most 20 a
  // minute (the rest wait their turn; nothing is lost to the limit), and another namespace is not held back by it.
  it("one namespace's flood to one channel is rate-limited by default; another namespace's goes at once", async () => {
    const h = harness(() => ok);
    for (let i = 1; i <= 60; i++) h.queue.enqueue(item('flapping', `f${i}`));
    await vi.advanceTimersByTimeAsync(30_000);
    h.queue.enqueue(item('quiet', 'q1'));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(h.attempts.filter((x) => x.key.startsWith('f')).length).toBeLessThanOrEqual(20);
    expect(h.delivered).toContain('q1');
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(h.delivered.filter((k) => k.startsWith('f'))).toHaveLength(60);
    expect(h.dropped).toEqual([]);
  });
});

describe('Slack message bounds', () => {
  // review: the header block's text is at most 150 characters in Slack, and cut() made it 151 (150 + '…'); with a
  // long namespace and Rollout name (63 + 56 characters are valid) the title is over 150, Slack answers 400
  // invalid_blocks, which is "refused, not retried": that team never gets a single Slack notification.
  it('keeps the header within 150 characters for the longest valid namespace and name', () => {
    const n = { ...aborted }; // ':rotating_light: Rollout <63>/<56>: Aborted' is 154 characters
    n.rollout = { ...n.rollout, namespace: 'n'.repeat(63), name: 'r'.repeat(56) };
    const header = (
      slackMessage(n, { slack: { urlFrom: { name: 's', key: 'k' } } }).blocks as { text: { text: string } }[]
    )[0]!;
    expect(header.text.text.length).toBeLessThanOrEqual(150);
  });
});

describe('delivery ids of repeated transitions', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  const promote = (from: string, to: string, releaseStartedAt: string) =>
    detectNotifications(
      rolloutWith(),
      { phase: 'Progressing', canaryRevision: to, stableRevision: from, releaseStartedAt },
      {
        status: { phase: 'Healthy', canaryRevision: to, stableRevision: to, releaseStartedAt },
        events: [{ type: 'Normal', reason: 'Promoted', message: `revision ${to} is now stable (was ${from})` }],
      },
      now,
    ).find((n) => n.event === 'Promoted')!;

  // review: Promoted's id was (uid, revision, "stable=<revision>") only, so promoting v2, rolling back to v1 and
  // promoting v2 again gave the second promotion the first one's id: a receiver that de-duplicates on it (as
  // docs/notifications.md says to; a CloudEvents broker does on (source, id)) silently drops the second release.
  it('promoting a revision again after a rollback is a new notification; the same promotion replanned is not', () => {
    const first = promote('v1', 'v2', '2026-11-30T10:00:00Z');
    const rollback = promote('v2', 'v1', '2026-11-30T10:30:00Z');
    const again = promote('v1', 'v2', '2026-11-30T11:00:00Z');
    expect(new Set([first.id, rollback.id, again.id]).size).toBe(3);
    expect(promote('v1', 'v2', '2026-11-30T11:00:00Z').id).toBe(again.id);
  });

  // review: StepCompleted's id was (uid, revision, the Event's message): after an abort and a retry of the same
  // canary, each step completed again has the id of its first completion, and a de-duplicating receiver drops it.
  it('a step completed again after a retry of the same canary is a new notification', () => {
    const step = (stepStartedAt: string) => {
      const previous: RolloutStatus = {
        phase: 'Progressing',
        canaryRevision: 'v2',
        stableRevision: 'v1',
        currentStepIndex: 0,
        stepStartedAt,
      };
      return detectNotifications(
        rolloutWith(),
        previous,
        {
          status: { ...previous, currentStepIndex: 1, stepStartedAt: now.toISOString() },
          events: [{ type: 'Normal', reason: 'StepCompleted', message: 'step 1/2 (setWeight 10) done' }],
        },
        now,
      )[0]!;
    };
    expect(step('2026-11-30T11:00:00Z').id).not.toBe(step('2026-11-30T11:40:00Z').id);
    expect(step('2026-11-30T11:00:00Z').id).toBe(step('2026-11-30T11:00:00Z').id);
  });
});

describe("the 'on' field", () => {
  // review: kubectl reads a bare `on:` as the boolean true and the API server answers
  // "spec.notifications[0].true: field not declared in schema"; only docs/notifications.md said why. `kubectl explain`
  // (the CRD's description) must say to quote it, where a user who hit the error looks.
  it("its description tells the user to quote it in YAML ('on')", () => {
    const { description } = notificationSubscription.properties.on as { description?: string };
    expect(description).toMatch(/'on'/);
    expect(description).toMatch(/true/);
  });
});

describe('what an on-call engineer sees when a delivery cannot start', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  // review: a delivery being sent when the queue stops (shutdown, SIGTERM) and answered 5xx/429 after it, or refused,
  // was neither delivered nor counted as dropped: sluice_notifications_dropped_total{reason="stopping"} said fewer
  // notifications were lost on shutdown than were.
  it('a delivery in flight when the queue stops, and not delivered, is counted as dropped (stopping)', async () => {
    let answer: (o: SendOutcome) => void = () => undefined;
    const h = harness(() => new Promise<SendOutcome>((resolve) => (answer = resolve)));
    h.queue.enqueue(item('shop', 'a'));
    await vi.advanceTimersByTimeAsync(0);
    const stopped = h.queue.stop(1_000);
    answer({ kind: 'retry', reason: 'http_5xx', status: 503 });
    await vi.advanceTimersByTimeAsync(0);
    await stopped;
    expect(h.dropped).toEqual([['a', 'stopping']]);
  });
});

describe('Slack text a tenant wrote', () => {
  // review: a metric's name and condition (written by the tenant in an AnalysisTemplate) were put in `code` spans
  // as they were: a backtick in them closed the span, and the rest was read as Slack formatting, so a tenant could
  // make the failed-metric line of a shared channel's message say something else in bold ("*all clear*").
  it('a backtick in a metric name or condition cannot close its code span', () => {
    const n = {
      ...aborted,
      failedMetric: { name: 'rate` *all clear* `', value: '0.31', condition: 'failure when result > 0.1` *ok* `' },
    };
    const blocks = slackMessage(n, { slack: { urlFrom: { name: 's', key: 'k' } } }).blocks as {
      text?: { text: string };
    }[];
    const line = blocks.map((b) => b.text?.text ?? '').find((t) => t.startsWith('*Failed metric*'))!;
    expect(line.split('`')).toHaveLength(5); // two code spans, each opened and closed once
  });
});
