import { describe, expect, it } from 'vitest';
import { encodeTraceRequest, type OtlpSpan, type OtlpTraceRequest } from './otlpJson.ts';
import { RecordingTracer } from './tracer.ts';
import type { FinishedSpan } from './span.ts';

const source = {
  resource: { 'service.name': 'sluice-controller', 'service.version': '0.1.0' },
  scope: { name: 'sluice', version: '0.1.0' },
};

function recordTwo(): FinishedSpan[] {
  const ended: FinishedSpan[] = [];
  let clock = 1_700_000_000_000_000_000n;
  const tracer = new RecordingTracer({ onEnd: (s) => ended.push(s), sampleRatio: 1, now: () => (clock += 1_500n) });
  const reconcile = tracer.startSpan('sluice.reconcile', {
    attributes: { 'sluice.rollout.name': 'checkout', 'sluice.plan.steps': 3, 'sluice.plan.abort': false, ratio: 0.5 },
  });
  const write = tracer.startSpan('kube patch rollouts/status', { kind: 'client', parent: reconcile });
  write.fail(new Error('HTTP 409: the object has been modified'));
  write.end();
  reconcile.succeed();
  reconcile.end();
  return ended;
}

describe('the OTLP/HTTP JSON encoding', () => {
  it('names and types every field as the spec JSON mapping says', () => {
    const [write, reconcile] = recordTwo();
    const body = JSON.parse(JSON.stringify(encodeTraceRequest(source, [reconcile!, write!]))) as OtlpTraceRequest;
    const resource = body.resourceSpans[0]!.resource;
    expect(resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'sluice-controller' } });
    const scopeSpans = body.resourceSpans[0]!.scopeSpans[0]!;
    expect(scopeSpans.scope).toEqual({ name: 'sluice', version: '0.1.0' });
    const [root, child] = scopeSpans.spans as [OtlpSpan, OtlpSpan];
    // Ids are lowercase hex (not base64 as in proto3's default JSON), the kind an integer, times decimal strings.
    expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(root).not.toHaveProperty('parentSpanId');
    expect(root.kind).toBe(1);
    expect(root.startTimeUnixNano).toMatch(/^[0-9]{19}$/);
    expect(BigInt(root.endTimeUnixNano)).toBeGreaterThan(BigInt(root.startTimeUnixNano));
    expect(root.status).toEqual({ code: 1 });
    expect(root.attributes).toEqual([
      { key: 'sluice.rollout.name', value: { stringValue: 'checkout' } },
      { key: 'sluice.plan.steps', value: { intValue: '3' } },
      { key: 'sluice.plan.abort', value: { boolValue: false } },
      { key: 'ratio', value: { doubleValue: 0.5 } },
    ]);
    expect(child.traceId).toBe(root.traceId);
    expect(child.parentSpanId).toBe(root.spanId);
    expect(child.kind).toBe(3);
    expect(child.status).toEqual({ code: 2, message: 'HTTP 409: the object has been modified' });
  });

  it('sends links by their ids and counts attributes past the bound', () => {
    const ended: FinishedSpan[] = [];
    const tracer = new RecordingTracer({ onEnd: (s) => ended.push(s), sampleRatio: 1 });
    const reconcile = tracer.startSpan('sluice.reconcile');
    const measure = tracer.startSpan('sluice.measure', { links: [reconcile] });
    for (let i = 0; i < 30; i++) measure.setAttribute(`a${i}`, 'x'.repeat(2000));
    measure.end();
    const span = encodeTraceRequest(source, ended).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(span.traceId).not.toBe(reconcile.context!.traceId);
    expect(span.links).toEqual([{ traceId: reconcile.context!.traceId, spanId: reconcile.context!.spanId }]);
    expect(span.attributes).toHaveLength(24);
    expect(span.droppedAttributesCount).toBe(6);
    expect(span.attributes[0]!.value.stringValue).toHaveLength(512);
  });

  it('never sends a lone surrogate: OTLP strings are UTF-8', () => {
    const ended: FinishedSpan[] = [];
    const tracer = new RecordingTracer({ onEnd: (s) => ended.push(s), sampleRatio: 1 });
    const span = tracer.startSpan('sluice.measure');
    span.setAttribute('cut', `${'x'.repeat(510)}😀😀`); // the cut falls between the halves of an emoji
    span.setAttribute('tenant', `a${String.fromCharCode(0xd800)}b`);
    span.end();
    const body = JSON.stringify(encodeTraceRequest(source, ended));
    expect(body).not.toMatch(/\\ud[89ab][0-9a-f]{2}/i);
    expect(Buffer.from(body, 'utf8').toString('utf8')).toBe(body);
  });
});
