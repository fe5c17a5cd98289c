/**
 * Sluice's tracer: starts spans, decides which traces are sampled, and knows the span a reconcile is running under.
 * An in-house tracer rather than the OpenTelemetry JS SDK: Sluice needs a few span kinds, one processor and one
 * exporter, and the SDK's weight in a controller that must stay small is not worth them (docs/observability.md).
 *
 * Context is passed explicitly (`parent`), with one exception: the reconcile's span is also "current" for the code it
 * calls (withSpan, AsyncLocalStorage), because the Kubernetes writes that are its children are sent from the HTTP
 * layer of the client (kube/apiMetrics.ts), several calls away from the reconcile and shared by every caller.
 *
 * Off (`noopTracer`): every call returns at once, no span object, no id, no clock read, no AsyncLocalStorage.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  newSpanId,
  newTraceId,
  nonRecordingSpan,
  RecordingSpan,
  type Attributes,
  type FinishedSpan,
  type Span,
  type SpanContext,
  type SpanKindName,
} from './span.ts';

export interface SpanOptions {
  kind?: SpanKindName;
  /** The span this one is part of; omitted: the first span of a new trace. */
  parent?: Span;
  /** Spans of other traces this one follows from (the reconcile that asked for a measurement). */
  links?: readonly Span[];
  attributes?: Attributes;
}

export interface Tracer {
  /** False when tracing is off: callers may skip building attributes. */
  readonly enabled: boolean;
  startSpan(name: string, options?: SpanOptions): Span;
  /** Runs `fn` with `span` as the current span of everything it calls, across awaits. */
  withSpan<T>(span: Span, fn: () => T): T;
  /** The span withSpan made current here; undefined outside one, and always when tracing is off. */
  currentSpan(): Span | undefined;
}

export const noopTracer: Tracer = Object.freeze({
  enabled: false,
  startSpan: () => nonRecordingSpan,
  withSpan: <T>(_span: Span, fn: () => T): T => fn(),
  currentSpan: () => undefined,
});

export interface RecordingTracerOptions {
  /** Where ended spans go (BatchSpanProcessor.onEnd): must return at once. */
  onEnd: (span: FinishedSpan) => void;
  /** Share of new traces that are recorded, 0 to 1; a span under a parent follows its parent. */
  sampleRatio: number;
  /** Unix time in nanoseconds; defaults to a monotonic clock anchored to the wall clock once. */
  now?: () => bigint;
  random?: () => number;
}

export class RecordingTracer implements Tracer {
  readonly enabled = true;
  readonly #options: RecordingTracerOptions;
  readonly #now: () => bigint;
  readonly #random: () => number;
  // One per tracer, not per module: two controllers in one test process do not see each other's spans.
  readonly #current = new AsyncLocalStorage<Span>();

  constructor(options: RecordingTracerOptions) {
    this.#options = options;
    this.#now = options.now ?? anchoredClock();
    this.#random = options.random ?? Math.random;
  }

  startSpan(name: string, options: SpanOptions = {}): Span {
    const { parent } = options;
    // A child of a span that records nothing records nothing: half a trace is worse than none.
    if (parent !== undefined && parent.context === undefined) return nonRecordingSpan;
    if (parent === undefined && !(this.#random() < this.#options.sampleRatio)) return nonRecordingSpan;
    const links: SpanContext[] = [];
    for (const link of options.links ?? []) if (link.context !== undefined) links.push(link.context);
    const span = new RecordingSpan({
      context: { traceId: parent?.context?.traceId ?? newTraceId(), spanId: newSpanId() },
      parentSpanId: parent?.context?.spanId,
      name,
      kind: options.kind ?? 'internal',
      links,
      startTimeUnixNano: this.#now(),
      now: this.#now,
      onEnd: this.#options.onEnd,
    });
    if (options.attributes !== undefined) span.setAttributes(options.attributes);
    return span;
  }

  withSpan<T>(span: Span, fn: () => T): T {
    return this.#current.run(span, fn);
  }

  currentSpan(): Span | undefined {
    return this.#current.getStore();
  }
}

/**
 * Wall-clock nanoseconds that never go backwards within the process: the wall clock is read once, and time after
 * that comes from the monotonic clock, so a span's end is never before its start when NTP steps the clock.
 */
function anchoredClock(): () => bigint {
  const origin = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  return () => origin + process.hrtime.bigint();
}

/**
 * Runs `work` inside a span, current while it runs (the Kubernetes writes and provider calls it sends become its
 * children): status OK when it resolves, ERROR (and rethrown) when it rejects, ended either way. `describe` adds
 * attributes from the result (a requeue delay, a measurement's value), or marks a result that is a failure, before
 * the end. The reconcile, a measurement and a flag operation all go through here.
 */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  work: (span: Span) => Promise<T>,
  describe?: (span: Span, result: T) => void,
): Promise<T> {
  if (!tracer.enabled) return work(nonRecordingSpan);
  const span = tracer.startSpan(name, options);
  try {
    const result = await tracer.withSpan(span, () => work(span));
    span.succeed();
    describe?.(span, result); // after succeed: a result that is a failure (an Error measurement) may say so
    return result;
  } catch (err) {
    span.fail(err);
    throw err;
  } finally {
    span.end();
  }
}
