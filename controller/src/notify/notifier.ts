/**
 * From a plan just recorded in status to deliveries: which of the Rollout's subscriptions want which of its
 * notifications (synchronous, from the channel cache: the executor calls it), and, in the background worker, the
 * channel's namespaceSelector, its Secrets and the request of its sink.
 *
 * A subscription that cannot be served (the channel does not exist, or does not select the namespace) is reported
 * with a Warning Event that names spec.notifications[i].channel and what to do, and is counted as dropped; it never
 * holds or fails the rollout. Secret values (signing keys, the Slack URL) go into requests only: logs and Events
 * name the channel and the receiver's host.
 */
import type { Logger } from 'pino';
import type { NotificationChannel, Rollout, RolloutStatus } from '../api/types.ts';
import type { Plan } from '../planner/world.ts';
import type { ObjectCache } from '../reconcile/caches.ts';
import type { EventSink } from '../reconcile/eventRecorder.ts';
import { cloudEventRequest } from './cloudEvents.ts';
import { DeliveryQueue, type DeliveryQueueOptions, type Delivery, type DropReason } from './deliveryQueue.ts';
import { detectNotifications, type MetricConditionLookup, type RolloutNotification } from './detect.ts';
import type { OutgoingRequest } from './message.ts';
import type { NotificationMetrics, SinkName } from './metrics.ts';
import { selectorMatches, type ReadNamespaceLabels } from './namespaceSelector.ts';
import { requestProblem, sendRequest, type SendOutcome } from './send.ts';
import { slackRequest } from './slack.ts';
import { webhookRequest } from './webhook.ts';

/** What the executor calls once a plan's status is written. */
export interface NotificationSink {
  notify(rollout: Rollout, previous: RolloutStatus | undefined, plan: Pick<Plan, 'status' | 'events'>): void;
}

/**
 * Reads a key of a Secret in the controller's own namespace; undefined when the Secret or key is missing. Its bytes
 * as they are (a Buffer): a signing key need not be UTF-8, and decoding it would sign with another key.
 */
export type ReadChannelSecret = (name: string, key: string) => Promise<Buffer | string | undefined>;

export interface NotifierOptions {
  channels: ObjectCache<NotificationChannel>;
  namespaceLabels: ReadNamespaceLabels;
  readSecret: ReadChannelSecret;
  events: EventSink;
  metrics: NotificationMetrics;
  log: Pick<Logger, 'warn' | 'debug'>;
  conditionOf?: MetricConditionLookup;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  userAgent?: string;
  queue?: Omit<DeliveryQueueOptions<NotificationDelivery>, 'send' | 'onDelivered' | 'onFailed' | 'onDropped'>;
  now?: () => Date;
}

interface NotificationDelivery extends Delivery {
  notification: RolloutNotification;
  channel: string;
  /** Index in spec.notifications, for messages that point at the field. */
  subscription: number;
  /** Just enough of the Rollout to record an Event about it (not the whole object: the queue holds many). */
  rollout: Rollout;
}

const sinkOf = (spec: NotificationChannel['spec']): SinkName =>
  spec.webhook !== undefined ? 'webhook' : spec.slack !== undefined ? 'slack' : 'cloudEvents';

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(unparsable URL)';
  }
}

class SecretMissing extends Error {}

export class Notifier implements NotificationSink {
  readonly #o: NotifierOptions;
  readonly #queue: DeliveryQueue<NotificationDelivery>;
  readonly #now: () => Date;
  /** The sink each channel last had, for the metrics of deliveries whose channel has gone since. */
  readonly #sinkOf = new Map<string, SinkName>();

