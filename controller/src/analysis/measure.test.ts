import { describe, expect, it } from 'vitest';
import type { Metric } from '../api/types.ts';
import type { ResolvedArgs } from './args.ts';
import { AnalysisConfigError } from './errors.ts';
import { formatNumber, formatResult, takeMeasurement, type MeasureDeps, type MeasureInput } from './measure.ts';
import { prometheusMetricProvider } from './prometheusMetric.ts';
import type { PrometheusApi, PromResult, QueryOptions, RangeQueryOptions } from './prometheus.ts';

interface Call {
  kind: 'query' | 'range';
  address: string;
  promql: string;
  opts: QueryOptions | RangeQueryOptions;
}

/** A Prometheus stand-in that records every call and answers with `answer(promql)`. */
function fakeProvider(answer: (promql: string) => PromResult | Promise<PromResult>): PrometheusApi & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    query: async (address, promql, opts) => {
      calls.push({ kind: 'query', address, promql, opts });
      return answer(promql);
    },
    queryRange: async (address, promql, opts) => {
      calls.push({ kind: 'range', address, promql, opts });
      return answer(promql);
    },
  };
}

const startedAt = new Date('2026-01-01T00:10:00Z');
const finishedAt = new Date('2026-01-01T00:10:01Z');
const secrets: Record<string, string> = {
  'shop/prom/token': 'tok-123456',
  'shop/prom/password': 'pw-987654',
  'shop/prom/tenant': 'tenant-a',
};

function deps(provider: PrometheusApi): MeasureDeps {
  return {
    providers: { prometheus: prometheusMetricProvider(provider) },
    readSecret: (ns, name, key) => secrets[`${ns}/${name}/${key}`],
    clock: () => finishedAt,
  };
}

const args = (values: Record<string, string>, secretValues: string[] = []): ResolvedArgs => ({
  values: new Map(Object.entries(values)),
  secrets: secretValues,
});

const errorRate: Metric = {
  name: 'error-rate',
  successCondition: 'result < 0.05',
  failureCondition: 'result >= 0.10',
  provider: {
    prometheus: {
      address: 'http://prom:9090',
      timeout: '10s',
      query: 'sum(rate(errors{service="{{args.service}}"}[1m]))',
    },
  },
};

function input(metric: Metric, more: Partial<MeasureInput> = {}): MeasureInput {
  return {
    metric,
    args: args({ service: 'checkout' }),
    namespace: 'shop',
    field: 'AnalysisTemplate shop/t metrics[0]',
    startedAt,
    ...more,
  };
}

