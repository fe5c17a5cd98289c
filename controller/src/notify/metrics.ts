/**
 * The notification metrics, on the controller's one registry (metrics.ts). Labels come from small sets: channel
 * names (cluster-scoped objects a platform admin writes), the three sinks, and fixed reasons.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DropReason } from './deliveryQueue.ts';
import type { FailureReason } from './send.ts';

export type SinkName = 'webhook' | 'slack' | 'cloudEvents';

export interface NotificationMetrics {
  sent(channel: string, sink: SinkName): void;
  failed(channel: string, sink: SinkName, reason: FailureReason): void;
  dropped(reason: DropReason): void;
  /** Read at scrape time. */
  depthFrom(depth: () => number): void;
}

export function createNotificationMetrics(registry: Registry): NotificationMetrics {
  const registers = [registry];
  let depth = () => 0;
  const sent = new Counter({
    name: 'sluice_notifications_sent_total',
    help: 'Notifications a receiver accepted (2xx), by channel and sink.',
    labelNames: ['channel', 'sink'] as const,
    registers,
  });
  const failures = new Counter({
    name: 'sluice_notification_failures_total',
    help: 'Delivery attempts that failed, by channel, sink and reason (network, timeout, http_5xx, http_429, http_4xx, redirect, secret, namespace, invalid_request); 5xx, 429, network, timeout, secret and namespace (the labels of a namespace could not be read) are retried.',
    labelNames: ['channel', 'sink', 'reason'] as const,
    registers,
  });
  const dropped = new Counter({
    name: 'sluice_notifications_dropped_total',
    help: 'Notifications given up on, by reason: queue_full, namespace_share, max_age, refused (4xx), stopping, not_deliverable (channel missing or not selecting the namespace).',
    labelNames: ['reason'] as const,
    registers,
  });
  new Gauge({
    name: 'sluice_notification_queue_depth',
    help: 'Notifications waiting to be delivered or being sent.',
    registers,
    collect() {
      this.set(depth());
    },
  });
  return {
    sent: (channel, sink) => sent.inc({ channel, sink }),
    failed: (channel, sink, reason) => failures.inc({ channel, sink, reason }),
    dropped: (reason) => dropped.inc({ reason }),
    depthFrom: (next) => (depth = next),
  };
}
