/**
 * Flagger's blue/green (testdata/flagger/bluegreen.yaml) as Sluice's blue-green: the Services Flagger named, the
 * checks run `iterations` times before the switch, and the forms Sluice cannot express reported, never half converted.
 */
import { describe, expect, it } from 'vitest';
import { renderPromql } from '../analysis/promqlTemplate.ts';
import { metricPhase, planMetric } from '../analysis/metric.ts';
import type { Metric, MetricResult, Rollout } from '../api/types.ts';
import { replicaSetName } from '../workload/names.ts';
import type { KubeManifest } from './conversion.ts';
import { convertFlagger } from './flagger.ts';
import { blueGreenOf, ofKind, only, paths, readCorpus, rs, sluiceProblems, ts } from './flagger.test-support.ts';

const canaryNamed = (name: string) =>
  structuredClone(readCorpus('bluegreen.yaml').find((o) => o.kind === 'Canary' && o.metadata.name === name)!);

describe("Flagger's Kubernetes blue/green (the tutorial's Canary)", () => {
  const out = only('bluegreen.yaml', 'Canary', 'podinfo');

  it('switches the Service clients call (podinfo) and previews on podinfo-canary, with the checks before the switch', () => {
    expect(rs(out)).toEqual({
      workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      strategy: {
        blueGreen: {
          activeService: 'podinfo',
          previewService: 'podinfo-canary',
          prePromotionAnalysis: { templates: [{ templateName: 'podinfo-checks' }] },
        },
      },
      progressDeadlineSeconds: 60,
      progressDeadlineAbort: true,
    });
    expect(sluiceProblems(out.objects)).toEqual([]);
    expect(paths(out)).toEqual([
      'spec.service',
      'spec.service.portDiscovery',
      'spec.analysis.metrics[0]',
      'spec.analysis.metrics[1]',
      'spec.analysis.webhooks',
      'spec.autoscalerRef',
    ]);
    expect(out.dropped[0]!.reason).toContain('Sluice creates podinfo-canary and creates or takes over podinfo');
  });

  it('checks iterations times, one per interval, and fails on the threshold-th failed check', () => {
    const metric = ts(out).metrics[0] as Metric;
    expect(metric).toMatchObject({ interval: '30s', initialDelay: '30s', count: 10, failureLimit: 1 });
    const plan = planMetric(metric, 'step');
    // The last of the 10 checks is due 10 x 30s after the preview is ready, when Flagger would have promoted.
    expect(plan.initialDelayMs + (plan.count! - 1) * plan.intervalMs).toBe(300_000);
    const result = (successful: number, failed: number): MetricResult => ({
      name: metric.name,
      phase: 'Running',
      count: successful + failed,
      successful,
      failed,
      inconclusive: 0,
      errors: 0,
      consecutiveErrors: 0,
      measurements: [],
    });
    expect(metricPhase(result(9, 0), plan)).toBe('Running');
    expect(metricPhase(result(10, 0), plan)).toBe('Successful');
    expect(metricPhase(result(8, 1), plan)).toBe('Running');
    expect(metricPhase(result(3, 2), plan)).toBe('Failed');
  });

  it("selects the new revision's pods by the names Sluice gives them, as Flagger's kubernetes provider selected the canary's", () => {
    const template = ts(out);
    expect(template.args).toContainEqual({
      name: 'revision',
      valueFrom: { fieldRef: { fieldPath: 'status.canaryRevision' } },
    });
    const rollout = { metadata: { name: 'podinfo' } } as Rollout;
    const args = new Map([
      ['namespace', 'test'],
      ['name', 'podinfo'],
      ['revision', '7d9f8c6b5'],
    ]);
    for (const metric of template.metrics) {
      const query = renderPromql(metric.provider.prometheus!.query, { args }, metric.name);
      const pods = new RegExp(`^${/kubernetes_pod_name=~"([^"]+)"/.exec(query)![1]!}$`);
      expect(pods.test(`${replicaSetName(rollout, '7d9f8c6b5')}-x7k2p`)).toBe(true);
      expect(pods.test(`${replicaSetName(rollout, '5f4c3b2a1')}-x7k2p`)).toBe(false);
      expect(pods.test('podinfo-primary-7d9f8c6b5-x7k2p')).toBe(false);
    }
  });
});

