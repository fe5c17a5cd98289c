import { describe, expect, it } from 'vitest';
import { inSpan, noopTracer, RecordingTracer } from './tracer.ts';
import { nonRecordingSpan, type FinishedSpan } from './span.ts';

describe('the tracer when tracing is off', () => {
  it('hands out the one shared span, with no context, and runs work as it is', async () => {
    const span = noopTracer.startSpan('sluice.reconcile', { attributes: { a: 1 } });
    expect(span).toBe(nonRecordingSpan);
    expect(span.context).toBeUndefined();
    span.setAttribute('b', 2);
    span.end();
    expect(noopTracer.withSpan(span, () => noopTracer.currentSpan())).toBeUndefined();
    await expect(inSpan(noopTracer, 'x', {}, () => Promise.resolve(7))).resolves.toBe(7);
  });
});

describe('the recording tracer', () => {
  const recorder = (sampleRatio: number, random = Math.random) => {
    const ended: FinishedSpan[] = [];
    return { ended, tracer: new RecordingTracer({ onEnd: (s) => ended.push(s), sampleRatio, random }) };
  };

  it('makes the reconcile span current across awaits, and only inside withSpan', async () => {
    const { tracer } = recorder(1);
    const span = tracer.startSpan('sluice.reconcile');
    const seen = await tracer.withSpan(span, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return tracer.currentSpan();
    });
    expect(seen).toBe(span);
    expect(tracer.currentSpan()).toBeUndefined();
  });

  it('samples new traces by the ratio, and a child follows its parent', () => {
    const draws = [0.2, 0.9];
    const { tracer, ended } = recorder(0.5, () => draws.shift()!);
    const sampled = tracer.startSpan('a');
    const unsampled = tracer.startSpan('b');
    expect(sampled.context).toBeDefined();
    expect(unsampled).toBe(nonRecordingSpan);
    tracer.startSpan('child of b', { parent: unsampled }).end();
    tracer.startSpan('child of a', { parent: sampled }).end();
    expect(ended.map((s) => s.name)).toEqual(['child of a']);
  });

  it('ends a span once, and ignores changes after its end', () => {
    const { tracer, ended } = recorder(1);
    const span = tracer.startSpan('a');
    span.end();
    span.setAttribute('late', true);
    span.fail(new Error('late'));
    span.end();
    expect(ended).toHaveLength(1);
    expect(ended[0]!.attributes.has('late')).toBe(false);
    expect(ended[0]!.status.code).toBe('unset');
  });

  it('marks a rejected piece of work as an error and still ends its span', async () => {
    const { tracer, ended } = recorder(1);
    await expect(inSpan(tracer, 'w', {}, () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(ended[0]!.status).toEqual({ code: 'error', message: 'refused' });
  });

  it('keeps times that never run backwards', () => {
    const { tracer, ended } = recorder(1);
    tracer.startSpan('a').end();
    const [span] = ended;
    expect(span!.endTimeUnixNano).toBeGreaterThanOrEqual(span!.startTimeUnixNano);
    const wallNs = BigInt(Date.now()) * 1_000_000n;
    expect(span!.startTimeUnixNano > wallNs - 60_000_000_000n && span!.startTimeUnixNano <= wallNs + 1_000_000n).toBe(
      true,
    );
  });
});
