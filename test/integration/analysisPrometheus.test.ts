/**
 * Stories of the analysis engine against the real Prometheus, scraping a real process that exports request
 * counters and a latency histogram per service and track: a canary with a high error rate fails, a healthy one
 * passes, missing data never passes, an unreachable Prometheus fails the metric after its error limit, the
 * statistical judge tells a 30% slower canary from an equal one, and an injected argument cannot widen a query.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type {
  AnalysisRunStatus,
  AnalysisTemplateSpec,
  Measurement,
  Metric,
  Rollout,
} from '../../controller/src/api/types.ts';
import { renderQuery } from '../../controller/src/analysis/args.ts';
import {
  evaluateAnalysis,
  type ActiveAnalysis,
  type AnalysisDeps,
  type AnalysisOutcome,
} from '../../controller/src/analysis/engine.ts';
import { measureInBackground } from '../../controller/src/analysis/measureTask.ts';
import { PrometheusProvider } from '../../controller/src/analysis/prometheus.ts';
import { prometheusMetricProvider } from '../../controller/src/analysis/prometheusMetric.ts';
import { connectPrometheus } from '../fixtures/prometheus.ts';
import type { TrafficSpec } from '../fixtures/trafficExporter.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/wait.ts';

const info = inject('prometheus');
const job = 'analysis-traffic';
const children: ChildProcess[] = [];
// The test's templates are namespaced and its Prometheus is on loopback: allow it, as an admin would.
const provider = new PrometheusProvider({
  userAgent: 'sluice-test',
  allowedHosts: [{ host: '127.0.0.1', port: undefined }],
});
let address = '';

const rollout: Rollout = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'checkout', namespace: 'shop' },
  spec: {
    workloadRef: { name: 'checkout' },
    strategy: { canary: { steps: [{ analysis: { templates: [{ templateName: 't' }] } }] } },
  },
};

/** Each service is one scenario; both tracks of it are served by the same exporter process. */
const traffic: TrafficSpec[] = [
  { service: 'healthy', track: 'stable', rps: 1000, errorRatio: 0.01, latencyMedian: 0.1 },
  { service: 'healthy', track: 'canary', rps: 1000, errorRatio: 0.01, latencyMedian: 0.1 },
  { service: 'failing', track: 'stable', rps: 200, errorRatio: 0.01, latencyMedian: 0.1 },
  { service: 'failing', track: 'canary', rps: 200, errorRatio: 0.3, latencyMedian: 0.1 },
  { service: 'idle', track: 'stable', rps: 200, errorRatio: 0.01, latencyMedian: 0.1 },
  { service: 'idle', track: 'canary', rps: 0, errorRatio: 0, latencyMedian: 0.1 },
  { service: 'slow', track: 'stable', rps: 1000, errorRatio: 0.01, latencyMedian: 0.1 },
  { service: 'slow', track: 'canary', rps: 1000, errorRatio: 0.01, latencyMedian: 0.13 },
];

const errorRateQuery =
  `sum(rate(http_requests_total{job="${job}",service="{{args.service}}",track="canary",code=~"5.."}[5s]))` +
  ` / sum(rate(http_requests_total{job="${job}",service="{{args.service}}",track="canary"}[5s]))`;

function errorRate(more: Partial<Metric> = {}): Metric {
  return {
    name: 'error-rate',
    successCondition: 'result < 0.05',
    failureCondition: 'result >= 0.10',
    provider: { prometheus: { address, timeout: '10s', query: errorRateQuery } },
    ...more,
  };
}

function latencyVsStable(): Metric {
  return {
    name: 'latency',
    provider: {
      prometheus: {
        address,
        query: `histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket{job="${job}",service="{{args.service}}",track="{{track}}"}[5s])))`,
        range: { lookback: '20s', step: '1s' },
      },
    },
    compare: { direction: 'increase', allowedIncrease: 1.1 },
  };
}

/** One analysis step over a template with these metrics, for `service`; returns the engine's outcome. */
async function analyse(
  metrics: Metric[],
  service: string,
  opts: { now?: Date; runs?: AnalysisRunStatus[]; clock?: () => Date } = {},
): Promise<AnalysisOutcome> {
  const spec: AnalysisTemplateSpec = { args: [{ name: 'service' }], metrics };
  const measured = new Map<string, Measurement>();
  const deps: AnalysisDeps = {
    templates: {
      analysisTemplate: (ns, name) => (ns === 'shop' && name === 't' ? spec : undefined),
      clusterAnalysisTemplate: () => undefined,
    },
    measurement: (id) => measured.get(id),
  };
  const active: ActiveAnalysis = {
    name: 'step-0',
    stepIndex: 0,
    revision: 'rev1',
    analysis: {
      field: 'spec.strategy.canary.steps[0].analysis',
      templates: [{ templateName: 't', clusterScope: false }],
      args: [{ name: 'service', value: service }],
    },
  };
  // The reconcile that finds the measurements due, the background taking them, and the reconcile that folds them in.
  const input = { rollout, now: opts.now ?? new Date(), runs: opts.runs ?? [], active: [active] };
  const first = evaluateAnalysis(input, deps);
  const taskDeps = {
    providers: { prometheus: prometheusMetricProvider(provider) },
    readSecrets: () => Promise.resolve(() => undefined),
    clock: opts.clock ?? (() => new Date()),
  };
  await Promise.all(
    first.due.map(async (due) => measured.set(due.id, await measureInBackground(due, rollout, taskDeps))),
  );
  return evaluateAnalysis({ ...input, runs: first.runs }, deps);
}

