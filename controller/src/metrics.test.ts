import { register as globalRegistry, type Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { RolloutPhase } from './api/types.ts';
import { createMetrics, unknownPhase } from './metrics.ts';
import { WorkQueue } from './queue/workQueue.ts';

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** The samples of one metric as a scrape would see them (collect callbacks run). */
async function samples(registry: Registry, name: string): Promise<Sample[]> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  if (!metric) throw new Error(`no metric ${name}`);
  return (metric as unknown as { values: Sample[] }).values;
}

async function valueOf(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  return (await samples(registry, name)).find((s) => JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
}

const sluiceMetrics = {
  sluice_reconcile_duration_seconds: { type: 'histogram', labels: ['result'] },
  sluice_reconcile_errors_total: { type: 'counter', labels: [] },
  sluice_workqueue_depth: { type: 'gauge', labels: ['state'] },
  sluice_rollouts: { type: 'gauge', labels: ['phase'] },
  sluice_rollout_canary_weight: { type: 'gauge', labels: ['namespace', 'rollout'] },
  sluice_kube_api_requests_total: { type: 'counter', labels: ['verb', 'code'] },
  sluice_events_dropped_total: { type: 'counter', labels: [] },
  sluice_leader: { type: 'gauge', labels: [] },
  sluice_build_info: { type: 'gauge', labels: ['version', 'revision'] },
  sluice_rollout_outcomes_total: { type: 'counter', labels: ['namespace', 'outcome'] },
  sluice_rollout_duration_seconds: { type: 'histogram', labels: ['namespace', 'outcome'] },
  sluice_analysis_runs_total: { type: 'counter', labels: ['namespace', 'result'] },
};

describe('createMetrics registry', () => {
  it('registers every Sluice metric with its type and help, on its own registry', async () => {
    const { registry } = createMetrics({ version: '0.1.0' });
    const metrics = await registry.getMetricsAsJSON();
    for (const [name, { type }] of Object.entries(sluiceMetrics)) {
      const metric = metrics.find((m) => m.name === name);
      expect(metric, name).toBeDefined();
      expect(String(metric!.type), name).toBe(type);
      expect(metric!.help, name).not.toBe('');
    }
    expect(
      metrics
        .filter((m) => m.name.startsWith('sluice_'))
        .map((m) => m.name)
        .sort(),
    ).toEqual(Object.keys(sluiceMetrics).sort());
    expect(await globalRegistry.getMetricsAsJSON()).toEqual([]);
  });

  it('carries the default process metrics on the same registry', async () => {
    const text = await createMetrics({ version: '0.1.0' }).registry.metrics();
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^process_resident_memory_bytes /m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
  });

  it('lets several controllers (or tests) each make their own', async () => {
    const first = createMetrics({ version: '0.1.0' });
    const second = createMetrics({ version: '0.1.0' });
    first.setLeader(true);
    expect(await valueOf(first.registry, 'sluice_leader')).toBe(1);
    expect(await valueOf(second.registry, 'sluice_leader')).toBe(0);
  });

  it('uses only labels from small fixed sets or naming a Rollout', async () => {
    const metrics = createMetrics({ version: '0.1.0' });
    metrics.observeReconcile({ outcome: 'error', durationMs: 5 });
    metrics.countKubeApiRequest('patch', 409);
    metrics.setCanaryWeight('shop', 'checkout', 20);
    metrics.countTransition('shop', { outcome: 'promoted', durationSeconds: 90, analysisRuns: ['Successful'] });
    metrics.collectFrom({ queueDepth: () => ({ queued: 1, waiting: 0 }), rolloutPhases: () => ['Healthy'] });
    for (const [name, { labels }] of Object.entries(sluiceMetrics)) {
      for (const sample of await samples(metrics.registry, name)) {
        expect(
          Object.keys(sample.labels)
            .filter((label) => label !== 'le')
            .sort(),
          name,
        ).toEqual([...labels].sort());
      }
    }
  });
});

describe('SluiceMetrics.observeReconcile', () => {
  it('times reconciles in seconds by result and counts the failed ones', async () => {
    const metrics = createMetrics({ version: '0.1.0' });
    metrics.observeReconcile({ outcome: 'success', durationMs: 250 });
    metrics.observeReconcile({ outcome: 'requeue', durationMs: 40 });
    metrics.observeReconcile({ outcome: 'error', durationMs: 1_500 });
    const { registry } = metrics;

    const counts = (await samples(registry, 'sluice_reconcile_duration_seconds')).filter((s) =>
      s.metricName?.endsWith('_count'),
    );
    expect(Object.fromEntries(counts.map((s) => [s.labels.result, s.value]))).toEqual({
      success: 1,
      requeue: 1,
      error: 1,
    });
    const sums = (await samples(registry, 'sluice_reconcile_duration_seconds')).filter((s) =>
      s.metricName?.endsWith('_sum'),
    );
    expect(sums.find((s) => s.labels.result === 'success')?.value).toBeCloseTo(0.25);
    expect(await valueOf(registry, 'sluice_reconcile_errors_total')).toBe(1);
  });

  it('fits the work queue hook directly', async () => {
    const metrics = createMetrics({ version: '0.1.0' });
    const queue = new WorkQueue({
      handler: () => Promise.resolve(),
      onResult: (_key, report) => metrics.observeReconcile(report),
    });
    queue.start();
    queue.add('shop/checkout');
    await queue.shutdown();
    expect(await metrics.registry.metrics()).toMatch(
      /^sluice_reconcile_duration_seconds_count\{result="success"\} 1$/m,
    );
  });
});

describe('SluiceMetrics.countKubeApiRequest', () => {
  it('counts requests by verb and status code, and "error" when no status came back', async () => {
    const metrics = createMetrics({ version: '0.1.0' });
    metrics.countKubeApiRequest('patch', 200);
    metrics.countKubeApiRequest('patch', 200);
    metrics.countKubeApiRequest('patch', 409);
    metrics.countKubeApiRequest('watch', undefined);
    metrics.countKubeApiRequest('list', 0);
    const { registry } = metrics;
    expect(await valueOf(registry, 'sluice_kube_api_requests_total', { verb: 'patch', code: '200' })).toBe(2);
    expect(await valueOf(registry, 'sluice_kube_api_requests_total', { verb: 'patch', code: '409' })).toBe(1);
    expect(await valueOf(registry, 'sluice_kube_api_requests_total', { verb: 'watch', code: 'error' })).toBe(1);
    expect(await valueOf(registry, 'sluice_kube_api_requests_total', { verb: 'list', code: 'error' })).toBe(1);
  });

  it('counts Events given up on', async () => {
    const metrics = createMetrics({ version: '0.1.0' });
    expect(await valueOf(metrics.registry, 'sluice_events_dropped_total', {})).toBe(0);
    metrics.countDroppedEvent();
    metrics.countDroppedEvent();
    expect(await valueOf(metrics.registry, 'sluice_events_dropped_total', {})).toBe(2);
  });
});

describe('SluiceMetrics canary weight', () => {
  it('keeps the last weight per Rollout and forgets a Rollout when asked', async () => {
    const metrics = createMetrics({ version: '0.1.0' });
    metrics.setCanaryWeight('shop', 'checkout', 20);
    metrics.setCanaryWeight('shop', 'checkout', 40);
    metrics.setCanaryWeight('shop', 'cart', 10);
    metrics.setCanaryWeight('blog', 'checkout', 0);
    const { registry } = metrics;
    expect(await valueOf(registry, 'sluice_rollout_canary_weight', { namespace: 'shop', rollout: 'checkout' })).toBe(
      40,
    );

    metrics.forgetRollout('shop', 'checkout');
    const left = (await samples(registry, 'sluice_rollout_canary_weight')).map((s) => s.labels);
    expect(left).toEqual([
      { namespace: 'shop', rollout: 'cart' },
      { namespace: 'blog', rollout: 'checkout' },
    ]);
    expect(await registry.metrics()).not.toMatch(/sluice_rollout_canary_weight\{namespace="shop",rollout="checkout"\}/);
  });

  it('forgets a Rollout it never saw without complaint', () => {
    expect(() => createMetrics({ version: '0.1.0' }).forgetRollout('shop', 'gone')).not.toThrow();
  });
});

describe('SluiceMetrics scrape-time gauges', () => {
  it('reads the work queue depth when scraped', async () => {
    const metrics = createMetrics({ version: '0.1.0' });
    const { registry } = metrics;
    expect(await samples(registry, 'sluice_workqueue_depth')).toEqual([]);

    const queue = new WorkQueue({ handler: () => Promise.resolve() });
    metrics.collectFrom({ queueDepth: () => queue.depth });
    queue.add('shop/checkout');
    queue.add('shop/cart');
    queue.addAfter('blog/site', 60_000);
    expect(await valueOf(registry, 'sluice_workqueue_depth', { state: 'queued' })).toBe(2);
    expect(await valueOf(registry, 'sluice_workqueue_depth', { state: 'waiting' })).toBe(1);
    await queue.shutdown();
    expect(await valueOf(registry, 'sluice_workqueue_depth', { state: 'queued' })).toBe(0);
  });

  it('counts Rollouts by phase, with every phase present and the unreconciled ones as Unknown', async () => {
    const metrics = createMetrics({ version: '0.1.0' });
    let phases: (string | undefined)[] = ['Healthy', 'Healthy', 'Progressing', undefined];
    // A phase this build does not know stands for a newer controller's status: it must not add a series.
    metrics.collectFrom({ rolloutPhases: () => phases as (RolloutPhase | undefined)[] });
    const { registry } = metrics;
    const byPhase = async () =>
      Object.fromEntries(
        (await samples(registry, 'sluice_rollouts')).map((s): [string, number] => [String(s.labels.phase), s.value]),
      );
    expect(await byPhase()).toEqual({ Progressing: 1, Paused: 0, Healthy: 2, Degraded: 0, [unknownPhase]: 1 });

    phases = ['Degraded', 'SomethingNew'];
    expect(await byPhase()).toEqual({ Progressing: 0, Paused: 0, Healthy: 0, Degraded: 1, [unknownPhase]: 1 });
  });
});

describe('SluiceMetrics leader and build info', () => {
  it('reports leadership as 0 until it is taken, and 0 again when lost', async () => {
    const metrics = createMetrics({ version: '0.1.0' });
    expect(await valueOf(metrics.registry, 'sluice_leader')).toBe(0);
    metrics.setLeader(true);
    expect(await valueOf(metrics.registry, 'sluice_leader')).toBe(1);
    metrics.setLeader(false);
    expect(await valueOf(metrics.registry, 'sluice_leader')).toBe(0);
  });

  it('labels the build with its version and revision', async () => {
    expect(await createMetrics({ version: '0.1.0', revision: 'c4bed2d' }).registry.metrics()).toMatch(
      /^sluice_build_info\{version="0\.1\.0",revision="c4bed2d"\} 1$/m,
    );
    expect(await createMetrics({ version: '0.1.0' }).registry.metrics()).toMatch(
      /^sluice_build_info\{version="0\.1\.0",revision="unknown"\} 1$/m,
    );
  });
});

describe('SluiceMetrics.countTransition', () => {
  it('counts the outcome, times the release, and counts each finished analysis run by namespace', async () => {
    const metrics = createMetrics({ version: '0.1.0' });
    metrics.countTransition('shop', { outcome: 'aborted_analysis', durationSeconds: 45, analysisRuns: ['Failed'] });
    metrics.countTransition('shop', { outcome: 'promoted', durationSeconds: 1_200, analysisRuns: [] });
    metrics.countTransition('shop', { analysisRuns: ['Successful', 'Inconclusive'] });
    metrics.countTransition('blog', { outcome: 'deadline', analysisRuns: [] });
    const { registry } = metrics;
    const outcome = (namespace: string, value: string) =>
      valueOf(registry, 'sluice_rollout_outcomes_total', { namespace, outcome: value });
    expect(await outcome('shop', 'aborted_analysis')).toBe(1);
    expect(await outcome('shop', 'promoted')).toBe(1);
    expect(await outcome('blog', 'deadline')).toBe(1);
    expect(await outcome('shop', 'deadline')).toBe(0); // exported at 0 once the namespace has counted anything
    const text = await registry.metrics();
    expect(text).toMatch(/^sluice_rollout_duration_seconds_sum\{namespace="shop",outcome="promoted"\} 1200$/m);
    expect(text).toMatch(
      /^sluice_rollout_duration_seconds_bucket\{le="60",namespace="shop",outcome="aborted_analysis"\} 1$/m,
    );
    // A release whose start status does not record is counted, not timed.
    expect(text).not.toMatch(/^sluice_rollout_duration_seconds_count\{namespace="blog",outcome="deadline"/m);
    for (const result of ['Failed', 'Successful', 'Inconclusive'])
      expect(await valueOf(registry, 'sluice_analysis_runs_total', { namespace: 'shop', result }), result).toBe(1);
  });
});
