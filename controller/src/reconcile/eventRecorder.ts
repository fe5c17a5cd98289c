/**
 * Sends the Rollouts' Events in the background, the way client-go's event broadcaster does: a reconcile records an
 * Event and goes on; the Event is written afterwards, in order, on a client with a rate limit of its own.
 *
 * Why not in the reconcile: a 3-step canary writes 6 Events against 13 other writes. Written inline, they made
 * every reconcile wait on them and took a third of the client's QPS budget, so 1,000 rollouts moved at 2/3 of
 * the speed the budget allows (bench/results). An Event is a report of what the controller did, not part of
 * doing it: it must not hold the next traffic shift back.
 *
 * What that costs, as in client-go: Events are best effort. One that fails is retried a few times and then
 * dropped (logged); when more are waiting than `capacity`, the newest is dropped, so a storm of them cannot
 * grow memory; and ones still waiting when the process is killed are lost. stop() sends what it can first.
 */
import { randomBytes } from 'node:crypto';
import type { CoreV1Event } from '@kubernetes/client-node';
import type { CoreClient } from '../kube/resourceClients.ts';
import { apiVersion, type Rollout } from '../api/types.ts';
import { isConflict, statusCode } from '../kube/apiErrors.ts';
import type { PlannedEvent } from '../planner/world.ts';

export interface EventSink {
  record(rollout: Rollout, event: PlannedEvent): void;
}

export interface EventRecorderOptions {
  /** A client of its own, so that Events have a rate limit apart from the reconciles' writes. */
  core: Pick<CoreClient, 'createNamespacedEvent'>;
  /** Who reports the Events (the pod name). */
  reportingInstance: string;
  /** Events waiting at most; default 1,000. */
  capacity?: number;
  /** Events written at once; default 4. Events of one Rollout are still written in the order they were recorded. */
  concurrency?: number;
  /** Delays before the second and later attempts; default 1 s and 3 s. */
  retryDelaysMs?: readonly number[];
  /** Told of an Event given up on, for the log. */
  onDropped?: (event: CoreV1Event, why: string, err?: unknown) => void;
}

/** The core/v1 Event for one thing that happened to a Rollout. */
export function rolloutEvent(
  rollout: Rollout,
  event: PlannedEvent,
  reportingInstance: string,
  now = new Date(),
): CoreV1Event {
  const { namespace, name, uid } = rollout.metadata;
  return {
    // Unique per Event (the API server refuses a name twice); the Rollout's name first, as kubectl's events are.
    metadata: { name: `${name}.${now.getTime().toString(16)}${randomBytes(3).toString('hex')}`, namespace },
    involvedObject: { apiVersion, kind: 'Rollout', name, namespace, uid },
    type: event.type,
    reason: event.reason,
    message: event.message.slice(0, 1024),
    source: { component: 'sluice' },
    reportingComponent: 'sluice.dev/controller',
    reportingInstance,
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
}

export class EventRecorder implements EventSink {
  readonly #options: Required<Omit<EventRecorderOptions, 'onDropped'>> & Pick<EventRecorderOptions, 'onDropped'>;
  /** Per Rollout, the Events not written yet, oldest first; a Rollout with a chain here is being written. */
  readonly #waiting = new Map<string, CoreV1Event[]>();
  readonly #ready: string[] = [];
  #count = 0;
  #active = 0;
  #stopped = false;
  #idle: (() => void) | undefined;

  constructor(options: EventRecorderOptions) {
    this.#options = { capacity: 1_000, concurrency: 4, retryDelaysMs: [1_000, 3_000], ...options };
  }

  /** Events waiting to be written. */
  get pending(): number {
    return this.#count;
  }

  record(rollout: Rollout, event: PlannedEvent): void {
    const body = rolloutEvent(rollout, event, this.#options.reportingInstance);
    if (this.#stopped) return this.#dropped(body, 'the controller is stopping');
    if (this.#count >= this.#options.capacity) return this.#dropped(body, `${this.#count} Events are already waiting`);
    const key = `${body.metadata.namespace ?? ''}/${body.involvedObject.name ?? ''}`;
    const chain = this.#waiting.get(key);
    this.#count++;
    if (chain !== undefined) chain.push(body);
    else {
      this.#waiting.set(key, [body]);
      this.#ready.push(key);
    }
    this.#pump();
  }

  /** Writes what is waiting, for at most `timeoutMs`; records nothing new after. */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopped = true;
    if (this.#count === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => (this.#idle = resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  /** Reports a dropped Event; a throwing reporter must not stall the Rollout's other Events. */
  #dropped(body: CoreV1Event, why: string, err?: unknown): void {
    try {
      this.#options.onDropped?.(body, why, err);
    } catch {
      // nothing more to do with it: the Event is gone either way
    }
  }

  #pump(): void {
    while (this.#active < this.#options.concurrency && this.#ready.length > 0) {
      const key = this.#ready.shift()!;
      this.#active++;
      void this.#drain(key).finally(() => {
        this.#active--;
        if (this.#count === 0) this.#idle?.();
        this.#pump();
      });
    }
  }

  /** Writes one Rollout's Events in order until none is left. */
  async #drain(key: string): Promise<void> {
    const chain = this.#waiting.get(key)!;
    while (chain.length > 0) {
      await this.#send(chain[0]!);
      chain.shift();
      this.#count--;
    }
    this.#waiting.delete(key);
  }

  async #send(body: CoreV1Event): Promise<void> {
    const delays = this.#options.retryDelaysMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#options.core.createNamespacedEvent({ namespace: body.metadata.namespace!, body });
        return;
      } catch (err) {
        const code = statusCode(err);
        // An earlier attempt that timed out had landed after all: the Event is there (its name is unique).
        if (isConflict(err) && attempt > 0) return;
        // A refusal (the namespace is gone, forbidden, invalid) is final; a failure to reach the API server or a
        // 429 / 5xx may pass.
        const final = code !== undefined && code >= 400 && code < 500 && code !== 429;
        if (final || attempt >= delays.length) {
          this.#dropped(body, final ? `refused (${String(code)})` : `not written after ${attempt + 1} attempts`, err);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delays[attempt]).unref());
      }
    }
  }
}
