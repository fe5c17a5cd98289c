/**
 * What every sink says about a notification: the JSON body of the webhook (CloudEvents carries the same as its
 * data), the links to the dashboard and the runbook, and the HMAC signature a receiver checks. Sinks differ only
 * in how they wrap it (webhook.ts, slack.ts, cloudEvents.ts).
 */
import { createHmac } from 'node:crypto';
import type { NotificationChannelSpec } from '../api/types.ts';
import type { FailedMetric, RolloutNotification } from './detect.ts';

/** One HTTP POST to a receiver. Headers may carry secrets (a signature, a token): never log them. */
export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The webhook's JSON body, also the data of a CloudEvent. Fields without a value are left out. */
export interface NotificationBody {
  id: string;
  event: string;
  rollout: { namespace: string; name: string; revision: string };
  reason: string;
  message: string;
  failedMetric?: FailedMetric;
  dashboardURL?: string;
  runbookURL?: string;
  time: string;
}

/** The dashboard's page of a rollout (dashboard/src/format.ts: #/rollouts/<namespace>/<name>). */
export function rolloutPageURL(dashboardURL: string, namespace: string, name: string): string {
  return `${dashboardURL.replace(/\/+$/, '')}/#/rollouts/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}

export function notificationBody(n: RolloutNotification, channel: NotificationChannelSpec): NotificationBody {
  const { namespace, name, revision } = n.rollout;
  return {
    id: n.id,
    event: n.event,
    rollout: { namespace, name, revision },
    reason: n.reason,
    message: n.message,
    ...(n.failedMetric === undefined ? {} : { failedMetric: n.failedMetric }),
    ...(channel.dashboardURL === undefined
      ? {}
      : { dashboardURL: rolloutPageURL(channel.dashboardURL, namespace, name) }),
    ...(channel.runbookURL === undefined ? {} : { runbookURL: channel.runbookURL }),
    time: n.time,
  };
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the time inside the signed text lets a receiver
 * refuse a replayed old body; the v1 label leaves room for another scheme beside it later.
 */
export function signatureHeader(secret: string | Buffer, body: string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/** Headers Sluice sets itself; a channel's extra header of the same name is left out, whatever its case. */
export const reservedHeader = (name: string) =>
  /^(content-type|content-length|host|transfer-encoding|connection|x-sluice-.*)$/i.test(name);
