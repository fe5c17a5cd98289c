/**
 * One span of Sluice's traces: what it is, as the OTLP exporter will send it, and the two kinds of Span a caller
 * holds (a recording one, and the shared one that records nothing). Everything a span keeps is bounded here, so that
 * the export queue's memory is bounded by its length: at most `maxAttributes` attributes, each value at most
 * `maxValueLength` characters, and one status message of at most that length.
 */
import { randomBytes } from 'node:crypto';

/** OTLP's SpanKind enum (opentelemetry/proto/trace/v1/trace.proto); 0 (unspecified) is never sent. */
export const spanKinds = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;
export type SpanKindName = keyof typeof spanKinds;

/** OTLP's Status.StatusCode enum: unset is the default, error carries a message. */
export const statusCodes = { unset: 0, ok: 1, error: 2 } as const;

export type AttributeValue = string | number | boolean;
export type Attributes = Readonly<Record<string, AttributeValue | undefined>>;

export const maxAttributes = 24;
export const maxValueLength = 512;

/** What identifies a span across processes (W3C trace context): 32 and 16 lowercase hex digits. */
export interface SpanContext {
  readonly traceId: string;
  readonly spanId: string;
}

/** A span once ended: what the batch processor queues and the exporter encodes. Times are Unix nanoseconds. */
export interface FinishedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: SpanKindName;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: ReadonlyMap<string, AttributeValue>;
  readonly droppedAttributesCount: number;
  readonly links: readonly SpanContext[];
  readonly status: { readonly code: 'unset' | 'ok' | 'error'; readonly message?: string };
}

/** What instrumented code holds while the work it describes runs. Every method is safe to call after end(). */
export interface Span {
  /** Undefined for a span that records nothing (tracing off, or not sampled): its children record nothing either. */
  readonly context: SpanContext | undefined;
  setAttribute(key: string, value: AttributeValue | undefined): void;
  setAttributes(attributes: Attributes): void;
  /** Status OK: the work did what it was asked. */
  succeed(): void;
  /** Status ERROR, with the error's message (bounded; Sluice's error messages carry no secret by rule). */
  fail(error: unknown): void;
  /** Idempotent: the first call hands the span to the export queue, later ones do nothing. */
  end(): void;
}

/** The span of a tracer that is off or did not sample: one shared object, nothing allocated per call. */
export const nonRecordingSpan: Span = Object.freeze({
  context: undefined,
  setAttribute: () => undefined,
  setAttributes: () => undefined,
  succeed: () => undefined,
  fail: () => undefined,
  end: () => undefined,
});

/** W3C ids: random, never all zeros (an all-zero id is invalid and collectors reject it). */
export function newTraceId(): string {
  return nonZeroHex(16);
}

export function newSpanId(): string {
  return nonZeroHex(8);
}

function nonZeroHex(bytes: number): string {
  for (;;) {
    const id = randomBytes(bytes).toString('hex');
    if (!/^0+$/.test(id)) return id;
  }
}

/**
 * Strings cut to the bound and made well-formed UTF-16: a lone surrogate (from a cut between the two halves of an
 * emoji, or in a tenant's own text) is no valid UTF-8, which OTLP strings must be; the collector here repairs it, but
 * a strict receiver may refuse the whole batch for one bad string, everybody's spans with it.
 */
export function boundedValue(value: AttributeValue): AttributeValue {
  if (typeof value !== 'string') return value;
  const cut = value.length <= maxValueLength ? value : `${value.slice(0, maxValueLength - 1)}…`;
  return cut.toWellFormed();
}

export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return boundedValue(text) as string;
}

export interface RecordingSpanInit {
  context: SpanContext;
  parentSpanId: string | undefined;
  name: string;
  kind: SpanKindName;
  links: readonly SpanContext[];
  startTimeUnixNano: bigint;
  now: () => bigint;
  onEnd: (span: FinishedSpan) => void;
}

export class RecordingSpan implements Span {
  readonly context: SpanContext;
  readonly #init: RecordingSpanInit;
  readonly #attributes = new Map<string, AttributeValue>();
  #dropped = 0;
  #status: FinishedSpan['status'] = { code: 'unset' };
  #ended = false;

  constructor(init: RecordingSpanInit) {
    this.context = init.context;
    this.#init = init;
  }

  setAttribute(key: string, value: AttributeValue | undefined): void {
    if (this.#ended || value === undefined) return;
    if (typeof value === 'number' && !Number.isFinite(value)) value = String(value);
    if (!this.#attributes.has(key) && this.#attributes.size >= maxAttributes) {
      this.#dropped++;
      return;
    }
    this.#attributes.set(key, boundedValue(value));
  }

  setAttributes(attributes: Attributes): void {
    for (const [key, value] of Object.entries(attributes)) this.setAttribute(key, value);
  }

  succeed(): void {
    if (!this.#ended) this.#status = { code: 'ok' };
  }

  fail(error: unknown): void {
    if (!this.#ended) this.#status = { code: 'error', message: errorMessage(error) };
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const init = this.#init;
    init.onEnd({
      traceId: this.context.traceId,
      spanId: this.context.spanId,
      parentSpanId: init.parentSpanId,
      name: init.name,
      kind: init.kind,
      startTimeUnixNano: init.startTimeUnixNano,
      endTimeUnixNano: init.now(),
      attributes: this.#attributes,
      droppedAttributesCount: this.#dropped,
      links: init.links,
      status: this.#status,
    });
  }
}
