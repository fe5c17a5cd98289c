/**
 * Between the tracer and the exporter: ended spans go into a bounded queue synchronously (the reconcile never waits
 * for a collector), and batches leave it in the background, one request at a time. A collector that is down or slow
 * costs one request per backoff period and a full queue: spans past the bound are dropped and counted, so memory
 * stays at the bound however long the collector is away (at most maxQueueSize + maxExportBatchSize spans, each
 * bounded by span.ts).
 */
import type { ExportOutcome, SpanExporter } from './otlpExporter.ts';
import type { FinishedSpan } from './span.ts';

export interface BatchOptions {
  maxQueueSize: number;
  maxExportBatchSize: number;
  /** How often the queue is sent when it does not fill a batch first. */
  scheduledDelayMs: number;
  exportTimeoutMs: number;
  /** Backoff after a failed export: doubles from the first value up to the second. */
  backoffMs: readonly [number, number];
}

/** The OpenTelemetry SDKs' defaults (OTEL_BSP_*), with the exporter's 10 s timeout. */
export const defaultBatchOptions: BatchOptions = {
  maxQueueSize: 2048,
  maxExportBatchSize: 512,
  scheduledDelayMs: 5_000,
  exportTimeoutMs: 10_000,
  backoffMs: [1_000, 60_000],
};

export interface SpanCounters {
  exported(count: number): void;
  /** Never queued: the queue was full, or the processor was shut down. */
  dropped(count: number): void;
  /** Sent and refused (or lost to a network error or timeout); not retried, so a retry never doubles the queue. */
  failed(count: number): void;
}

export interface ExportReport {
  /** Called on the first failure after a success and on the first success after failures: one log line each. */
  onExportStateChange?: (outcome: ExportOutcome) => void;
}

export class BatchSpanProcessor {
  readonly #exporter: SpanExporter;
  readonly #options: BatchOptions;
  readonly #counters: SpanCounters;
  readonly #report: ExportReport;
  readonly #now: () => number;
  #queue: FinishedSpan[] = [];
  #inFlight: Promise<void> | undefined;
  #failures = 0;
  #retryAt = 0;
  #closed = false;
  readonly #timer: NodeJS.Timeout;

  constructor(
    exporter: SpanExporter,
    counters: SpanCounters,
    options: Partial<BatchOptions> = {},
    report: ExportReport = {},
    now: () => number = () => performance.now(),
  ) {
    this.#exporter = exporter;
    this.#counters = counters;
    const merged = { ...defaultBatchOptions, ...options };
    // A batch never larger than the queue (as the SDKs' processors): a small queue is sent when it fills.
    this.#options = { ...merged, maxExportBatchSize: Math.min(merged.maxExportBatchSize, merged.maxQueueSize) };
    this.#report = report;
    this.#now = now;
    // Unref'd: a pending export never keeps a stopping process alive; shutdown() sends what is left.
    this.#timer = setInterval(() => this.#sendNext(), this.#options.scheduledDelayMs).unref();
  }

  /** Spans waiting to be sent (for tests and the metric's collect). */
  get queued(): number {
    return this.#queue.length;
  }

  /** Synchronous: queues the span or drops it, and may start a send in the background. */
  onEnd = (span: FinishedSpan): void => {
    if (this.#closed || this.#queue.length >= this.#options.maxQueueSize) {
      this.#counters.dropped(1);
      return;
    }
    this.#queue.push(span);
    if (this.#queue.length >= this.#options.maxExportBatchSize) this.#sendNext();
  };

  /** Sends what is queued within `timeoutMs` (the SIGTERM path); what cannot be sent by then is dropped. */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    const deadline = AbortSignal.timeout(timeoutMs);
    const gaveUp = new Promise<void>((resolve) => deadline.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([this.#inFlight, gaveUp]);
    // Past a failure's backoff too: this is the last chance, and the deadline bounds it.
    while (this.#queue.length > 0 && !deadline.aborted) {
      await this.#send(deadline);
      if (this.#failures > 0) break; // the collector is away: the rest would only wait for the deadline
    }
    this.#counters.dropped(this.#queue.length);
    this.#queue = [];
  }

  #sendNext(): void {
    if (this.#inFlight !== undefined || this.#queue.length === 0 || this.#now() < this.#retryAt) return;
    this.#inFlight = this.#send(AbortSignal.timeout(this.#options.exportTimeoutMs)).finally(() => {
      this.#inFlight = undefined;
      // A full batch behind this one goes now, not at the next tick.
      if (!this.#closed && this.#queue.length >= this.#options.maxExportBatchSize) this.#sendNext();
    });
  }

  async #send(signal: AbortSignal): Promise<void> {
    const batch = this.#queue.splice(0, this.#options.maxExportBatchSize);
    let outcome: ExportOutcome;
    try {
      outcome = await this.#exporter.export(batch, signal);
    } catch (err) {
      outcome = { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
    if (outcome.ok) {
      this.#counters.exported(batch.length - Math.min(outcome.rejected, batch.length));
      if (outcome.rejected > 0) this.#counters.failed(Math.min(outcome.rejected, batch.length));
      if (this.#failures > 0) this.#report.onExportStateChange?.(outcome);
      this.#failures = 0;
      this.#retryAt = 0;
      return;
    }
    this.#counters.failed(batch.length);
    if (this.#failures === 0) this.#report.onExportStateChange?.(outcome);
    this.#failures++;
    const [first, max] = this.#options.backoffMs;
    const backoff = Math.min(max, first * 2 ** Math.min(this.#failures - 1, 20));
    // Jitter, so that replicas restarted together do not knock on a recovering collector together.
    this.#retryAt = this.#now() + backoff * (0.5 + Math.random() / 2);
  }
}
