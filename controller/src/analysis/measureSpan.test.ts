/**
 * A measurement's spans, through measureInBackground and the real PrometheusProvider against a local server that
 * answers as Prometheus does: a trace of its own linked to the reconcile that asked, the Prometheus call as its
 * child, the template's query recorded and the Secret's value filled into it nowhere.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Rollout } from '../api/types.ts';
import type { FinishedSpan } from '../trace/span.ts';
import { noopTracer, RecordingTracer } from '../trace/tracer.ts';
import type { DueMeasurement } from './engine.ts';
import { measureInBackground } from './measureTask.ts';
import { PrometheusProvider } from './prometheus.ts';
import { prometheusMetricProvider } from './prometheusMetric.ts';

let server: Server;
let address: string;
let bodies: string[];
let answer: { status: number; body: unknown };
beforeEach(async () => {
  bodies = [];
  answer = { status: 200, body: { status: 'success', data: { resultType: 'scalar', result: [1700000000, '0.01'] } } };
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      bodies.push(decodeURIComponent(body));
      res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

const query = 'sum(rate(http_requests_total{tenant="{{args.tenant}}",code=~"5.."}[1m]))';
const rollout = { metadata: { name: 'checkout', namespace: 'shop', uid: 'u1' }, spec: {} } as unknown as Rollout;
const due = (): DueMeasurement => ({
  id: 'canary/abc/t0/error-rate/0',
  run: { name: 'canary', revision: 'abc' },
  metric: {
    name: 'error-rate',
    successCondition: 'result < 0.05',
    provider: { prometheus: { address, query } },
  },
  templateArgs: [{ name: 'tenant', valueFrom: { secretKeyRef: { name: 'prom', key: 'tenant' } } }],
  passedArgs: [],
  template: 'ClusterAnalysisTemplate error-rate',
  clusterScope: true,
  argsField: 'spec.strategy.canary.analysis.args',
  field: 'ClusterAnalysisTemplate error-rate: spec.metrics[0]',
});

function traced() {
  const ended: FinishedSpan[] = [];
  const tracer = new RecordingTracer({ onEnd: (s) => ended.push(s), sampleRatio: 1 });
  const deps = {
    providers: { prometheus: prometheusMetricProvider(new PrometheusProvider({ tracer })) },
    readSecrets: () => Promise.resolve(() => 'tenant-s3cret'),
    clock: () => new Date(),
    tracer,
  };
  return { ended, tracer, deps };
}

describe('a measurement in the background', () => {
  it('is a trace of its own, linked to the reconcile, with the Prometheus call as its child', async () => {
    const { ended, tracer, deps } = traced();
    const reconcile = tracer.startSpan('sluice.reconcile');
    // Asked for from inside the reconcile, as reconcile.ts does: the measurement must not become its child.
    const measurement = await tracer.withSpan(reconcile, () => measureInBackground(due(), rollout, deps, reconcile));
    reconcile.end();
    expect(measurement.phase).toBe('Successful');
    expect(bodies[0]).toContain('tenant-s3cret'); // it was filled in for Prometheus...
    const [call, measure] = ended;
    expect(measure!.name).toBe('sluice.measure');
    expect(measure!.traceId).not.toBe(reconcile.context!.traceId);
    expect(measure!.parentSpanId).toBeUndefined();
    expect(measure!.links).toEqual([reconcile.context]);
    expect(Object.fromEntries(measure!.attributes)).toMatchObject({
      'sluice.rollout.namespace': 'shop',
      'sluice.rollout.name': 'checkout',
      'sluice.analysis.metric': 'error-rate',
      'sluice.analysis.provider': 'prometheus',
      'sluice.analysis.query': query,
      'sluice.measurement.phase': 'Successful',
      'sluice.measurement.value': '0.01',
    });
    expect(call!.name).toBe('prometheus api/v1/query');
    expect(call!.parentSpanId).toBe(measure!.spanId);
    expect(call!.attributes.get('sluice.prometheus.result')).toBe('scalar');
    // ...and is in no span.
    expect(JSON.stringify(ended.map((s) => [...s.attributes]))).not.toContain('tenant-s3cret');
  });

  it('marks a measurement Prometheus refused as an error, on both spans', async () => {
    answer = { status: 503, body: { status: 'error', errorType: 'unavailable', error: 'overloaded' } };
    const { ended, deps } = traced();
    const measurement = await measureInBackground(due(), rollout, deps);
    expect(measurement.phase).toBe('Error');
    expect(ended.map((s) => s.status.code)).toEqual(['error', 'error']);
    expect(ended[1]!.links).toEqual([]);
  });

  // review: a Secret's value reaches a span. Prometheus's bad_data answer quotes the filled-in query, and
  // prometheusAnswer.ts keeps those words; the measurement's message then becomes the span's status message, so a
  // Secret-sourced argument lands in the shared collector, which every tenant's on-call may read. The span must
  // carry the words with the Secret's value masked.
  it("never puts a Secret's value quoted back by Prometheus into a span", async () => {
    answer = {
      status: 400,
      body: {
        status: 'error',
        errorType: 'bad_data',
        error: '1:30: parse error: unexpected identifier "tenant-s3cret"',
      },
    };
    const { ended, deps } = traced();
    const measurement = await measureInBackground(due(), rollout, deps);
    expect(measurement.phase).toBe('Error');
    expect(ended.map((s) => s.status.code)).toEqual(['error', 'error']);
    expect(JSON.stringify(ended.map((s) => [s.status, [...s.attributes]]))).not.toContain('tenant-s3cret');
  });

  it('makes no span with tracing off', async () => {
    const { ended, deps } = traced();
    const measurement = await measureInBackground(due(), rollout, { ...deps, tracer: noopTracer });
    expect(measurement.phase).toBe('Successful');
    expect(ended).toEqual([]);
  });
});