describe("Flagger's blue/green through a mesh", () => {
  const out = only('bluegreen.yaml', 'Canary', 'reviews');

  it('keeps the route sending to <apex>-primary and <apex>-canary, which become the active and preview Services', () => {
    expect(blueGreenOf(out)).toMatchObject({ activeService: 'reviews-primary', previewService: 'reviews-canary' });
    expect(rs(out).trafficRouting).toEqual({ istio: { virtualService: 'reviews', routes: ['primary'] } });
    const route = (ofKind(out, 'VirtualService')[0]!.spec as { http: { route: unknown }[] }).http[0]!.route;
    expect(route).toEqual([
      { destination: { host: 'reviews-primary', port: { number: 8080 } }, weight: 100 },
      { destination: { host: 'reviews-canary', port: { number: 8080 } }, weight: 0 },
    ]);
    expect(sluiceProblems(out.objects)).toEqual([]);
    expect(paths(out)).toEqual(['spec.service']);
  });

  it("measures the preview with the MetricTemplate's query, 5 times", () => {
    expect(blueGreenOf(out).prePromotionAnalysis?.args).toEqual([{ name: 'service', value: 'reviews' }]);
    expect(ts(out).metrics[0]).toMatchObject({ name: 'error-ratio', count: 5, successCondition: 'result <= 1' });
    expect(ts(out).metrics[0]!.provider.prometheus!.query).toContain(
      'destination_service_name="{{args.service}}-canary"',
    );
  });
});

describe('Flagger blue/green without checks, or with a wait too long to switch on its own', () => {
  it('waits iterations x interval before switching, as Flagger waited before promoting', () => {
    const out = only('bluegreen.yaml', 'Canary', 'batch');
    expect(blueGreenOf(out)).toEqual({
      activeService: 'batch',
      previewService: 'batch-canary',
      autoPromotionSeconds: 360,
    });
    expect(ofKind(out, 'AnalysisTemplate')).toEqual([]);
    expect(paths(out)).toEqual(['spec.service', 'spec.analysis.maxWeight']);
    expect(sluiceProblems(out.objects)).toEqual([]);
  });

  it('waits for kubectl sluice promote when the wait is longer than Sluice switches on its own', () => {
    const long = canaryNamed('batch');
    (long.spec as { analysis: Record<string, unknown> }).analysis = { interval: '1h', iterations: 48 };
    const out = convertFlagger(long)!;
    expect(blueGreenOf(out)).toEqual({
      activeService: 'batch',
      previewService: 'batch-canary',
      autoPromotionEnabled: false,
    });
    expect(out.dropped.at(-1)).toMatchObject({
      path: 'spec.analysis.iterations',
      reason: expect.stringContaining('172800s') as string,
    });
  });
});

describe('Flagger blue/green that Sluice cannot express', () => {
  it('does not convert blue/green with mirroring: its checks judged mirrored requests', () => {
    expect(only('bluegreen.yaml', 'Canary', 'shadow')).toEqual({
      objects: [],
      dropped: [
        {
          object: 'Canary/test/shadow',
          path: 'spec.analysis.mirror',
          reason: expect.stringContaining('mirroring') as string,
        },
      ],
    });
  });

  it('does not convert the Kubernetes provider with weights, which routes nothing by weight', () => {
    expect(paths(only('bluegreen.yaml', 'Canary', 'weighted'))).toEqual(['spec.provider']);
  });

  it('does not write blue-green without service.port: Sluice needs it for the Services it creates', () => {
    const noPort: KubeManifest = canaryNamed('batch');
    delete (noPort.spec as { service?: unknown }).service;
    const out = convertFlagger(noPort)!;
    expect(out.objects).toEqual([]);
    expect(out.dropped.at(-1)).toMatchObject({
      path: 'spec',
      reason: expect.stringMatching(/not written.*service\.port/) as string,
    });
  });
});