beforeAll(async () => {
  if (info === null) throw new Error('this suite needs Prometheus: include "prometheus" in SLUICE_TEST_SERVICES');
  address = info.url;
  const prom = connectPrometheus(info.url, info.targetsDir);
  const port = await freePort();
  const child = spawn(process.execPath, [join(import.meta.dirname, '../fixtures/trafficExporter.ts')], {
    env: { ...process.env, EXPORTER_PORT: String(port), EXPORTER_TRAFFIC: JSON.stringify(traffic) },
    stdio: 'inherit',
  });
  children.push(child);
  prom.setTargets(job, [`127.0.0.1:${port}`]);
  // rate() over 5s needs a few scrapes of the counters.
  await waitFor(
    async () =>
      (await prom.query(`sum(rate(http_requests_total{job="${job}",service="failing",track="canary"}[5s])) > 0`))
        .length > 0,
    {
      timeoutMs: 60_000,
      what: 'the traffic exporter in Prometheus',
    },
  );
});

afterAll(() => children.forEach((c) => c.kill('SIGTERM')));

describe('an error-rate metric on real traffic', () => {
  it('fails a canary whose error rate crosses the failureCondition, naming the value', async () => {
    const out = await analyse([errorRate()], 'failing');
    const verdict = out.verdicts.get('step-0')!;
    expect(verdict.kind).toBe('failed');
    expect(verdict.message).toMatch(
      /^metric error-rate failed: measured 0\.\d+ \(failureCondition result >= 0\.10\) 1 time, failureLimit 0$/,
    );
    const measured = Number(out.runs[0]!.metrics[0]!.measurements[0]!.value);
    expect(measured).toBeGreaterThan(0.25);
    expect(measured).toBeLessThan(0.35);
  });

  it('passes a canary whose error rate is within the successCondition', async () => {
    const out = await analyse([errorRate()], 'healthy');
    expect(out.verdicts.get('step-0')).toMatchObject({ kind: 'done' });
    expect(Number(out.runs[0]!.metrics[0]!.measurements[0]!.value)).toBeLessThan(0.05);
  });
});

describe('no data is never a pass', () => {
  // A successCondition that CEL holds true for NaN (!(NaN >= 0.10) is true): only the engine's rule stops it.
  const permissive = () => errorRate({ successCondition: '!(result >= 0.10)', failureCondition: undefined });

  it('an empty result is Inconclusive', async () => {
    const out = await analyse([permissive()], 'no-such-service');
    expect(out.verdicts.get('step-0')).toEqual({
      kind: 'inconclusive',
      message:
        'metric error-rate inconclusive: measured no data (the query returned no data; no data is never a pass) 1 time, inconclusiveLimit 0',
    });
  });

  it('a NaN result (0/0: a canary without traffic) is Inconclusive', async () => {
    const out = await analyse([permissive()], 'idle');
    expect(out.verdicts.get('step-0')?.kind).toBe('inconclusive');
    expect(out.runs[0]!.metrics[0]!.measurements[0]).toMatchObject({ phase: 'Inconclusive', value: 'NaN' });
  });

  it('a NaN quantile (no latency observations) is not Successful either', async () => {
    const metric: Metric = {
      name: 'p90',
      successCondition: 'result < 1',
      provider: {
        prometheus: {
          address,
          query: `histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket{job="${job}",service="{{args.service}}",track="canary"}[5s])))`,
        },
      },
    };
    const out = await analyse([metric], 'idle');
    expect(out.runs[0]!.metrics[0]!.measurements[0]).toMatchObject({ phase: 'Inconclusive', value: 'NaN' });
  });
});

describe('Prometheus unreachable', () => {
  it('records Error measurements and fails the metric after consecutiveErrorLimit, saying why', async () => {
    const closed = await freePort();
    const down = `http://127.0.0.1:${closed}`;
    const metric = errorRate({
      interval: '1s',
      consecutiveErrorLimit: 2,
      provider: { prometheus: { address: down, query: errorRateQuery } },
    });
    const start = Date.now();
    let runs: AnalysisRunStatus[] = [];
    let out: AnalysisOutcome | undefined;
    for (let i = 0; i < 3; i++) {
      // The engine's clock is driven by hand: one pass per interval, without waiting in real time.
      const now = new Date(start + i * 1000);
      out = await analyse([metric], 'failing', { now, runs, clock: () => now });
      runs = out.runs;
      const result = runs[0]!.metrics[0]!;
      expect(result).toMatchObject({ count: i + 1, errors: i + 1, consecutiveErrors: i + 1, successful: 0 });
      expect(result.measurements.at(-1)).toMatchObject({
        phase: 'Error',
        message: `Prometheus at ${down} was unreachable: connect ECONNREFUSED 127.0.0.1:${closed}`,
      });
      expect(out.verdicts.get('step-0')?.kind).toBe(i < 2 ? 'running' : 'failed');
    }
    expect(out!.verdicts.get('step-0')?.message).toBe(
      `metric error-rate: Prometheus at ${down} was unreachable 3 times in a row: connect ECONNREFUSED 127.0.0.1:${closed} (consecutiveErrorLimit 2)`,
    );
    expect(runs[0]!.phase).toBe('Error');
  });

  it('reports a query Prometheus refuses, in its own words', async () => {
    const metric = errorRate({
      provider: { prometheus: { address, query: 'sum(rate(http_requests_total{service="{{args.service}}"}))' } },
    });
    const out = await analyse([metric], 'failing');
    expect(out.runs[0]!.metrics[0]!.measurements[0]).toMatchObject({
      phase: 'Error',
      message: expect.stringMatching(/^Prometheus at .* refused the query \(bad_data\): .*parse error/) as string,
    });
  });
});

