/**
 * Notifications: the cluster-scoped NotificationChannel a platform admin writes (where messages go, and which
 * namespaces' Rollouts may send there) and the per-Rollout subscription (spec.notifications). Channels are
 * cluster-scoped so that a tenant who may edit a Rollout can choose a channel but never its URL or its secrets; the
 * Secrets a channel names are read from the controller's own namespace only (notify/channelSecrets.ts).
 */
import { Type } from 'typebox';
import { celRules, mapList, object, objectName } from './common.schema.ts';

/** The transitions a Rollout can notify about; each is recorded in status before it is sent (notify/detect.ts). */
export const notificationEvents = [
  'Aborted',
  'Promoted',
  'Paused',
  'Degraded',
  'AnalysisFailed',
  'StepCompleted',
] as const;

export const maxSubscriptions = 8;
export const maxChannelHeaders = 16;

/** http(s) only: a channel never makes Sluice open a file or another scheme. */
const url = (description: string) =>
  Type.String({ description, minLength: 8, maxLength: 2048, pattern: '^https?://[^\\s]+$' });

const channelSecretKey = (description: string) =>
  object(`${description} The Secret is read from the controller's own namespace, never from another.`, {
    name: objectName('Name of the Secret, in the namespace the controller runs in.'),
    key: Type.String({
      description: 'Key within the Secret.',
      minLength: 1,
      maxLength: 253,
      pattern: '^[-._a-zA-Z0-9]+$',
    }),
  });

const header = object('An extra HTTP header sent with every delivery.', {
  name: Type.String({
    description: 'Header name. Content-Type, Content-Length, Host and X-Sluice-* are set by Sluice and win.',
    minLength: 1,
    maxLength: 256,
    pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$",
  }),
  // No control characters: a line break would end the header and start another.
  value: Type.String({
    description: 'Header value (no line breaks).',
    maxLength: 4096,
    pattern: '^[^\\x00-\\x1f\\x7f]*$',
  }),
});

export const webhookSink = object('A generic webhook: a JSON POST signed with HMAC-SHA256.', {
  url: url('Where the JSON is POSTed (http or https).'),
  signingSecret: channelSecretKey('The HMAC-SHA256 key that signs each body (header X-Sluice-Signature).'),
  headers: Type.Optional(
    Type.Array(header, {
      description:
        'Extra headers, sent as written: they are plain text in this object, read by whoever may read NotificationChannels (the signature, from signingSecret, is what authenticates Sluice).',
      maxItems: maxChannelHeaders,
    }),
  ),
});

export const slackSink = object('A Slack incoming webhook.', {
  urlFrom: channelSecretKey('The incoming-webhook URL, which is itself a secret.'),
});

export const cloudEventsSink = object('CloudEvents 1.0 in structured mode over HTTP (application/cloudevents+json).', {
  url: url('Where the CloudEvent is POSTed (http or https).'),
  signingSecret: Type.Optional(
    channelSecretKey('Optional HMAC-SHA256 key; when set, each body is signed as for webhook (X-Sluice-Signature).'),
  ),
});

const labelKey = Type.String({ description: 'A label key.', minLength: 1, maxLength: 317 });

export const namespaceSelector = object(
  'Which namespaces may subscribe to the channel, by their labels (a metav1.LabelSelector). Omitted: every namespace. An empty selector also selects every namespace.',
  {
    matchLabels: Type.Optional(
      Type.Record(Type.String(), Type.String({ description: 'A label value.', maxLength: 63 }), {
        description: 'Labels a namespace must all have, with these values.',
        maxProperties: 16,
      }),
    ),
    matchExpressions: Type.Optional(
      Type.Array(
        object('A requirement on one label.', {
          key: labelKey,
          operator: Type.Enum(['In', 'NotIn', 'Exists', 'DoesNotExist'], {
            description: 'How the label is compared with values.',
          }),
          values: Type.Optional(
            Type.Array(Type.String({ description: 'A label value.', maxLength: 63 }), {
              description: 'Values for In and NotIn; empty for Exists and DoesNotExist.',
              maxItems: 32,
            }),
          ),
        }),
        { description: 'Requirements a namespace must all meet.', maxItems: 16 },
      ),
    ),
  },
);

const sinks = ['webhook', 'slack', 'cloudEvents'] as const;

export const notificationChannelSpec = object(
  'Where notifications go: exactly one of webhook, slack or cloudEvents.',
  {
    webhook: Type.Optional(webhookSink),
    slack: Type.Optional(slackSink),
    cloudEvents: Type.Optional(cloudEventsSink),
    namespaceSelector: Type.Optional(namespaceSelector),
    dashboardURL: Type.Optional(
      url(
        "Base URL of the Sluice dashboard; messages link to the rollout's page (<dashboardURL>/#/rollouts/<ns>/<name>).",
      ),
    ),
    runbookURL: Type.Optional(url('A runbook that messages link to.')),
  },
  celRules({
    rule: `${sinks.map((s) => `(has(self.${s}) ? 1 : 0)`).join(' + ')} == 1`,
    message: `a NotificationChannel has exactly one sink: set one of ${sinks.join(', ')}`,
  }),
);

export const notificationSubscription = object("Sends some of the Rollout's transitions to a NotificationChannel.", {
  channel: objectName('Name of a NotificationChannel (cluster-scoped) whose namespaceSelector selects this namespace.'),
  on: Type.Array(
    Type.Enum([...notificationEvents], {
      description: `A transition: ${notificationEvents.join(', ')}.`,
    }),
    {
      description:
        "The transitions to send. Quote the key in YAML ('on': [Aborted]): kubectl reads YAML 1.1, where a bare on is the boolean true, and the API server then refuses a field named true.",
      minItems: 1,
      maxItems: notificationEvents.length,
      'x-kubernetes-list-type': 'set',
    },
  ),
});

export const notifications = mapList(
  "Channels that hear of this Rollout's transitions. A channel that is missing or does not select this namespace is reported in an Event and never holds the rollout.",
  notificationSubscription,
  ['channel'],
  { maxItems: maxSubscriptions },
);