describe('takeMeasurement with conditions', () => {
  it('renders the query, asks Prometheus once and judges the value', async () => {
    const provider = fakeProvider(() => ({ kind: 'scalar', values: [0.31] }));
    const m = await takeMeasurement(input(errorRate), deps(provider));
    expect(m).toEqual({
      phase: 'Failed',
      value: '0.31',
      message: 'failureCondition result >= 0.10',
      decidedBy: 'failureCondition',
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
    });
    expect(provider.calls).toEqual([
      {
        kind: 'query',
        address: 'http://prom:9090',
        promql: 'sum(rate(errors{service="checkout"}[1m]))',
        opts: { timeoutMs: 10_000, headers: {}, trusted: false, tenant: 'shop', secrets: [] },
      },
    ]);
  });

  it('passes a value within the successCondition', async () => {
    const m = await takeMeasurement(input(errorRate), deps(fakeProvider(() => ({ kind: 'vector', values: [0.01] }))));
    expect(m).toMatchObject({ phase: 'Successful', value: '0.01' });
    expect(m.message).toBeUndefined();
  });

  it.each<[PromResult, string, string]>([
    [{ kind: 'empty' }, 'Inconclusive', 'no data'],
    [{ kind: 'scalar', values: [NaN] }, 'Inconclusive', 'NaN'],
    [{ kind: 'vector', values: [Infinity] }, 'Failed', '+Inf'],
  ])('never passes %j', async (answer, phase, value) => {
    expect(await takeMeasurement(input(errorRate), deps(fakeProvider(() => answer)))).toMatchObject({ phase, value });
  });

  it('makes a Prometheus error an Error measurement with its message', async () => {
    const message = 'Prometheus at http://prom:9090 was unreachable: connect ECONNREFUSED 10.0.0.1:9090';
    expect(
      await takeMeasurement(input(errorRate), deps(fakeProvider(() => ({ kind: 'error', message })))),
    ).toMatchObject({ phase: 'Error', message });
  });

  it('queries a range over lookback when the metric has one, and gives the samples to the conditions', async () => {
    const metric: Metric = { ...errorRate, successCondition: 'result.all(x, x < 0.05)', failureCondition: undefined };
    metric.provider = { prometheus: { ...errorRate.provider.prometheus!, range: { lookback: '5m', step: '30s' } } };
    const provider = fakeProvider(() => ({ kind: 'matrix', series: [[0.01, 0.02]] }));
    expect(await takeMeasurement(input(metric), deps(provider))).toMatchObject({
      phase: 'Successful',
      value: '[0.01, 0.02]',
    });
    expect(provider.calls[0]!.opts).toEqual({
      start: new Date('2026-01-01T00:05:00Z'),
      end: startedAt,
      stepMs: 30_000,
      timeoutMs: 10_000,
      headers: {},
      trusted: false,
      tenant: 'shop',
      secrets: [],
    });
  });

  it('uses the default timeout of 30s', async () => {
    const provider = fakeProvider(() => ({ kind: 'scalar', values: [0] }));
    await takeMeasurement(
      input({ ...errorRate, provider: { prometheus: { address: 'http://p', query: 'up' } } }),
      deps(provider),
    );
    expect(provider.calls[0]!.opts.timeoutMs).toBe(30_000);
  });

  it("passes on whether the metric's template is trusted (a ClusterAnalysisTemplate), for the provider's host check", async () => {
    const provider = fakeProvider(() => ({ kind: 'scalar', values: [0] }));
    await takeMeasurement({ ...input(errorRate), trusted: true }, deps(provider));
    expect(provider.calls[0]!.opts.trusted).toBe(true);
  });
});

describe('takeMeasurement with compare', () => {
  const latency: Metric = {
    name: 'latency',
    provider: {
      prometheus: {
        address: 'http://prom:9090',
        query: 'p99{track="{{track}}",svc="{{args.service}}"}',
        range: { lookback: '10m', step: '15s' },
      },
    },
    compare: { direction: 'increase', allowedIncrease: 1.1 },
  };
  const series = (base: number) => Array.from({ length: 30 }, (_, i) => base * (1 + ((i * 7) % 11) / 100));

  it('queries canary and stable over the same window and calls a slower canary Failed (High)', async () => {
    const provider = fakeProvider((q) => ({ kind: 'matrix', series: [series(q.includes('"canary"') ? 0.13 : 0.1)] }));
    const m = await takeMeasurement(input(latency), deps(provider));
    expect(m.phase).toBe('Failed');
    expect(m.value).toMatch(/^High \(ratio 1\.3, p=[0-9.e-]+\)$/);
    expect(m.message).toMatch(/^canary latency is 30% higher than stable \(U=900, p.*\); allowed up to \+10%$/);
    expect(m.judge).toMatchObject({ u: 900, effectSize: 1.3, canaryCount: 30, stableCount: 30 });
    expect(m.judge?.p).toBeLessThan(0.02);
    expect((m.judge?.canaryMean ?? 0) / (m.judge?.stableMean ?? 1)).toBeCloseTo(1.3);
    expect(provider.calls.map((c) => c.promql).sort()).toEqual([
      'p99{track="canary",svc="checkout"}',
      'p99{track="stable",svc="checkout"}',
    ]);
    expect(provider.calls.map((c) => c.opts)).toEqual(
      [0, 1].map(() => ({
        start: new Date('2026-01-01T00:00:00Z'),
        end: startedAt,
        stepMs: 15_000,
        timeoutMs: 30_000,
        headers: {},
        trusted: false,
        tenant: 'shop',
        secrets: [],
      })),
    );
  });

  it('passes the same distribution', async () => {
    const m = await takeMeasurement(
      input(latency),
      deps(fakeProvider(() => ({ kind: 'matrix', series: [series(0.1)] }))),
    );
    expect(m).toMatchObject({ phase: 'Successful', value: 'Pass (ratio 1, p=0.5)' });
  });

  it('is Inconclusive without samples', async () => {
    const m = await takeMeasurement(input(latency), deps(fakeProvider(() => ({ kind: 'empty' }))));
    expect(m).toMatchObject({ phase: 'Inconclusive', value: 'NoData (0 canary, 0 stable samples)' });
    expect(m.judge).toEqual({ canaryCount: 0, stableCount: 0 });
  });

  it('is an Error when either query fails', async () => {
    const provider = fakeProvider((q) =>
      q.includes('stable')
        ? { kind: 'error', message: 'Prometheus at http://prom:9090 refused the query: bad' }
        : { kind: 'matrix', series: [series(1)] },
    );
    expect(await takeMeasurement(input(latency), deps(provider))).toMatchObject({
      phase: 'Error',
      message: 'Prometheus at http://prom:9090 refused the query: bad',
    });
  });
});

