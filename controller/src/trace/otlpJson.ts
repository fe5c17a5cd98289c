/**
 * The OTLP/HTTP JSON encoding of a batch of spans (ExportTraceServiceRequest), as the OTLP specification's JSON
 * mapping of the protobuf messages says: lowerCamelCase field names, trace and span ids as hex strings (not base64),
 * enums as integers, 64-bit integers (times, intValue) as decimal strings.
 * https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
 */
import { spanKinds, statusCodes, type AttributeValue, type FinishedSpan } from './span.ts';

export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
}

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount?: number;
  links?: { traceId: string; spanId: string }[];
  status: { code: number; message?: string };
}

export interface OtlpTraceRequest {
  resourceSpans: {
    resource: { attributes: OtlpKeyValue[] };
    scopeSpans: { scope: { name: string; version: string }; spans: OtlpSpan[] }[];
  }[];
}

/** Who sends the spans (resource) and which instrumentation made them (scope). */
export interface TraceSource {
  resource: Readonly<Record<string, AttributeValue>>;
  scope: { name: string; version: string };
}

export function encodeTraceRequest(source: TraceSource, spans: readonly FinishedSpan[]): OtlpTraceRequest {
  return {
    resourceSpans: [
      {
        resource: { attributes: Object.entries(source.resource).map(([key, value]) => keyValue(key, value)) },
        scopeSpans: [{ scope: source.scope, spans: spans.map(encodeSpan) }],
      },
    ],
  };
}

export function encodeSpan(span: FinishedSpan): OtlpSpan {
  const encoded: OtlpSpan = {
    traceId: span.traceId,
    spanId: span.spanId,
    name: span.name,
    kind: spanKinds[span.kind],
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    endTimeUnixNano: span.endTimeUnixNano.toString(),
    attributes: [...span.attributes].map(([key, value]) => keyValue(key, value)),
    status: { code: statusCodes[span.status.code] },
  };
  if (span.parentSpanId !== undefined) encoded.parentSpanId = span.parentSpanId;
  if (span.droppedAttributesCount > 0) encoded.droppedAttributesCount = span.droppedAttributesCount;
  if (span.links.length > 0) encoded.links = span.links.map(({ traceId, spanId }) => ({ traceId, spanId }));
  if (span.status.message !== undefined) encoded.status.message = span.status.message;
  return encoded;
}

function keyValue(key: string, value: AttributeValue): OtlpKeyValue {
  return { key, value: anyValue(value) };
}

function anyValue(value: AttributeValue): OtlpAnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  // An integer is an int64 (a string in JSON); anything else a double. Non-finite numbers never get here (span.ts).
  return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value };
}