  constructor(options: NotifierOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    this.#queue = new DeliveryQueue<NotificationDelivery>({
      ...options.queue,
      send: (d) => this.#deliver(d),
      onDelivered: (d) => options.metrics.sent(d.channel, this.#sink(d.channel)),
      onFailed: (d, outcome) => {
        options.metrics.failed(d.channel, this.#sink(d.channel), outcome.reason);
        options.log.debug(
          { channel: d.channel, id: d.notification.id, reason: outcome.reason, status: outcome.status },
          'notification not delivered yet',
        );
      },
      onDropped: (d, reason) => this.#dropped(d, reason),
    });
    options.metrics.depthFrom(() => this.#queue.depth);
  }

  get depth(): number {
    return this.#queue.depth;
  }

  stop(timeoutMs: number): Promise<void> {
    return this.#queue.stop(timeoutMs);
  }

  notify(rollout: Rollout, previous: RolloutStatus | undefined, plan: Pick<Plan, 'status' | 'events'>): void {
    if ((rollout.spec.notifications ?? []).length === 0) return;
    // Called on the reconcile path, after the status write: nothing in here may fail the reconcile.
    try {
      this.#enqueue(rollout, previous, plan);
    } catch (err) {
      this.#o.log.warn(
        { namespace: rollout.metadata.namespace, name: rollout.metadata.name, err },
        'notification not queued',
      );
    }
  }