describe('takeMeasurement: headers, authentication and secrets', () => {
  const withHeaders = (auth: NonNullable<NonNullable<Metric['provider']['prometheus']>['authentication']>): Metric => ({
    ...errorRate,
    provider: {
      prometheus: {
        ...errorRate.provider.prometheus!,
        headers: [
          { name: 'X-Scope', value: 'org-{{args.service}}' },
          { name: 'X-Tenant', valueFrom: { secretKeyRef: { name: 'prom', key: 'tenant' } } },
        ],
        authentication: auth,
      },
    },
  });

  it('sends plain, templated and Secret headers and a bearer token', async () => {
    const provider = fakeProvider(() => ({ kind: 'scalar', values: [0] }));
    await takeMeasurement(
      input(withHeaders({ bearerToken: { secretKeyRef: { name: 'prom', key: 'token' } } })),
      deps(provider),
    );
    expect(provider.calls[0]!.opts.headers).toEqual({
      'X-Scope': 'org-checkout',
      'X-Tenant': 'tenant-a',
      Authorization: 'Bearer tok-123456',
    });
  });

  it('sends basic authentication', async () => {
    const provider = fakeProvider(() => ({ kind: 'scalar', values: [0] }));
    await takeMeasurement(
      input(
        withHeaders({
          basicAuth: { username: 'sluice', password: { secretKeyRef: { name: 'prom', key: 'password' } } },
        }),
      ),
      deps(provider),
    );
    expect(provider.calls[0]!.opts.headers?.Authorization).toBe(
      `Basic ${Buffer.from('sluice:pw-987654').toString('base64')}`,
    );
  });

  it('never lets a secret reach the measurement, even when Prometheus echoes it', async () => {
    const encoded = Buffer.from('sluice:pw-987654').toString('base64');
    const provider = fakeProvider((q) => ({
      kind: 'error',
      message: `Prometheus at http://prom:9090 refused the query: ${q} with tenant-a, Basic ${encoded}, key-"s3"`,
    }));
    const metric = withHeaders({
      basicAuth: { username: 'sluice', password: { secretKeyRef: { name: 'prom', key: 'password' } } },
    });
    const m = await takeMeasurement(
      input(metric, { args: args({ service: 'key-"s3"' }, ['key-"s3"']) }),
      deps(provider),
    );
    expect(m.phase).toBe('Error');
    for (const secret of ['tenant-a', 'pw-987654', encoded, 's3']) expect(JSON.stringify(m)).not.toContain(secret);
    expect(m.message).toBe(
      'Prometheus at http://prom:9090 refused the query: sum(rate(errors{service="[redacted]"}[1m])) with [redacted], Basic [redacted], [redacted]',
    );
  });

  it('names a missing Secret and does not query', async () => {
    const provider = fakeProvider(() => ({ kind: 'scalar', values: [0] }));
    const m = await takeMeasurement(
      input(withHeaders({ bearerToken: { secretKeyRef: { name: 'gone', key: 'token' } } })),
      deps(provider),
    );
    expect(m).toMatchObject({
      phase: 'Error',
      message:
        'AnalysisTemplate shop/t metrics[0].provider.prometheus.authentication.bearerToken.secretKeyRef: Secret shop/gone has no key "token" (or does not exist): create it, or fix the secretKeyRef',
    });
    expect(provider.calls).toEqual([]);
  });
});

