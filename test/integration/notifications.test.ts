/**
 * Story: a platform admin sets up a NotificationChannel of each kind (signed webhook, Slack incoming webhook,
 * CloudEvents) and a team's Rollout subscribes to Aborted, Promoted and StepCompleted. Local receivers get the exact
 * payloads; the webhook's signature verifies with the Secret; while the receivers are down (503, or refusing
 * connections) deliveries are retried and nothing is lost once they are back. A Rollout in a namespace the channel
 * does not select gets nothing sent, is told why in an Event, and still completes.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationEvent, RolloutSpec } from '../../controller/src/api/types.ts';
import { waitFor } from '../support/wait.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { startReceiver, type Receiver, type ReceivedRequest } from './notificationReceiver.ts';
import {
  clients,
  createApp,
  createRollout,
  eventMessages,
  requestAction,
  setImage,
  waitForRollout,
  waitForPromotion,
} from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const team = useNamespace('notif-team'); // labelled team=payments: the channels select it
const outsider = useNamespace('notif-out'); // not selected by the webhook channel
const controllerNs = useNamespace('notif-ctl'); // where the channels' Secrets live
const suffix = randomBytes(3).toString('hex');
const channelNames = { webhook: `hook-${suffix}`, slack: `slack-${suffix}`, cloudEvents: `ce-${suffix}` };
const signingKey = `key-${randomBytes(8).toString('hex')}`;
const channelRef = { group: 'sluice.dev', version: 'v1alpha1', plural: 'notificationchannels' };

let webhook: Receiver;
let slack: Receiver;
let cloudEvents: Receiver;
const controllers: ControllerProcess[] = [];
let teamController: ControllerProcess;

type Steps = NonNullable<RolloutSpec['strategy']['canary']>['steps'];
const spec = (name: string, steps: Steps): RolloutSpec => ({ workloadRef: { name }, strategy: { canary: { steps } } });

beforeAll(async () => {
  const { core, custom } = clients();
  await installSluiceCrds(adminKubeConfig());
  await core.patchNamespace(
    { name: team.name, body: { metadata: { labels: { team: 'payments' } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  [webhook, slack, cloudEvents] = await Promise.all([
    startReceiver('/hook'),
    startReceiver('/services/T000/B000/XXXX'),
    startReceiver('/broker'),
  ]);
  await core.createNamespacedSecret({
    namespace: controllerNs.name,
    body: {
      metadata: { name: 'sluice-notifications' },
      stringData: { 'signing-key': signingKey, 'slack-url': slack.url },
    },
  });
  const links = { dashboardURL: 'http://dashboard.example', runbookURL: 'http://wiki.example/runbooks/rollouts' };
  const channels = [
    {
      name: channelNames.webhook,
      spec: {
        webhook: { url: webhook.url, signingSecret: { name: 'sluice-notifications', key: 'signing-key' } },
        namespaceSelector: { matchLabels: { team: 'payments' } },
        ...links,
      },
    },
    {
      name: channelNames.slack,
      spec: { slack: { urlFrom: { name: 'sluice-notifications', key: 'slack-url' } }, ...links },
    },
    { name: channelNames.cloudEvents, spec: { cloudEvents: { url: cloudEvents.url } } },
  ];
  for (const c of channels)
    await custom.createClusterCustomObject({
      ...channelRef,
      body: {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'NotificationChannel',
        metadata: { name: c.name },
        spec: c.spec,
      },
    });
  const args = (ns: string) => ({
    namespace: ns,
    extraArgs: ['--leader-elect=false', `--leader-election-namespace=${controllerNs.name}`],
  });
  teamController = await startController(args(team.name));
  controllers.push(teamController, await startController(args(outsider.name)));
});

afterAll(async () => {
  await Promise.all(controllers.map((c) => c.stop()));
  const { custom } = clients();
  for (const name of Object.values(channelNames))
    await custom.deleteClusterCustomObject({ ...channelRef, name }).catch(() => undefined);
  await Promise.all([webhook, slack, cloudEvents].map((r) => r?.close()));
});

const bodyOf = (r: ReceivedRequest) => JSON.parse(r.body) as Record<string, unknown>;
const eventsOf = (rs: ReceivedRequest[]) => rs.map((r) => String(r.headers['x-sluice-event'])).sort();

function verifies(r: ReceivedRequest): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r.headers['x-sluice-signature']));
  if (m === null) return false;
  // As docs/notifications.md tells receivers to: the digests compared in constant time, never as strings.
  return timingSafeEqual(
    createHmac('sha256', signingKey).update(`${m[1]}.${r.body}`).digest(),
    Buffer.from(m[2]!, 'hex'),
  );
}

const subscribed: NotificationEvent[] = ['Aborted', 'Promoted', 'StepCompleted'];

describe('given NotificationChannels of each kind and a Rollout subscribed to them', () => {
  it('the receivers get every transition, signed, retried through an outage, none lost', async () => {
    await createApp(team.name, 'web', { replicas: 2, route: false });
    await createRollout(team.name, 'web', {
      ...spec('web', [{ setWeight: 50 }, { pause: {} }]),
      notifications: Object.values(channelNames).map((channel) => ({ channel, on: subscribed })),
    });
    const initial = await waitForRollout(team.name, 'web', 'web Healthy', (r) => r.status?.phase === 'Healthy');
    const v1 = initial.status!.stableRevision!;

    // The receivers go down: the webhook answers 503, the CloudEvents receiver refuses connections.
    await webhook.setMode('unavailable');
    await cloudEvents.setMode('refusing');
    await setImage(team.name, 'web', 'example.invalid/app:v2');
    const paused = await waitForRollout(team.name, 'web', 'web paused', (r) => r.status?.phase === 'Paused');
    const v2 = paused.status!.canaryRevision!;
    await waitFor(() => webhook.requests.filter((r) => r.answered === 503).length >= 2, {
      timeoutMs: 30_000,
      what: 'the webhook to be retried while it answers 503',
    });
    expect(
      await teamController.metric('sluice_notification_failures_total', { sink: 'webhook', reason: 'http_5xx' }),
    ).toBeGreaterThan(0);
    expect(
      await teamController.metric('sluice_notification_failures_total', { sink: 'cloudEvents', reason: 'network' }),
    ).toBeGreaterThan(0);
    await webhook.setMode('up');
    await cloudEvents.setMode('up');

    await requestAction(team.name, 'web', 'promote');
    await waitForRollout(
      team.name,
      'web',
      'v2 promoted',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === v2,
    );
    await setImage(team.name, 'web', 'example.invalid/app:v3');
    await waitForRollout(team.name, 'web', 'v3 paused', (r) => r.status?.phase === 'Paused');
    await requestAction(team.name, 'web', 'abort');
    await waitForRollout(team.name, 'web', 'v3 aborted', (r) => r.status?.abort === true);

    // v2: step 1, step 2, promoted; v3: step 1, aborted. Nothing else (Paused, Degraded: not subscribed).
    const expected = ['Aborted', 'Promoted', 'StepCompleted', 'StepCompleted', 'StepCompleted'];
    for (const [what, receiver] of [
      ['webhook', webhook],
      ['slack', slack],
      ['cloudEvents', cloudEvents],
    ] as const) {
      await waitFor(() => receiver.accepted().length >= expected.length, {
        timeoutMs: 60_000,
        what: `${what} to get 5 notifications`,
      });
    }
    expect(eventsOf(webhook.accepted())).toEqual(expected);
    for (const sink of ['webhook', 'slack', 'cloudEvents'])
      expect(await teamController.metric('sluice_notifications_sent_total', { sink }), sink).toBe(expected.length);
    expect(eventsOf(cloudEvents.accepted())).toEqual(expected);
    // Nothing lost: every delivery answered 503 came again and was accepted.
    const acceptedIds = new Set(webhook.accepted().map((r) => r.headers['x-sluice-delivery']));
    for (const failed of webhook.requests.filter((r) => r.answered === 503))
      expect(acceptedIds).toContain(failed.headers['x-sluice-delivery']);

    // The webhook: signed with the Secret's key, and the exact body.
    for (const r of webhook.requests) {
      expect(verifies(r)).toBe(true);
      expect(r.headers['content-type']).toBe('application/json');
      expect(bodyOf(r).id).toBe(r.headers['x-sluice-delivery']);
      expect(bodyOf(r).event).toBe(r.headers['x-sluice-event']);
    }
    const promoted = webhook.accepted().find((r) => r.headers['x-sluice-event'] === 'Promoted')!;
    const { id, time } = bodyOf(promoted);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(Date.parse(String(time))).not.toBeNaN();
    expect(bodyOf(promoted)).toEqual({
      id,
      event: 'Promoted',
      rollout: { namespace: team.name, name: 'web', revision: v2 },
      reason: 'Promoted',
      message: `revision ${v2} is now stable (was ${v1})`,
      dashboardURL: `http://dashboard.example/#/rollouts/${team.name}/web`,
      runbookURL: 'http://wiki.example/runbooks/rollouts',
      time,
    });

    // CloudEvents: structured mode, the same data.
    const ce = cloudEvents.accepted().find((r) => r.headers['x-sluice-event'] === 'Aborted')!;
    expect(ce.headers['content-type']).toBe('application/cloudevents+json');
    expect(bodyOf(ce)).toMatchObject({
      specversion: '1.0',
      type: 'dev.sluice.rollout.Aborted',
      source: `/apis/sluice.dev/v1alpha1/namespaces/${team.name}/rollouts/web`,
      subject: `${team.name}/web`,
      data: { event: 'Aborted', rollout: { namespace: team.name, name: 'web' }, reason: 'Aborted' },
    });

    // Slack: a message with the rollout, the event and links to the dashboard and the runbook.
    const slackTexts = slack.accepted().map((r) => String(bodyOf(r).text));
    expect(slackTexts.filter((t) => t.includes(`Rollout ${team.name}/web: Aborted`))).toHaveLength(1);
    expect(slackTexts.filter((t) => t.includes(`Rollout ${team.name}/web: Promoted`))).toHaveLength(1);
    const aborted = slack.accepted().find((r) => String(bodyOf(r).text).includes(': Aborted'))!;
    expect(aborted.body).toContain(`<http://dashboard.example/#/rollouts/${team.name}/web|Dashboard>`);
    expect(aborted.body).toContain('<http://wiki.example/runbooks/rollouts|Runbook>');
    expect(aborted.path).toBe('/services/T000/B000/XXXX');
  });

  it('a Rollout in a namespace the channel does not select sends nothing, is told why, and still completes', async () => {
    await createApp(outsider.name, 'other', { replicas: 2, route: false });
    await createRollout(outsider.name, 'other', {
      ...spec('other', [{ setWeight: 50 }]),
      notifications: [{ channel: channelNames.webhook, on: subscribed }],
    });
    const before = await waitForRollout(outsider.name, 'other', 'other Healthy', (r) => r.status?.phase === 'Healthy');
    await setImage(outsider.name, 'other', 'example.invalid/app:v2');
    await waitForPromotion(outsider.name, 'other', before, undefined, 'other promoted to v2');
    const messages = await waitFor(
      async () => {
        const m = await eventMessages(outsider.name, 'other', 'NotificationNotSent');
        return m.length > 0 ? m : undefined;
      },
      { timeoutMs: 30_000, what: 'a NotificationNotSent Event' },
    );
    expect(messages[0]).toContain(`spec.notifications[0].channel`);
    expect(messages[0]).toContain(`does not select namespace ${outsider.name}`);
    expect(messages.join('\n')).not.toContain(signingKey);
    expect(webhook.requests.filter((r) => r.body.includes(`"namespace":"${outsider.name}"`))).toEqual([]);
  });
});
