/**
 * Stories of the controller's traces, against a real OpenTelemetry Collector (test/fixtures/otelCollector.ts) and a
 * real Prometheus: a canary with an analysis step gives a trace per reconcile carrying the planner's decision, its
 * Kubernetes writes as children, and measurements linked to the reconcile that asked for them; a collector that
 * hangs mid-rollout delays nothing and costs a bounded queue (spans are dropped and counted); a controller without
 * an endpoint sends nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectPrometheus } from '../fixtures/prometheus.ts';
import { startOtelCollector, type CollectedSpan, type OtelCollector } from '../fixtures/otelCollector.ts';
import { waitFor } from '../support/wait.ts';
import { createErrorRateTemplate, startExporter, type Exporter } from './analysisStory.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { createApp, createRollout, routedSpec, setImage, waitForRollout, waitForPromotion } from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('traces');
const quiet = useNamespace('untraced');
const stopping = useNamespace('flushed');
const info = inject('prometheus');
const queueSize = 32;
let collector: OtelCollector;
let controller: ControllerProcess;
let exporter: Exporter;

beforeAll(async () => {
  if (info === null) throw new Error('this suite needs Prometheus: include "prometheus" in SLUICE_TEST_SERVICES');
  collector = await startOtelCollector(mkdtempSync(join(tmpdir(), 'sluice-otelcol-')));
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({
    namespace: ns.name,
    name: 'traced',
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=k-7f3a9c',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_BSP_MAX_QUEUE_SIZE: String(queueSize),
    },
  });
  const prom = connectPrometheus(info.url, info.targetsDir);
  exporter = await startExporter(
    [{ service: 'shop', track: 'canary', rps: 100, errorRatio: 0.005, latencyMedian: 0.05 }],
    prom,
    'traces-canary',
  );
  await createErrorRateTemplate(ns.name, 'error-rate', info.url, { count: 2 });
}, 180_000);

afterAll(async () => {
  exporter?.stop();
  await controller?.stop();
  await collector?.stop();
});

const analysis = {
  analysis: { templates: [{ templateName: 'error-rate' }], args: [{ name: 'service', value: 'shop' }] },
};
const ofRollout = (spans: CollectedSpan[], name: string) =>
  spans.filter(
    (s) => s.attributes['sluice.rollout.namespace'] === ns.name && s.attributes['sluice.rollout.name'] === name,
  );

/** Creates the Rollout at its first revision, then rolls out `image`; resolves with the time the canary took. */
async function rollOut(name: string, image: string, first: boolean): Promise<number> {
  if (first) {
    await createApp(ns.name, name, { replicas: 2, route: true });
    await createRollout(ns.name, name, {
      ...routedSpec(name),
      strategy: { canary: { steps: [{ setWeight: 20 }, analysis, { setWeight: 60 }, { pause: { duration: '2s' } }] } },
    });
  }
  const before = await waitForRollout(ns.name, name, 'Healthy', (r) => r.status?.phase === 'Healthy');
  const started = Date.now();
  await setImage(ns.name, name, image);
  await waitForPromotion(ns.name, name, before, 120_000);
  return Date.now() - started;
}

let firstCanaryMs = 0;

