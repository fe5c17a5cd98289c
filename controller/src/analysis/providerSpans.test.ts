/**
 * review: only the Prometheus provider had a child span of its own; a measurement of the web, InfluxDB or Job
 * provider was one opaque span, so an on-call engineer could not tell a slow endpoint from a slow Job or a Job
 * stuck in creation. Each provider's outbound work is a client span under the measurement's: the host and path
 * (never the query string, the query or a header, which may hold a Secret's value) and the answer's status.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1Job } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { Metric } from '../api/types.ts';
import type { FinishedSpan } from '../trace/span.ts';
import { RecordingTracer } from '../trace/tracer.ts';
import { AnswerBudget } from './answerBudget.ts';
import { influxdbMetricProvider, type InfluxdbClientOptions } from './influxdb.ts';
import { jobMetricProvider, type JobApi, type JobProviderOptions } from './job.ts';
import { takeMeasurement } from './measure.ts';
import type { ProviderSet } from './provider.ts';
import { webMetricProvider, type WebProviderOptions } from './web.ts';

const secret = 'tok-SECRET-42';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(status: number, body: string): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(status, { 'Content-Type': 'application/json' }).end(body));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function traced() {
  const ended: FinishedSpan[] = [];
  const tracer = new RecordingTracer({ onEnd: (s) => ended.push(s), sampleRatio: 1 });
  return { ended, tracer };
}

/** A measurement taken under a span standing for the measurement's own (measureSpan.ts makes it current). */
async function measureUnder(tracer: RecordingTracer, provider: Metric['provider'], providers: ProviderSet) {
  const parent = tracer.startSpan('sluice.measure');
  const measurement = await tracer.withSpan(parent, () =>
    takeMeasurement(
      {
        metric: { name: 'm', successCondition: 'result < 10', provider },
        args: { values: new Map([['key', secret]]), secrets: [secret] },
        namespace: 'shop',
        field: 'AnalysisTemplate shop/t metrics[m]',
        startedAt: new Date(),
        trusted: true,
        rollout: { name: 'checkout', uid: 'uid-1' },
        measurementId: 'run/rev/at/m/0',
      },
      { providers, readSecret: () => undefined, clock: () => new Date() },
    ),
  );
  parent.end();
  return { parent, measurement };
}

const attributesOf = (span: FinishedSpan | undefined) => Object.fromEntries(span?.attributes ?? []);

describe('provider child spans', () => {
  it('the web provider: one client span per request, host and path only', async () => {
    const url = await serve(200, '{"errors": 1}');
    const { ended, tracer } = traced();
    // A variable, not a literal: the options gain `tracer` with the fix.
    const options: WebProviderOptions = { budget: new AnswerBudget(16 * 1024 * 1024), allowedHosts: [], ...{ tracer } };
    const { parent, measurement } = await measureUnder(
      tracer,
      { web: { url: `${url}/health?key={{args.key}}`, jsonPath: '{$.errors}' } },
      { web: webMetricProvider(options) },
    );
    expect(measurement.phase).toBe('Successful');
    const call = ended.find((s) => s.name === 'web GET');
    expect(call?.parentSpanId).toBe(parent.context!.spanId);
    expect(call?.kind).toBe('client');
    expect(attributesOf(call)).toMatchObject({
      'server.address': new URL(url).host,
      'url.path': '/health',
      'http.response.status_code': 200,
    });
    expect(JSON.stringify(ended.map((s) => [s.status, [...s.attributes]]))).not.toContain(secret);
  });

  it('the InfluxDB provider: one client span per query, marked as an error when refused', async () => {
    const url = await serve(400, JSON.stringify({ error: `error parsing query: found ${secret}` }));
    const { ended, tracer } = traced();
    const options: InfluxdbClientOptions = { userAgent: 'sluice-test', ...{ tracer } };
    const { parent, measurement } = await measureUnder(
      tracer,
      { influxdb: { address: url, database: 'd', query: `SELECT v FROM e WHERE k = '{{args.key}}'` } },
      { influxdb: influxdbMetricProvider(options) },
    );
    expect(measurement.phase).toBe('Error');
    const call = ended.find((s) => s.name === 'influxdb query');
    expect(call?.parentSpanId).toBe(parent.context!.spanId);
    expect(call?.kind).toBe('client');
    expect(call?.status.code).toBe('error');
    expect(attributesOf(call)).toMatchObject({
      'server.address': new URL(url).host,
      'url.path': '/query',
      'http.response.status_code': 400,
    });
    expect(JSON.stringify(ended.map((s) => [s.status, [...s.attributes]]))).not.toContain(secret);
  });

  it('the Job provider: spans for the create, the wait and the delete', async () => {
    const jobs = new Map<string, V1Job>();
    const api: JobApi = {
      create: (job) => {
        const made = { ...job, metadata: { ...job.metadata, uid: 'job-uid-1' }, status: {} };
        jobs.set(job.metadata!.name!, made);
        return Promise.resolve(made);
      },
      read: (_ns, n) => {
        const job = jobs.get(n);
        if (job !== undefined)
          job.status = {
            conditions: [
              { type: 'SuccessCriteriaMet', status: 'True' },
              { type: 'Complete', status: 'True' },
            ],
          };
        return Promise.resolve(job === undefined ? undefined : structuredClone(job));
      },
      delete: (_ns, n) => {
        jobs.delete(n);
        return Promise.resolve();
      },
      pods: () => Promise.resolve([]),
      log: () => Promise.resolve(''),
    };
    const { ended, tracer } = traced();
    const options: JobProviderOptions = { pollMs: { first: 1, max: 4 }, ...{ tracer } };
    const { parent, measurement } = await measureUnder(
      tracer,
      { job: { spec: { template: { spec: { containers: [{ name: 'smoke', image: 'curl' }] } } } } },
      { job: jobMetricProvider(api, options) },
    );
    expect(measurement.phase).toBe('Successful');
    const names = ended.filter((s) => s.parentSpanId === parent.context!.spanId).map((s) => s.name);
    expect(names).toEqual(['job create', 'job wait', 'job delete']);
    const create = ended.find((s) => s.name === 'job create');
    expect(attributesOf(create)['k8s.namespace.name']).toBe('shop');
    expect(typeof attributesOf(create)['k8s.job.name']).toBe('string');
  });
});
