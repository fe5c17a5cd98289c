import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import type { OtlpTraceRequest } from './otlpJson.ts';
import { noopTracer } from './tracer.ts';
import { startTracing, tracesUrl, type TraceConfig } from './tracing.ts';

const off: TraceConfig = {
  otlpEndpoint: undefined,
  otlpTracesEndpoint: undefined,
  otlpHeaders: {},
  tracesSampler: 'parentbased_always_on',
  tracesSamplerArg: 1,
  tracesQueueSize: 2048,
  tracesExportDelay: 5_000,
};
const resource = { version: '0.1.0', instance: 'sluice-0', podName: 'sluice-0', podNamespace: 'sluice-system' };

function capturedLog() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, log: createLogger({ level: 'debug', destination }) };
}

interface Received {
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: OtlpTraceRequest;
}

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve()))));

/** A stand-in collector answering `status`, recording what it received. */
async function collector(status = 200): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ url: req.url, headers: req.headers, body: JSON.parse(body) as OtlpTraceRequest });
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

describe('startTracing', () => {
  it('is the no-op tracer with no endpoint, and registers no trace metrics', async () => {
    const registry = new Registry();
    const tracing = startTracing(off, resource, { registry, log: capturedLog().log });
    expect(tracing.tracer).toBe(noopTracer);
    expect(await registry.metrics()).not.toContain('sluice_trace');
    await tracing.shutdown(10);
  });

  it('is off when the sampler records nothing', () => {
    const config = { ...off, otlpEndpoint: 'http://127.0.0.1:1', tracesSampler: 'always_off' as const };
    expect(startTracing(config, resource, { registry: new Registry(), log: capturedLog().log }).tracer).toBe(
      noopTracer,
    );
  });

  it('posts spans with the resource and the headers, and never logs a header value', async () => {
    const { url, received } = await collector();
    const { lines, log } = capturedLog();
    const registry = new Registry();
    const config = { ...off, otlpEndpoint: `${url}/otlp/`, otlpHeaders: { 'api-key': 'k-9f8e7d' } };
    const tracing = startTracing(config, resource, { registry, log });
    tracing.tracer.startSpan('sluice.reconcile').end();
    await tracing.shutdown(2_000);
    expect(received).toHaveLength(1);
    expect(received[0]!.url).toBe('/otlp/v1/traces');
    expect(received[0]!.headers['content-type']).toBe('application/json');
    expect(received[0]!.headers['api-key']).toBe('k-9f8e7d');
    const attributes = received[0]!.body.resourceSpans[0]!.resource.attributes;
    expect(attributes.map((a) => a.key)).toEqual([
      'service.name',
      'service.version',
      'service.instance.id',
      'k8s.pod.name',
      'k8s.namespace.name',
    ]);
    expect(await registry.metrics()).toContain('sluice_trace_spans_total{result="exported"} 1');
    expect(lines.join('')).toContain('tracing on');
    expect(lines.join('')).not.toContain('k-9f8e7d');
  });

  it('logs a refusing collector once, without the query string, and counts the failed spans', async () => {
    const { url } = await collector(503);
    const { lines, log } = capturedLog();
    const registry = new Registry();
    const config = { ...off, otlpTracesEndpoint: `${url}/v1/traces?key=k-1234` };
    const tracing = startTracing(config, resource, { registry, log, batch: { maxExportBatchSize: 1 } });
    tracing.tracer.startSpan('a').end();
    await new Promise((resolve) => setTimeout(resolve, 200));
    tracing.tracer.startSpan('b').end(); // within the backoff: queued
    await tracing.shutdown(2_000);
    const warnings = lines.filter((l) => l.includes('trace export failed'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('HTTP 503');
    expect(lines.join('')).not.toContain('k-1234');
    expect(await registry.metrics()).toContain('sluice_trace_spans_total{result="failed"} 2');
  });
});

describe('tracesUrl', () => {
  it('adds /v1/traces to the general endpoint and takes the traces endpoint as it is', () => {
    expect(tracesUrl({ otlpEndpoint: 'http://c:4318', otlpTracesEndpoint: undefined })).toBe('http://c:4318/v1/traces');
    expect(tracesUrl({ otlpEndpoint: 'http://c:4318/', otlpTracesEndpoint: 'http://d/x' })).toBe('http://d/x');
    expect(tracesUrl({ otlpEndpoint: undefined, otlpTracesEndpoint: undefined })).toBeUndefined();
  });
});
