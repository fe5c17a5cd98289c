/**
 * The CloudEvents sink: CloudEvents 1.0 in structured mode over HTTP (one JSON object holding the attributes and the
 * data, content type application/cloudevents+json). The id is the delivery id, so a broker's de-duplication by
 * (source, id) drops a retried one.
 */
import type { NotificationChannelSpec } from '../api/types.ts';
import { apiVersion } from '../api/types.ts';
import type { RolloutNotification } from './detect.ts';
import { notificationBody, signatureHeader, type OutgoingRequest } from './message.ts';

export const cloudEventsContentType = 'application/cloudevents+json';

export function cloudEventRequest(
  n: RolloutNotification,
  channel: NotificationChannelSpec,
  signingKey: string | Buffer | undefined,
  now: Date,
): OutgoingRequest {
  const { namespace, name } = n.rollout;
  const event = {
    specversion: '1.0',
    id: n.id,
    // The Rollout's API path: unique per object, as the spec asks of source.
    source: `/apis/${apiVersion}/namespaces/${namespace}/rollouts/${name}`,
    type: `dev.sluice.rollout.${n.event}`,
    subject: `${namespace}/${name}`,
    time: n.time,
    datacontenttype: 'application/json',
    data: notificationBody(n, channel),
  };
  const body = JSON.stringify(event);
  return {
    url: channel.cloudEvents!.url,
    headers: {
      'Content-Type': cloudEventsContentType,
      'X-Sluice-Delivery': n.id,
      'X-Sluice-Event': n.event,
      ...(signingKey === undefined ? {} : { 'X-Sluice-Signature': signatureHeader(signingKey, body, now) }),
    },
    body,
  };
}
