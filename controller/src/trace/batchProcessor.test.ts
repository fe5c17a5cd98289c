import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchSpanProcessor } from './batchProcessor.ts';
import type { ExportOutcome, SpanExporter } from './otlpExporter.ts';
import type { FinishedSpan } from './span.ts';

const span = (name: string): FinishedSpan => ({
  traceId: '5b8efff798038103d269b633813fc60c',
  spanId: 'eee19b7ec3c1b174',
  parentSpanId: undefined,
  name,
  kind: 'internal',
  startTimeUnixNano: 1n,
  endTimeUnixNano: 2n,
  attributes: new Map(),
  droppedAttributesCount: 0,
  links: [],
  status: { code: 'unset' },
});

/** An exporter whose answers the test gives, one per call, when it chooses. */
class HeldExporter implements SpanExporter {
  readonly batches: string[][] = [];
  readonly #answers: ((outcome: ExportOutcome) => void)[] = [];
  export(spans: readonly FinishedSpan[], signal: AbortSignal): Promise<ExportOutcome> {
    this.batches.push(spans.map((s) => s.name));
    return new Promise((resolve) => {
      this.#answers.push(resolve);
      signal.addEventListener('abort', () => resolve({ ok: false, reason: 'timed out' }), { once: true });
    });
  }
  answer(outcome: ExportOutcome): void {
    this.#answers.shift()!(outcome);
  }
}

const counts = () => {
  const c = { exported: 0, dropped: 0, failed: 0 };
  return {
    c,
    counters: {
      exported: (n: number) => (c.exported += n),
      dropped: (n: number) => (c.dropped += n),
      failed: (n: number) => (c.failed += n),
    },
  };
};

const flush = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => vi.useRealTimers());

describe('BatchSpanProcessor', () => {
  it('drops and counts spans past its bound while the collector does not answer, sending one batch at a time', async () => {
    const exporter = new HeldExporter();
    const { c, counters } = counts();
    const processor = new BatchSpanProcessor(exporter, counters, { maxQueueSize: 4, maxExportBatchSize: 2 });
    for (let i = 0; i < 10; i++) processor.onEnd(span(`s${i}`));
    // s0,s1 left as the first batch; s2-s5 fill the queue; the rest are dropped, never buffered.
    expect(exporter.batches).toEqual([['s0', 's1']]);
    expect(processor.queued).toBe(4);
    expect(c.dropped).toBe(4);
    exporter.answer({ ok: true, rejected: 0 });
    await flush();
    expect(c.exported).toBe(2);
    expect(exporter.batches).toEqual([
      ['s0', 's1'],
      ['s2', 's3'],
    ]);
    await processor.shutdown(10);
  });

  it('backs off after a failure instead of knocking at every span', async () => {
    let now = 0;
    const exporter = new HeldExporter();
    const { c, counters } = counts();
    const processor = new BatchSpanProcessor(
      exporter,
      counters,
      { maxQueueSize: 100, maxExportBatchSize: 1, backoffMs: [1_000, 8_000] },
      {},
      () => now,
    );
    processor.onEnd(span('a'));
    exporter.answer({ ok: false, reason: 'HTTP 503' });
    await flush();
    expect(c.failed).toBe(1);
    for (let i = 0; i < 5; i++) processor.onEnd(span(`b${i}`));
    expect(exporter.batches).toHaveLength(1); // within the backoff: queued, not sent
    now = 1_001;
    processor.onEnd(span('c'));
    expect(exporter.batches).toHaveLength(2);
    await processor.shutdown(10);
  });

  it('sends a part-filled queue on its timer', async () => {
    vi.useFakeTimers();
    const exporter = new HeldExporter();
    const processor = new BatchSpanProcessor(exporter, counts().counters, { scheduledDelayMs: 5_000 });
    processor.onEnd(span('lonely'));
    expect(exporter.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(exporter.batches).toEqual([['lonely']]);
    exporter.answer({ ok: true, rejected: 0 });
    await processor.shutdown(10);
  });

  it('sends what is left on shutdown, and gives up on a silent collector at the deadline', async () => {
    const exporter = new HeldExporter();
    const { c, counters } = counts();
    const processor = new BatchSpanProcessor(exporter, counters, { maxExportBatchSize: 10 });
    processor.onEnd(span('last'));
    const started = performance.now();
    await processor.shutdown(100);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(exporter.batches).toEqual([['last']]);
    expect(c.failed).toBe(1);
    processor.onEnd(span('after'));
    expect(c.dropped).toBe(1);
  });

  it('counts spans a collector rejects in a partial success as failed', async () => {
    const exporter = new HeldExporter();
    const { c, counters } = counts();
    const processor = new BatchSpanProcessor(exporter, counters, { maxExportBatchSize: 3 });
    for (const name of ['a', 'b', 'c']) processor.onEnd(span(name));
    exporter.answer({ ok: true, rejected: 1 });
    await flush();
    expect(c).toEqual({ exported: 2, dropped: 0, failed: 1 });
    await processor.shutdown(10);
  });
});
