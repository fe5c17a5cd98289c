import { describe, expect, it } from 'vitest';
import { evaluateHere } from '../analysis/celProgram.ts';
import { metricPhase, planMetric } from '../analysis/metric.ts';
import type { Metric, MetricResult } from '../api/types.ts';
import type { KubeManifest } from './conversion.ts';
import { convertFlagger } from './flagger.ts';
import { canaryOf, only, paths, readCorpus, sluiceProblems, ts } from './flagger.test-support.ts';

describe('what the converted checks decide', () => {
  const template = ts(only('istio.yaml', 'Canary', 'podinfo'));

  it('rolls back on the threshold-th failed check, as Flagger does (threshold 5: the 5th failure fails the metric)', () => {
    const plan = planMetric(template.metrics[0] as Metric, 'background');
    const result = (failed: number): MetricResult => ({
      name: 'request-success-rate',
      phase: 'Running',
      count: failed,
      successful: 0,
      failed,
      inconclusive: 0,
      errors: 0,
      consecutiveErrors: 0,
      measurements: [],
    });
    expect(metricPhase(result(4), plan)).toBe('Running');
    expect(metricPhase(result(5), plan)).toBe('Failed');
  });

  it('passes a success rate at or above min and a duration at or below max, in Flagger units', () => {
    const [success, duration] = template.metrics as [Metric, Metric];
    expect(evaluateHere(success.successCondition!, 99)).toEqual({ value: true });
    expect(evaluateHere(success.successCondition!, 98.9)).toEqual({ value: false });
    expect(evaluateHere(duration.successCondition!, 500)).toEqual({ value: true });
    expect(evaluateHere(duration.successCondition!, 501)).toEqual({ value: false });
  });
});