  #enqueue(rollout: Rollout, previous: RolloutStatus | undefined, plan: Pick<Plan, 'status' | 'events'>): void {
    const subscriptions = rollout.spec.notifications ?? [];
    const found = detectNotifications(rollout, previous, plan, this.#now(), this.#o.conditionOf);
    if (found.length === 0) return;
    const { namespace = '', name, uid } = rollout.metadata;
    const slim: Rollout = {
      apiVersion: rollout.apiVersion,
      kind: 'Rollout',
      metadata: { namespace, name, uid },
      spec: { strategy: {} },
    };
    subscriptions.forEach((sub, i) => {
      const wanted = found.filter((n) => sub.on.includes(n.event));
      if (wanted.length === 0) return;
      const channel = this.#o.channels.get(undefined, sub.channel);
      if (channel === undefined) {
        for (const _ of wanted) this.#o.metrics.dropped('not_deliverable');
        this.#o.events.record(slim, {
          type: 'Warning',
          reason: 'NotificationChannelNotFound',
          message: `spec.notifications[${i}].channel: NotificationChannel ${sub.channel} does not exist, so ${wanted.map((n) => n.event).join(', ')} was not sent: ask a platform admin to create it (kubectl get nch), or remove the subscription`,
        });
        return;
      }
      this.#sinkOf.set(sub.channel, sinkOf(channel.spec));
      for (const n of wanted) {
        this.#queue.enqueue({
          namespace,
          key: `${n.id}/${sub.channel}`,
          target: sub.channel,
          notification: n,
          channel: sub.channel,
          subscription: i,
          rollout: slim,
        });
      }
    });
  }

  #sink(channel: string): SinkName {
    return this.#sinkOf.get(channel) ?? sinkOf(this.#o.channels.get(undefined, channel)?.spec ?? {});
  }

  #dropped(d: NotificationDelivery, reason: DropReason): void {
    this.#o.metrics.dropped(reason);
    if (reason !== 'not_deliverable')
      this.#o.log.warn(
        { channel: d.channel, namespace: d.namespace, rollout: d.rollout.metadata.name, id: d.notification.id, reason },
        'notification dropped',
      );
  }

  /** Reports, once per delivery, why a subscription cannot be served; the rollout goes on regardless. */
  #notDeliverable(d: NotificationDelivery, why: string): { kind: 'drop'; reason: DropReason } {
    this.#o.events.record(d.rollout, {
      type: 'Warning',
      reason: 'NotificationNotSent',
      message: `spec.notifications[${d.subscription}].channel: ${d.notification.event} was not sent to NotificationChannel ${d.channel}: ${why}`,
    });
    return { kind: 'drop', reason: 'not_deliverable' };
  }

  async #deliver(d: NotificationDelivery): Promise<SendOutcome | { kind: 'drop'; reason: DropReason }> {
    const channel = this.#o.channels.get(undefined, d.channel);
    if (channel === undefined)
      return this.#notDeliverable(d, 'the channel was deleted: ask a platform admin, or remove the subscription');
    const sinks = [channel.spec.webhook, channel.spec.slack, channel.spec.cloudEvents].filter((x) => x !== undefined);
    if (sinks.length !== 1)
      return this.#notDeliverable(d, `the channel has ${sinks.length} sinks, not one: ask a platform admin to fix it`);
    let labels: Record<string, string> | undefined;
    try {
      labels = await this.#o.namespaceLabels(d.namespace);
    } catch (err) {
      // Said with its cause (often RBAC: get namespaces), never as the receiver being unreachable.
      this.#o.log.warn(
        { channel: d.channel, namespace: d.namespace, err: err instanceof Error ? err.message : String(err) },
        "cannot read the namespace's labels to check the channel's namespaceSelector; retried",
      );
      return { kind: 'retry', reason: 'namespace' };
    }
    if (labels === undefined) return { kind: 'drop', reason: 'not_deliverable' }; // the namespace is gone
    if (!selectorMatches(channel.spec.namespaceSelector, labels))
      return this.#notDeliverable(
        d,
        `its namespaceSelector does not select namespace ${d.namespace}: ask a platform admin to add the namespace to it, or subscribe to a channel meant for this namespace`,
      );
    const sink = sinkOf(channel.spec);
    this.#sinkOf.set(d.channel, sink);
    let request: OutgoingRequest;
    try {
      request = await this.#request(d.notification, channel.spec);
    } catch (err) {
      if (!(err instanceof SecretMissing)) throw err;
      this.#o.log.warn({ channel: d.channel, sink, problem: err.message }, 'notification channel secret unreadable');
      return { kind: 'retry', reason: 'secret' };
    }
    const problem = requestProblem(request);
    if (problem !== undefined) {
      // Said without the URL or the header's value: either may be (or hold) a secret.
      this.#o.log.warn({ channel: d.channel, sink, problem }, 'notification cannot be sent; not retried');
      return { kind: 'refused', reason: 'invalid_request' };
    }
    const outcome = await sendRequest(request, this.#o.timeoutMs ?? 10_000, this.#o.userAgent ?? 'sluice');
    if (outcome.kind === 'refused')
      this.#o.log.warn(
        { channel: d.channel, sink, host: hostOf(request.url), status: outcome.status, id: d.notification.id },
        'notification refused by the receiver; not retried',
      );
    return outcome;
  }

  async #request(n: RolloutNotification, spec: NotificationChannel['spec']): Promise<OutgoingRequest> {
    const now = this.#now();
    if (spec.webhook !== undefined) {
      const key = await this.#secret(spec.webhook.signingSecret);
      return webhookRequest(n, spec, key, now);
    }
    if (spec.slack !== undefined) {
      const url = (await this.#secret(spec.slack.urlFrom)).toString('utf8');
      // The URL comes from a Secret, past the schema's check: only http(s), so a Secret cannot make Sluice read a file.
      if (!/^https?:\/\/\S+$/.test(url.trim()))
        throw new SecretMissing(
          `Secret ${spec.slack.urlFrom.name} key ${spec.slack.urlFrom.key} is not an http(s) URL`,
        );
      return slackRequest(n, spec, url.trim());
    }
    const ce = spec.cloudEvents!;
    const key = ce.signingSecret === undefined ? undefined : await this.#secret(ce.signingSecret);
    return cloudEventRequest(n, spec, key, now);
  }

  async #secret(ref: { name: string; key: string }): Promise<Buffer | string> {
    let value: Buffer | string | undefined;
    try {
      value = await this.#o.readSecret(ref.name, ref.key);
    } catch (err) {
      throw new SecretMissing(`Secret ${ref.name} could not be read: ${err instanceof Error ? err.message : ''}`);
    }
    if (value === undefined || value.length === 0)
      throw new SecretMissing(`Secret ${ref.name} has no key ${ref.key} in the controller's namespace`);
    return value;
  }
}
