/** NotificationChannels and subscriptions the API server must refuse: each breaks one thing of a valid one. */
import { pattern, required, unknownField, unsupported, type InvalidCase, type Spec } from './invalidCase.ts';
import { validRollout } from './invalidRollouts.ts';

const signing = { name: 'sluice-notifications', key: 'signing-key' };
const webhook = { webhook: { url: 'https://hooks.example.com/sluice', signingSecret: signing } };

const channel = (title: string, spec: Spec, field: string, says: RegExp): InvalidCase => ({
  title: `a NotificationChannel with ${title}`,
  kind: 'NotificationChannel',
  spec,
  field,
  says,
});
const subscription = (title: string, notifications: unknown, field: string, says: RegExp): InvalidCase => ({
  title: `a Rollout with ${title}`,
  kind: 'Rollout',
  spec: { ...validRollout, notifications },
  field,
  says,
});

export const invalidChannels: InvalidCase[] = [
  channel('no sink', { runbookURL: 'https://wiki.example.com' }, 'spec', /exactly one sink/),
  channel('two sinks', { ...webhook, cloudEvents: { url: 'https://ce.example.com' } }, 'spec', /exactly one sink/),
  channel('a file URL', { webhook: { ...webhook.webhook, url: 'file:///etc/passwd' } }, 'spec.webhook.url', pattern),
  channel(
    'a webhook without its signing key',
    { webhook: { url: 'https://h.example.com' } },
    'spec.webhook.signingSecret',
    required,
  ),
  channel(
    'a header value that starts another header',
    { webhook: { ...webhook.webhook, headers: [{ name: 'X-A', value: 'b\r\nX-Injected: 1' }] } },
    'spec.webhook.headers[0].value',
    pattern,
  ),
  channel(
    'too many headers',
    {
      webhook: { ...webhook.webhook, headers: Array.from({ length: 17 }, (_, i) => ({ name: `X-${i}`, value: 'v' })) },
    },
    'spec.webhook.headers',
    /must have at most 16 items/,
  ),
  channel(
    'a Secret named outside the rules for names',
    { slack: { urlFrom: { name: '../other-namespace', key: 'url' } } },
    'spec.slack.urlFrom.name',
    pattern,
  ),
  channel(
    'an unknown selector operator',
    { ...webhook, namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Like', values: ['a'] }] } },
    'spec.namespaceSelector.matchExpressions[0].operator',
    unsupported,
  ),
  subscription(
    'an event that does not exist',
    [{ channel: 'ops', on: ['Exploded'] }],
    'spec.notifications[0].on[0]',
    unsupported,
  ),
  subscription('no events', [{ channel: 'ops', on: [] }], 'spec.notifications[0].on', /at least 1 items/),
  subscription(
    'one channel twice',
    [
      { channel: 'ops', on: ['Aborted'] },
      { channel: 'ops', on: ['Promoted'] },
    ],
    'spec.notifications[1]',
    /Duplicate value/,
  ),
  subscription(
    'too many subscriptions',
    Array.from({ length: 9 }, (_, i) => ({ channel: `c${i}`, on: ['Aborted'] })),
    'spec.notifications',
    /must have at most 8 items/,
  ),
  subscription(
    "'on' written bare in YAML (kubectl sends it as true)",
    [{ channel: 'ops', true: ['Aborted'] }],
    // What a user sees: the field kubectl made of the bare key (docs/notifications.md says to quote it).
    'spec.notifications[0].true',
    unknownField,
  ),
];