describe('convertFlagger on one object', () => {
  const canary = readCorpus('gatewayapi.yaml').find((o) => o.kind === 'Canary')!;
  const errorRate = readCorpus('gatewayapi.yaml').find((o) => o.kind === 'MetricTemplate')!;
  /** The Canary converted with its MetricTemplate, as `convert -f gatewayapi.yaml` does. */
  const withTemplate = (c: KubeManifest) => convertFlagger(c, { objects: [c, errorRate], find: () => undefined });

  it('cannot write a templateRef metric without its MetricTemplate, says to convert them together, and writes no Rollout without its checks', () => {
    const out = convertFlagger(canary)!;
    expect(out.objects).toEqual([]);
    expect(out.dropped.find((d) => d.path === 'spec.analysis.metrics[0].templateRef')?.reason).toContain(
      'MetricTemplate test/error-rate is not among the objects converted',
    );
  });

  it('reports a MetricTemplate that no Canary of the run uses', () => {
    const mt = readCorpus('gatewayapi.yaml').find((o) => o.kind === 'MetricTemplate')!;
    expect(convertFlagger(mt)?.dropped.map((d) => d.path)).toEqual(['spec']);
  });

  it('handles only flagger.app/v1beta1 Canary and MetricTemplate', () => {
    expect(convertFlagger({ ...canary, apiVersion: 'flagger.app/v1alpha3' })).toBeUndefined();
    expect(convertFlagger({ ...canary, kind: 'AlertProvider' })).toBeUndefined();
  });

  it('reads hand-edited objects without throwing: no readable schedule is reported as not converted', () => {
    const hostile = {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: 'x', namespace: 'n' },
      spec: {
        targetRef: { kind: 'Deployment', name: 'x' },
        provider: 'istio',
        service: { port: '80', hosts: 'h', gateways: [1, 'g'] },
        analysis: { interval: 5, threshold: -1, stepWeight: 200, stepWeights: 'x', metrics: { a: 1 }, match: 7 },
      },
    } as KubeManifest;
    const out = convertFlagger(hostile)!;
    expect(out.objects).toEqual([]);
    expect(paths(out)).toEqual(['spec.analysis']);
    const noSpec = convertFlagger({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', metadata: { name: 'y' } })!;
    expect(noSpec).toEqual({
      objects: [],
      dropped: [{ object: 'Canary/y', path: 'spec.targetRef', reason: expect.any(String) as string }],
    });
  });

  it('drops a field of the wrong type with the type Flagger expects, and converts the rest', () => {
    const typo = structuredClone(canary);
    (typo.spec as { analysis: Record<string, unknown> }).analysis.threshold = '2';
    const out = withTemplate(typo)!;
    expect(out.dropped.find((d) => d.path === 'spec.analysis.threshold')?.reason).toBe(
      'expected a whole number from 1 to 1001, found "2": not converted',
    );
    expect(canaryOf(out).steps).toHaveLength(10);
  });

  it('keeps a schedule of many small weights within the steps Sluice allows, ending at maxWeight', () => {
    const fine = structuredClone(canary);
    (fine.spec as Record<string, unknown>).analysis = { interval: '1m', stepWeight: 1, maxWeight: 90 };
    const out = withTemplate(fine)!;
    const steps = canaryOf(out).steps as Record<string, unknown>[];
    expect(steps.length).toBeLessThanOrEqual(64);
    expect(steps.at(-2)).toEqual({ setWeight: 90 });
    expect(paths(out)).toContain('spec.analysis.stepWeight');
    expect(sluiceProblems(out.objects)).toEqual([]);
  });

  it('names a provider called constructor as it is written, not as Object.prototype reads it', () => {
    const odd = structuredClone(canary);
    (odd.spec as Record<string, unknown>).provider = 'constructor';
    const reason = convertFlagger(odd)!.dropped.find((d) => d.path === 'spec.provider')?.reason;
    expect(reason).toMatch(/^Sluice has no constructor router/);
  });

  it('does not convert an A/B match entry with a header value it cannot read: the other headers alone let more users in', () => {
    const ab = readCorpus('ab-testing.yaml').find((o) => o.kind === 'Canary')!;
    const odd = structuredClone(ab);
    (odd.spec as { analysis: Record<string, unknown> }).analysis.match = [
      { headers: { 'x-canary': { exact: 'yes' }, 'x-region': { exact: 5 } } },
      { headers: { 'x-beta': { exact: 'on' } } },
    ];
    const out = convertFlagger(odd)!;
    expect(canaryOf(out).steps[0]).toEqual({
      setHeaderRoute: { name: 'ab-test-1', match: [{ headerName: 'x-beta', headerValue: { exact: 'on' } }] },
    });
    expect(paths(out)).toContain('spec.analysis.match[0].headers.x-region');
    expect(paths(out)).toContain('spec.analysis.match[0]');
  });

  it('does not write a routed Canary without service.port: a guessed port would send the router nowhere', () => {
    const istio = structuredClone(readCorpus('istio.yaml').find((o) => o.kind === 'Canary')!);
    delete (istio.spec as { service: Record<string, unknown> }).service.port;
    const out = convertFlagger(istio)!;
    expect(out.objects).toEqual([]);
    expect(out.dropped.at(-1)).toMatchObject({
      path: 'spec',
      reason: expect.stringMatching(/not written.*port/) as string,
    });
  });

  it('does not write a Canary whose metrics all fail to convert: the Rollout would promote without its checks', () => {
    const istio = structuredClone(readCorpus('istio.yaml').find((o) => o.kind === 'Canary')!);
    const metrics = (istio.spec as { analysis: { metrics: Record<string, unknown>[] } }).analysis.metrics;
    for (const metric of metrics) metric.thresholdRange = { min: 'high' };
    const out = convertFlagger(istio)!;
    expect(out.objects).toEqual([]);
    expect(out.dropped.at(-1)).toMatchObject({
      path: 'spec.analysis.metrics',
      reason: expect.stringMatching(/not written/) as string,
    });
  });
});
