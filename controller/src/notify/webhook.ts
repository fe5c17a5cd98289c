/** The generic webhook sink: the notification as JSON, signed with the channel's key and named by its delivery id. */
import type { NotificationChannelSpec } from '../api/types.ts';
import type { RolloutNotification } from './detect.ts';
import { notificationBody, reservedHeader, signatureHeader, type OutgoingRequest } from './message.ts';

export function webhookRequest(
  n: RolloutNotification,
  channel: NotificationChannelSpec,
  signingKey: string | Buffer,
  now: Date,
): OutgoingRequest {
  const sink = channel.webhook!;
  const body = JSON.stringify(notificationBody(n, channel));
  const headers: Record<string, string> = {};
  for (const h of sink.headers ?? []) if (!reservedHeader(h.name)) headers[h.name] = h.value;
  return {
    url: sink.url,
    headers: {
      ...headers,
      'Content-Type': 'application/json',
      'X-Sluice-Delivery': n.id,
      'X-Sluice-Event': n.event,
      'X-Sluice-Signature': signatureHeader(signingKey, body, now),
    },
    body,
  };
}