describe('the statistical judge through Prometheus', () => {
  beforeAll(async () => {
    // The judge needs the lookback (20s at 1s steps, plus the 5s rate window) filled on both tracks.
    const q = (track: string) =>
      `sum(rate(http_request_duration_seconds_count{job="${job}",service="slow",track="${track}"}[5s]))`;
    await waitFor(
      async () => {
        const end = new Date();
        const counts = await Promise.all(
          ['canary', 'stable'].map(async (track) => {
            const r = await provider.queryRange(address, q(track), {
              start: new Date(end.getTime() - 20_000),
              end,
              stepMs: 1000,
              timeoutMs: 5000,
            });
            return r.kind === 'matrix' ? r.series.flat().filter((v) => v > 0).length : 0;
          }),
        );
        // 21 steps in the window; a few may lack data when a scrape is late on a busy machine (the judge drops them).
        return counts.every((c) => c >= 16);
      },
      {
        timeoutMs: 90_000,
        intervalMs: 1000,
        what: 'at least 16 of the last 21 seconds of latency samples on both tracks',
      },
    );
  }, 120_000);

  it('fails a canary whose latency is 30% higher (High), with range queries per track', async () => {
    const out = await analyse([latencyVsStable()], 'slow');
    const verdict = out.verdicts.get('step-0')!;
    expect(verdict.kind).toBe('failed');
    expect(verdict.message).toMatch(
      /^metric latency failed: measured High \(ratio 1\.\d+, p=.*\) \(canary latency is [23]\d% higher than stable \(U=.*\); allowed up to \+10%\) 1 time, failureLimit 0$/,
    );
  });

  it('passes a canary with the same latency distribution', async () => {
    const out = await analyse([latencyVsStable()], 'healthy');
    expect(out.verdicts.get('step-0')?.kind).toBe('done');
    expect(out.runs[0]!.metrics[0]!.measurements[0]!.value).toMatch(/^Pass \(ratio (0\.9\d+|1(\.0\d+)?), p=.*\)$/);
  });
});

describe('an injected argument cannot widen a query', () => {
  const template = `sum(http_requests_total{service="{{args.service}}",job="${job}"})`;
  const args = (value: string) => ({ values: new Map([['service', value]]), secrets: [] });

  it.each(['"} or vector(1) or {"', `"} or vector(1) or {job="`])(
    '%s returns what the un-widened query returns',
    async (value) => {
      const prom = connectPrometheus(address, info!.targetsDir);
      // The control: pasted in unescaped, the second value does widen the query to vector(1) in this Prometheus.
      if (value.endsWith('job="')) {
        const naive = await prom.query(template.replace('{{args.service}}', value));
        expect(naive.map((s) => s.value[1])).toEqual(['1']);
      }
      const rendered = renderQuery(template, args(value));
      const unwidened = await provider.query(address, renderQuery(template, args('no-such-service')), {
        timeoutMs: 10_000,
      });
      expect(unwidened).toEqual({ kind: 'empty' });
      expect(await provider.query(address, rendered, { timeoutMs: 10_000 })).toEqual(unwidened);

      const out = await analyse(
        [
          errorRate({
            successCondition: 'result >= 0',
            failureCondition: undefined,
            provider: { prometheus: { address, query: template } },
          }),
        ],
        value,
      );
      expect(out.runs[0]!.metrics[0]!.measurements[0]).toMatchObject({ phase: 'Inconclusive', value: 'no data' });
    },
  );

  it.each([
    '"} or vector(1) or {"',
    'line\nbreak\r\ttab',
    'back\\slash \\" quote',
    "it's",
    'nul\x00 del\x7f esc\x1b',
    'ünïcødé ✓ 🚀',
    '{{args.service}}',
  ])('Prometheus reads the escaped value %j back exactly', async (value) => {
    const prom = connectPrometheus(address, info!.targetsDir);
    // label_replace writes the string literal into a label: what Prometheus parsed is what comes back.
    const [sample] = await prom.query(
      renderQuery('label_replace(vector(1), "v", "{{args.service}}", "", "")', args(value)),
    );
    expect(sample?.metric.v).toBe(value);
  });
});