describe('given a Rollout whose canary has an analysis step on real Prometheus', () => {
  it('the collector receives a trace per reconcile with the decision, its writes as children, and the measurements', async () => {
    firstCanaryMs = await rollOut('shop', 'example.invalid/app:v2', true);
    // A trace per reconcile: as many reconcile spans as the controller counted reconciles, once the last are sent.
    const reconcileCount = () => controller.metric('sluice_reconcile_duration_seconds_count');
    const reconciles = await waitFor(
      async () => {
        const spans = collector.spans().filter((s) => s.name === 'sluice.reconcile');
        return spans.length > 0 && spans.length === (await reconcileCount()) ? spans : undefined;
      },
      { timeoutMs: 15_000, what: 'a reconcile span for every reconcile the controller counted' },
    );
    expect(new Set(reconciles.map((s) => s.traceId)).size).toBe(reconciles.length);
    expect(reconciles.every((s) => s.parentSpanId === undefined || s.parentSpanId === '')).toBe(true);
    expect(reconciles[0]!.resource).toMatchObject({
      'service.name': 'sluice-controller',
      'service.instance.id': 'traced',
    });

    const spans = collector.spans();
    const mine = ofRollout(spans, 'shop').filter((s) => s.name === 'sluice.reconcile');
    const decisions = mine.map((s) => String(s.attributes['sluice.plan.decision']));
    console.log(`[traces story] ${mine.length} reconcile spans; decisions: ${[...new Set(decisions)].join(' | ')}`);
    const stepDone = mine.find((s) => String(s.attributes['sluice.plan.decision']).includes('StepCompleted'));
    expect(stepDone?.attributes['sluice.plan.reason']).toMatch(/done/);
    const promoted = mine.find((s) => String(s.attributes['sluice.plan.decision']).includes('Promoted'));
    expect(promoted?.attributes['sluice.plan.reason']).toMatch(/stable|every step/);

    // The writes of the promoting reconcile are its children in its trace, with the object and the answer.
    const writes = spans.filter((s) => s.parentSpanId === promoted!.spanId);
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) {
      expect(w.traceId).toBe(promoted!.traceId);
      expect(w.kind).toBe(3); // client
      expect(w.name).toMatch(/^kube (patch|create|update|delete) /);
      expect(w.attributes['http.response.status_code']).toBeLessThan(400);
    }
    expect(writes.map((w) => w.attributes['k8s.resource'])).toContain('rollouts/status');

    // Measurements: traces of their own, linked to a reconcile of this Rollout, the Prometheus query their child.
    const reconcileIds = new Set(mine.map((s) => s.spanId));
    const measures = ofRollout(spans, 'shop').filter((s) => s.name === 'sluice.measure');
    expect(measures.length).toBeGreaterThanOrEqual(2);
    for (const m of measures) {
      expect(m.links.some((l) => reconcileIds.has(l.spanId))).toBe(true);
      expect(m.attributes['sluice.analysis.query']).toContain('{{args.service}}');
      expect(m.attributes['sluice.measurement.phase']).toBe('Successful');
      const query = spans.find((s) => s.parentSpanId === m.spanId);
      expect(query).toMatchObject({ name: 'prometheus api/v1/query', traceId: m.traceId });
    }
    // The header holding a key went to the collector and nowhere else.
    expect(JSON.stringify(spans)).not.toContain('k-7f3a9c');
    expect(await controller.metric('sluice_trace_spans_total', { result: 'dropped' })).toBe(0);
  }, 240_000);

  it('when the collector hangs mid-rollout, the rollout completes on time and spans are dropped, not held', async () => {
    const rss = () => controller.metric('process_resident_memory_bytes');
    const rssBefore = await rss();
    collector.pause();
    let maxQueued = 0;
    const sampling = setInterval(() => {
      void controller.metric('sluice_trace_queue_spans').then(
        (q) => (maxQueued = Math.max(maxQueued, q)),
        () => undefined,
      );
    }, 250);
    let canaryMs: number;
    let secondMs: number;
    try {
      canaryMs = await rollOut('shop', 'example.invalid/app:v3', false);
      // A second release while still hung: the one export in flight holds at most a queue's worth of spans, so two
      // canaries' spans overflow the queue whenever the first export left (CI saw one canary fit: 18/32 queued).
      secondMs = await rollOut('shop', 'example.invalid/app:v3b', false);
    } catch (err) {
      collector.resume(); // a paused collector would fail every later story of this file too
      throw err;
    } finally {
      clearInterval(sampling);
    }
    const dropped = await controller.metric('sluice_trace_spans_total', { result: 'dropped' });
    const rssAfter = await rss();
    console.log(
      `[traces story] canary with the collector up: ${firstCanaryMs} ms, hung: ${canaryMs} and ${secondMs} ms; ${dropped} spans dropped; ` +
        `queue at most ${maxQueued}/${queueSize}; RSS ${Math.round(rssBefore / 2 ** 20)} -> ${Math.round(rssAfter / 2 ** 20)} MiB`,
    );
    // The same steps take no longer for a collector that never answers (2x and 10 s of slack for a busy machine).
    expect(canaryMs).toBeLessThan(firstCanaryMs * 2 + 10_000);
    expect(secondMs).toBeLessThan(firstCanaryMs * 2 + 10_000);
    if (dropped === 0) collector.resume(); // keep the next stories' collector answering when this one fails
    expect(dropped).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThanOrEqual(queueSize);
    expect(rssAfter - rssBefore).toBeLessThan(64 * 2 ** 20);

    // Back: the collector answers the request it held, and the next spans are exported again.
    collector.resume();
    const exported = await controller.metric('sluice_trace_spans_total', { result: 'exported' });
    await setImage(ns.name, 'shop', 'example.invalid/app:v4');
    await waitFor(
      async () => (await controller.metric('sluice_trace_spans_total', { result: 'exported' })) > exported,
      { timeoutMs: 90_000, intervalMs: 500, what: 'spans exported again after the collector came back' },
    );
    await waitForRollout(ns.name, 'shop', 'promoted v4', (r) => r.status?.phase === 'Healthy', 120_000);
  }, 360_000);
});

