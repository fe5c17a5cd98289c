import { describe, expect, it } from 'vitest';
import type { AnalysisTemplateSpec, Metric } from '../api/types.ts';
import {
  canaryOf,
  convertCorpus,
  ofKind,
  only,
  paths,
  pauses,
  rs,
  sluiceProblems,
  specOf,
  ts,
} from './flagger.test-support.ts';

const corpus = [
  'istio.yaml',
  'nginx.yaml',
  'gatewayapi.yaml',
  'linkerd.yaml',
  'ab-testing.yaml',
  'mirror.yaml',
  'bluegreen.yaml',
  'other-providers.yaml',
];

describe('convertFlagger over the corpus', () => {
  it.each(corpus)(
    '%s: every object produced passes the Rollout and AnalysisTemplate schemas and validation',
    (file) => {
      const outs = convertCorpus(file).flatMap((c) => c.out?.objects ?? []);
      expect(sluiceProblems(outs)).toEqual([]);
    },
  );

  it('says what it cannot validate: a produced template with a placeholder outside a string is a problem', () => {
    const broken = structuredClone(only('istio.yaml', 'Canary', 'podinfo').objects);
    const template = broken.find((o) => o.kind === 'AnalysisTemplate')!;
    (template.spec as AnalysisTemplateSpec).metrics[0]!.provider.prometheus!.query = 'rate(x[{{args.canaryService}}])';
    expect(sluiceProblems(broken)).toEqual([expect.stringContaining('outside a string literal')]);
  });

  it('istio: a Rollout, its checks and a VirtualService on Sluice Services, with each field dropped by reason', () => {
    const out = only('istio.yaml', 'Canary', 'podinfo');
    const [rollout, template, vs] = out.objects;
    expect(rollout).toEqual({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'podinfo', namespace: 'test', labels: { team: 'web' } },
      spec: {
        workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
        service: { port: 9898, targetPort: 9898 },
        trafficRouting: { istio: { virtualService: 'podinfo', routes: ['primary'] } },
        strategy: {
          canary: {
            steps: [10, 20, 30, 40, 50].flatMap((w) => [{ setWeight: w }, pauses('1m')]),
            analysis: {
              templates: [{ templateName: 'podinfo-checks' }],
              args: [{ name: 'canaryService', value: 'podinfo-canary' }],
              startingStep: 0,
            },
          },
        },
        progressDeadlineSeconds: 60,
        progressDeadlineAbort: true,
      },
    });
    expect(template?.kind).toBe('AnalysisTemplate');
    expect((template!.spec as AnalysisTemplateSpec).args).toEqual([
      { name: 'canaryService' },
      { name: 'namespace', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ]);
    const [success, duration] = (template!.spec as AnalysisTemplateSpec).metrics as [Metric, Metric];
    expect(success).toMatchObject({
      name: 'request-success-rate',
      interval: '1m',
      initialDelay: '1m',
      failureLimit: 4,
      inconclusiveLimit: 4,
      consecutiveErrorLimit: 4,
      successCondition: 'result >= 99',
      provider: { prometheus: { address: 'http://prometheus:9090' } },
    });
    expect(success.provider.prometheus!.query).toContain('istio_requests_total{');
    expect(success.provider.prometheus!.query).toContain('[1m]');
    expect(duration.successCondition).toBe('result <= 500');
    // The metric's own interval is the query window; the check frequency is analysis.interval.
    expect(duration.provider.prometheus!.query).toContain('istio_request_duration_milliseconds_bucket{');
    expect(duration.provider.prometheus!.query).toContain('[30s]');
    expect(vs).toEqual({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: {
        hosts: ['podinfo', 'app.example.com'],
        gateways: ['public-gateway.istio-system.svc.cluster.local'],
        http: [
          {
            name: 'primary',
            retries: { attempts: 3, perTryTimeout: '1s', retryOn: 'gateway-error,connect-failure,refused-stream' },
            route: [
              { destination: { host: 'podinfo-stable', port: { number: 9898 } }, weight: 100 },
              { destination: { host: 'podinfo-canary', port: { number: 9898 } }, weight: 0 },
            ],
          },
        ],
      },
    });
    expect(out.dropped.every((d) => d.object === 'Canary/test/podinfo')).toBe(true);
    expect(paths(out)).toEqual([
      'spec.service',
      'spec.service.portName',
      'spec.service.trafficPolicy',
      'spec.analysis.metrics[0]',
      'spec.analysis.metrics[1]',
      'spec.analysis.webhooks',
      'spec.autoscalerRef',
    ]);
    expect(out.dropped[0]!.reason).toContain('Sluice creates podinfo-stable and podinfo-canary');
    expect(out.dropped[3]!.reason).toContain('http://prometheus:9090');
    expect(out.dropped[5]!.reason).toContain('notifications and webhooks are not in Sluice yet');
  });

  it('nginx: stableIngress from ingressRef, with the backend change the user must make', () => {
    const out = only('nginx.yaml', 'Canary', 'podinfo');
    expect(rs(out).trafficRouting).toEqual({ nginx: { stableIngress: 'podinfo' } });
    expect(canaryOf(out).steps).toHaveLength(20);
    expect(canaryOf(out).steps.at(-2)).toEqual({ setWeight: 50 });
    const query = ts(out).metrics[0]!.provider.prometheus!.query;
    expect(query).toContain(
      'nginx_ingress_controller_requests{namespace="{{args.namespace}}", service="{{args.canaryService}}"',
    );
    expect(ofKind(out, 'Ingress')).toEqual([]);
    expect(paths(out)).toEqual([
      'spec.service',
      'spec.ingressRef.name',
      'spec.analysis.metrics[0]',
      'spec.analysis.alerts',
    ]);
    expect(out.dropped[1]!.reason).toContain('its backend must be podinfo-stable');
  });

  it('gateway API: stepWeights, an HTTPRoute from gatewayRefs and hosts, and the MetricTemplate query inlined', () => {
    const out = only('gatewayapi.yaml', 'Canary', 'podinfo');
    expect(rs(out).trafficRouting).toEqual({ gatewayAPI: { httpRoute: 'podinfo' } });
    expect(canaryOf(out).steps).toEqual([5, 10, 25, 50, 80].flatMap((w) => [{ setWeight: w }, pauses('30s')]));
    expect(canaryOf(out).analysis?.args).toEqual([{ name: 'target', value: 'podinfo' }]);
    expect(ofKind(out, 'HTTPRoute')).toEqual([
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'podinfo', namespace: 'test' },
        spec: {
          parentRefs: [{ name: 'gateway', namespace: 'istio-ingress' }],
          hostnames: ['www.example.com'],
          rules: [
            {
              backendRefs: [
                { name: 'podinfo-stable', port: 9898, weight: 100 },
                { name: 'podinfo-canary', port: 9898, weight: 0 },
              ],
            },
          ],
        },
      },
    ]);
    const metric = ts(out).metrics[0]!;
    expect(metric).toMatchObject({ name: 'error-rate', failureLimit: 1, successCondition: 'result <= 1' });
    expect(metric.provider.prometheus!.address).toBe('http://prometheus.monitoring:9090');
    const query: string = metric.provider.prometheus!.query;
    expect(query).toContain('envoy_cluster_name=~"{{args.namespace}}_{{args.target}}-canary_[0-9a-zA-Z-]+"');
    expect(query).toContain('}[1m]');
    expect(query).not.toContain('interval');
    expect(paths(out)).toEqual(['spec.service', 'spec.analysis.metrics[0]']);
    expect(out.dropped[1]!.reason).toMatch(/^action: in Flagger, \{\{ target \}\} named the canary Deployment/);
    // The MetricTemplate is used by the Canary converted with it: nothing of it is lost.
    expect(only('gatewayapi.yaml', 'MetricTemplate', 'error-rate')).toEqual({ objects: [], dropped: [] });
  });

  it('linkerd: a TrafficSplit on the apex Service, and templateVariables passed as args', () => {
    const out = only('linkerd.yaml', 'Canary', 'podinfo');
    expect(ofKind(out, 'Rollout')[0]?.metadata.annotations).toEqual({ owner: 'payments' });
    expect(rs(out).trafficRouting).toEqual({ smi: { trafficSplitName: 'podinfo', rootService: 'podinfo' } });
    expect(canaryOf(out).steps).toEqual([20, 40, 50].flatMap((w) => [{ setWeight: w }, pauses('30s')]));
    expect(canaryOf(out).analysis?.args).toEqual([
      { name: 'canaryService', value: 'podinfo-canary' },
      { name: 'direction', value: 'inbound' },
      { name: 'target', value: 'podinfo' },
    ]);
    expect(ofKind(out, 'TrafficSplit')).toEqual([
      {
        apiVersion: 'split.smi-spec.io/v1alpha2',
        kind: 'TrafficSplit',
        metadata: { name: 'podinfo', namespace: 'test' },
        spec: {
          service: 'podinfo',
          backends: [
            { service: 'podinfo-stable', weight: 100 },
            { service: 'podinfo-canary', weight: 0 },
          ],
        },
      },
    ]);
    const [duration, success] = ts(out).metrics as [Metric, Metric];
    expect(duration.provider.prometheus!.query).toContain('response_latency_ms_bucket{');
    expect(success.provider.prometheus!.query).toContain('direction="{{args.direction}}"}[2m]');
    expect(paths(out)).toEqual([
      'spec.service',
      'spec.analysis.metrics[0]',
      'spec.analysis.metrics[1]',
      'spec.skipAnalysis',
    ]);
    expect(only('linkerd.yaml', 'MetricTemplate', 'linkerd-success').dropped.map((d) => d.path)).toEqual([
      'spec.provider.secretRef',
    ]);
  });

  it('A/B testing: one header route per match entry (entries are ORed), held for iterations x interval; an entry that loses a condition (sourceLabels) is not converted, since the rest would let more users in', () => {
    const out = only('ab-testing.yaml', 'Canary', 'abtest');
    expect(rs(out).trafficRouting?.managedRoutes).toEqual([{ name: 'ab-test-0' }]);
    expect(canaryOf(out).steps).toEqual([
      {
        setHeaderRoute: {
          name: 'ab-test-0',
          match: [{ headerName: 'x-canary', headerValue: { regex: '.*insider.*' } }],
        },
      },
      pauses('10m'),
    ]);
    expect(specOf(ofKind(out, 'VirtualService')[0]).gateways).toEqual([
      'public-gateway.istio-system.svc.cluster.local',
      'mesh',
    ]);
    expect(paths(out)).toEqual([
      'spec.service',
      'spec.analysis.match[1].sourceLabels',
      'spec.analysis.match[1]',
      'spec.analysis.metrics[0]',
    ]);
  });

  it('mirroring: one interval of shadow traffic before the weights; suspend becomes paused', () => {
    const out = only('mirror.yaml', 'Canary', 'shadow');
    expect(canaryOf(out).steps).toEqual([
      { setMirrorRoute: { name: 'mirror', percentage: 50 } },
      pauses('2m'),
      { setMirrorRoute: { name: 'mirror', percentage: 0 } },
      { setWeight: 15 },
      pauses('2m'),
      { setWeight: 30 },
      pauses('2m'),
    ]);
    expect(rs(out).trafficRouting?.managedRoutes).toEqual([{ name: 'mirror' }]);
    expect(rs(out).paused).toBe(true);
    expect(canaryOf(out).analysis).toBeUndefined();
    expect(ofKind(out, 'AnalysisTemplate')).toEqual([]);
    expect(paths(out)).toEqual([
      'spec.service',
      'spec.analysis.stepWeightPromotion',
      'spec.analysis.sessionAffinity',
      'spec.suspend',
      'spec.revertOnDeletion',
    ]);
  });

  it('other routers and other metric providers are reported, never half converted', () => {
    // Its one metric (Datadog) does not convert: a Rollout without it would promote unchecked, so none is written.
    const meshed = only('other-providers.yaml', 'Canary', 'meshed');
    expect(meshed.objects).toEqual([]);
    expect(paths(meshed)).toEqual([
      'spec.service',
      'spec.provider',
      'spec.service.timeout',
      'spec.analysis.metrics[0]',
      'spec.analysis.metrics',
    ]);
    expect(meshed.dropped[1]!.reason).toContain('Sluice has no AWS App Mesh router');
    expect(only('other-providers.yaml', 'MetricTemplate', 'datadog-errors')).toEqual({
      objects: [],
      dropped: [
        {
          object: 'MetricTemplate/test/datadog-errors',
          path: 'spec.provider.type',
          reason: 'provider datadog: Sluice measures with Prometheus only; the MetricTemplate is not converted',
        },
      ],
    });
    expect(convertCorpus('other-providers.yaml').find((c) => c.input.kind === 'ConfigMap')?.out).toBeUndefined();
  });
});