describe('takeMeasurement: what it cannot carry out is an Error, never a throw', () => {
  it('reports arguments that could not be resolved', async () => {
    const err = new AnalysisConfigError(
      'MissingArg',
      'args',
      'argument "service" of AnalysisTemplate shop/t has no value: add it',
    );
    expect(
      await takeMeasurement(input(errorRate, { args: err }), deps(fakeProvider(() => ({ kind: 'empty' })))),
    ).toMatchObject({ phase: 'Error', message: err.message });
  });

  it('refuses a placeholder outside a string literal', async () => {
    const metric = {
      ...errorRate,
      provider: { prometheus: { address: 'http://p', query: 'up{service={{args.service}}}' } },
    };
    const m = await takeMeasurement(input(metric), deps(fakeProvider(() => ({ kind: 'scalar', values: [1] }))));
    expect(m.phase).toBe('Error');
    expect(m.message).toContain('{{args.service}} is outside a string literal');
  });

  it('turns a provider that throws into an Error', async () => {
    const m = await takeMeasurement(input(errorRate), deps(fakeProvider(() => Promise.reject(new Error('boom')))));
    expect(m).toMatchObject({ phase: 'Error', message: 'measuring failed unexpectedly: boom' });
  });

  it('keeps messages within the status bounds', async () => {
    const m = await takeMeasurement(
      input(errorRate),
      deps(fakeProvider(() => ({ kind: 'error', message: `Prometheus at x refused the query: ${'e'.repeat(5000)}` }))),
    );
    expect(m.message).toHaveLength(1024);
    expect(m.message!.endsWith('…')).toBe(true);
  });
});

describe('formatResult', () => {
  it.each<[PromResult & { kind: 'empty' | 'scalar' | 'vector' | 'matrix' }, string]>([
    [{ kind: 'empty' }, 'no data'],
    [{ kind: 'scalar', values: [0.30999999999] }, '0.31'],
    [{ kind: 'vector', values: [0.2, 0.4] }, '[0.2, 0.4]'],
    [{ kind: 'vector', values: [NaN, -Infinity] }, '[NaN, -Inf]'],
    [{ kind: 'matrix', series: [[1], [2, 3]] }, '[[1], [2, 3]]'],
  ])('writes %j as %s', (data, text) => {
    expect(formatResult(data)).toBe(text);
  });

  it('cuts a long list and says how many values it had', () => {
    const text = formatResult({ kind: 'vector', values: Array.from({ length: 500 }, (_, i) => i + 0.5) });
    expect(text.length).toBeLessThanOrEqual(256);
    expect(text.endsWith(' … (500 values)')).toBe(true);
  });

  it('writes numbers briefly', () => {
    expect([formatNumber(1234567.891), formatNumber(1e-9), formatNumber(Infinity)]).toEqual([
      '1234570',
      '1e-9',
      '+Inf',
    ]);
  });
});