describe('given a controller without an OTLP endpoint', () => {
  it('sends nothing and exports no trace metrics', async () => {
    const plain = await startController({ namespace: quiet.name, name: 'untraced' });
    try {
      await createApp(quiet.name, 'plain', { replicas: 1, route: true });
      await createRollout(quiet.name, 'plain', {
        ...routedSpec('plain'),
        strategy: { canary: { steps: [{ setWeight: 50 }] } },
      });
      await waitForRollout(quiet.name, 'plain', 'Healthy', (r) => r.status?.phase === 'Healthy');
      expect(await plain.metric('sluice_reconcile_duration_seconds_count')).toBeGreaterThan(0);
      const text = await (await fetch(`${plain.metricsUrl}/metrics`)).text();
      expect(text).not.toContain('sluice_trace_');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(collector.spans().filter((s) => s.resource['service.instance.id'] === 'untraced')).toEqual([]);
      expect(collector.spans().filter((s) => s.attributes['sluice.rollout.namespace'] === quiet.name)).toEqual([]);
    } finally {
      await plain.stop();
    }
  }, 120_000);
});

describe('given a controller stopping with spans still queued', () => {
  it('sends them on SIGTERM', async () => {
    // A minute between exports: nothing leaves before the stop but what the stop itself sends.
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_BSP_SCHEDULE_DELAY: '60000' };
    const flushed = await startController({ namespace: stopping.name, name: 'flushed', env });
    const fromIt = () => collector.spans().filter((s) => s.resource['service.instance.id'] === 'flushed');
    let reconciles: number;
    try {
      await createApp(stopping.name, 'last', { replicas: 1, route: true });
      await createRollout(stopping.name, 'last', {
        ...routedSpec('last'),
        strategy: { canary: { steps: [{ setWeight: 50 }] } },
      });
      await waitForRollout(stopping.name, 'last', 'Healthy', (r) => r.status?.phase === 'Healthy');
      reconciles = await flushed.metric('sluice_reconcile_duration_seconds_count');
      expect(await flushed.metric('sluice_trace_queue_spans')).toBeGreaterThan(0);
      expect(fromIt()).toEqual([]);
    } finally {
      await flushed.stop();
    }
    await waitFor(() => fromIt().filter((s) => s.name === 'sluice.reconcile').length >= reconciles, {
      timeoutMs: 5_000,
      what: 'the queued spans at the collector after SIGTERM',
    });
  }, 120_000);
});
