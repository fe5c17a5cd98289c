import { describe, expect, it } from 'vitest';
import type { AnalysisTemplateSpec, CanaryStep, Rollout, RolloutSpec } from './types.ts';
import { validateRollout, type TemplateLookup } from './validate.ts';

const metric = (name: string) => ({
  name,
  successCondition: 'result < 1',
  provider: { prometheus: { address: 'http://prometheus:9090', query: 'up' } },
});

const errorRate: AnalysisTemplateSpec = {
  args: [
    { name: 'service' },
    { name: 'window', value: '1m' },
    { name: 'token', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
  ],
  metrics: [metric('error-rate')],
};
const latency: AnalysisTemplateSpec = { args: [{ name: 'service' }], metrics: [metric('latency')] };
const sharedErrorRate: AnalysisTemplateSpec = { metrics: [metric('error-rate')] };

/** Templates in namespace shop, plus one ClusterAnalysisTemplate. */
const lookup: TemplateLookup = {
  analysisTemplate: (namespace, name) =>
    namespace === 'shop' ? { 'error-rate': errorRate, latency }[name] : undefined,
  clusterAnalysisTemplate: (name) => (name === 'shared-error-rate' ? sharedErrorRate : undefined),
};

function rollout(steps: CanaryStep[], canary: Partial<RolloutSpec['strategy']['canary']> = {}): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout', namespace: 'shop' },
    spec: { workloadRef: { name: 'checkout' }, strategy: { canary: { steps, ...canary } } },
  };
}

const service = [{ name: 'service', value: 'checkout' }];

describe('validateRollout', () => {
  it('accepts analyses whose templates exist and get every required argument', () => {
    const r = rollout(
      [
        { setWeight: 10 },
        {
          analysis: {
            templates: [{ templateName: 'error-rate' }, { templateName: 'latency' }],
            args: [...service, { name: 'window', value: '5m' }],
          },
        },
        { analysis: { templates: [{ templateName: 'shared-error-rate', clusterScope: true }] } },
      ],
      { analysis: { templates: [{ templateName: 'latency' }], args: service } },
    );
    expect(validateRollout(r, lookup)).toEqual([]);
  });

  it('names a missing AnalysisTemplate by namespace and name, at the templateName field', () => {
    const r = rollout([
      { setWeight: 10 },
      { pause: {} },
      { analysis: { templates: [{ templateName: 'eror-rate' }], args: service } },
    ]);
    expect(validateRollout(r, lookup)).toEqual([
      {
        field: 'spec.strategy.canary.steps[2].analysis.templates[0].templateName',
        code: 'TemplateNotFound',
        message:
          'AnalysisTemplate shop/eror-rate not found: create it or fix the name, or set clusterScope: true for a ClusterAnalysisTemplate',
      },
    ]);
  });

  it('looks clusterScope references up among ClusterAnalysisTemplates only', () => {
    const r = rollout([
      { analysis: { templates: [{ templateName: 'error-rate', clusterScope: true }], args: service } },
    ]);
    expect(validateRollout(r, lookup)).toEqual([
      {
        field: 'spec.strategy.canary.steps[0].analysis.templates[0].templateName',
        code: 'TemplateNotFound',
        message:
          'ClusterAnalysisTemplate error-rate not found: create it or fix the name, or drop clusterScope to use an AnalysisTemplate in the namespace',
      },
    ]);
  });

  it('checks the background analysis, too', () => {
    const r = rollout([{ setWeight: 10 }], { analysis: { templates: [{ templateName: 'gone' }] } });
    expect(validateRollout(r, lookup).map((e) => [e.code, e.field])).toEqual([
      ['TemplateNotFound', 'spec.strategy.canary.analysis.templates[0].templateName'],
    ]);
  });

  it('asks for a required argument the analysis does not pass, once per template', () => {
    const r = rollout([{ analysis: { templates: [{ templateName: 'error-rate' }, { templateName: 'latency' }] } }]);
    expect(validateRollout(r, lookup)).toEqual([
      {
        field: 'spec.strategy.canary.steps[0].analysis.args',
        code: 'MissingArg',
        message: 'AnalysisTemplate shop/error-rate needs argument "service": add {name: service, value: ...} to args',
      },
      {
        field: 'spec.strategy.canary.steps[0].analysis.args',
        code: 'MissingArg',
        message: 'AnalysisTemplate shop/latency needs argument "service": add {name: service, value: ...} to args',
      },
    ]);
  });

  it('points at an argument that no template declares, as a likely typo', () => {
    const r = rollout([
      { analysis: { templates: [{ templateName: 'latency' }], args: [...service, { name: 'servce', value: 'x' }] } },
    ]);
    expect(validateRollout(r, lookup)).toEqual([
      {
        field: 'spec.strategy.canary.steps[0].analysis.args[1].name',
        code: 'UnknownArg',
        message:
          'no template of this analysis declares argument "servce" (they declare service): fix the name or remove it',
      },
    ]);
  });

  it('does not call arguments unknown while a template is missing', () => {
    const r = rollout([
      {
        analysis: {
          templates: [{ templateName: 'latency' }, { templateName: 'gone' }],
          args: [...service, { name: 'extra', value: 'x' }],
        },
      },
    ]);
    expect(validateRollout(r, lookup).map((e) => e.code)).toEqual(['TemplateNotFound']);
  });

  it('refuses two templates of one analysis that define the same metric', () => {
    const r = rollout([
      {
        analysis: {
          templates: [{ templateName: 'error-rate' }, { templateName: 'shared-error-rate', clusterScope: true }],
          args: service,
        },
      },
    ]);
    expect(validateRollout(r, lookup)).toEqual([
      {
        field: 'spec.strategy.canary.steps[0].analysis.templates[1].templateName',
        code: 'DuplicateMetric',
        message:
          'metric "error-rate" is defined by both AnalysisTemplate shop/error-rate and ClusterAnalysisTemplate shared-error-rate: rename it in one of them, or split them into two analysis steps',
      },
    ]);
  });

  it('reports a step it cannot read instead of throwing', () => {
    const r = rollout([{ setWeight: 10, pause: {} }, { pause: { duration: 'soon' } }]);
    expect(validateRollout(r, lookup)).toEqual([
      {
        field: 'spec.strategy.canary.steps[0]',
        code: 'InvalidStep',
        message:
          'a step has exactly one action (setWeight, pause, analysis, setFlag, setHeaderRoute, setMirrorRoute), found setWeight and pause',
      },
    ]);
  });

  it('refuses a name too long for the label Sluice puts on its ReplicaSets and pods, or for its Services', () => {
    // What the API server now refuses (resources.ts), for a Rollout created before that rule.
    const long = rollout([{ setWeight: 10 }]);
    long.metadata.name = `checkout-${'x'.repeat(55)}`; // 64 characters
    expect(validateRollout(long, lookup)).toEqual([
      {
        field: 'metadata.name',
        code: 'InvalidName',
        message: expect.stringMatching(
          /at most 63 characters \(this one has 64\).*sluice\.dev\/rollout=<name>/,
        ) as unknown,
      },
    ]);
    long.metadata.name = `checkout-${'x'.repeat(54)}`;
    expect(validateRollout(long, lookup)).toEqual([]);

    const served = rollout([{ setWeight: 10 }]);
    served.spec.service = { port: 80 };
    for (const name of [`checkout-${'x'.repeat(48)}`, 'checkout.v2', '2checkout']) {
      served.metadata.name = name;
      expect(validateRollout(served, lookup), name).toEqual([
        {
          field: 'metadata.name',
          code: 'InvalidName',
          message: expect.stringContaining('<name>-stable and <name>-canary') as unknown,
        },
      ]);
    }
    served.metadata.name = `checkout-${'x'.repeat(47)}`; // 56: checkout-xxx-stable is 63
    expect(validateRollout(served, lookup)).toEqual([]);
  });
});

describe('validateRollout: bounds the CRD also enforces, for objects older than its rules', () => {
  const withMetric = (extra: Record<string, unknown>, prometheus: Record<string, unknown> = {}): TemplateLookup => ({
    analysisTemplate: (_ns, name) =>
      name === 'heavy'
        ? {
            metrics: [
              {
                ...metric('heavy'),
                ...extra,
                provider: { prometheus: { address: 'http://prometheus:9090', query: 'up', ...prometheus } },
              },
            ],
          }
        : undefined,
    clusterAnalysisTemplate: () => undefined,
  });
  const heavy = rollout([{ analysis: { templates: [{ templateName: 'heavy' }] } }]);

  it('refuses a pause longer than 30 days, naming the step, and accepts one of exactly 30 days', () => {
    expect(validateRollout(rollout([{ pause: { duration: '721h' } }]), lookup)).toEqual([
      {
        field: 'spec.strategy.canary.steps[0].pause.duration',
        code: 'OutOfRange',
        message: '721h is longer than the 720h allowed: pause without a duration to wait until promoted',
      },
    ]);
    expect(validateRollout(rollout([{ pause: { duration: '720h' } }]), lookup)).toEqual([]);
  });

  it('refuses a web request timeout above 60s, and accepts 60s', () => {
    const web = (timeout: string): TemplateLookup => ({
      analysisTemplate: () => ({
        metrics: [{ ...metric('heavy'), provider: { web: { url: 'http://health:8080/', jsonPath: '$.ok', timeout } } }],
      }),
      clusterAnalysisTemplate: () => undefined,
    });
    expect(validateRollout(heavy, web('61s'))).toEqual([
      {
        field: 'AnalysisTemplate shop/heavy spec.metrics[0].provider.web.timeout',
        code: 'OutOfRange',
        message:
          '61s is longer than the 60s allowed: a request that slow holds a measurement worker: make the endpoint faster',
      },
    ]);
    expect(validateRollout(heavy, web('60s'))).toEqual([]);
  });

  it('refuses a Job timeout above 1h, and accepts one of exactly 1h', () => {
    const jobLookup = (timeout: string): TemplateLookup => ({
      analysisTemplate: () => ({
        metrics: [{ name: 'smoke', provider: { job: { timeout, spec: { template: { spec: {} } } } } }],
      }),
      clusterAnalysisTemplate: () => undefined,
    });
    expect(validateRollout(heavy, jobLookup('2h'))).toEqual([
      {
        field: 'AnalysisTemplate shop/heavy spec.metrics[0].provider.job.timeout',
        code: 'OutOfRange',
        message: '2h is longer than the 1h allowed: split the check into shorter Jobs',
      },
    ]);
    expect(validateRollout(heavy, jobLookup('1h'))).toEqual([]);
  });

  it('refuses a query timeout above 60s, a range of more than 11,000 points and counts beyond any use', () => {
    const errors = validateRollout(
      heavy,
      withMetric({ count: 10_001, failureLimit: 5_000 }, { timeout: '5m', range: { lookback: '24h', step: '1s' } }),
    );
    expect(errors).toEqual([
      {
        field: 'AnalysisTemplate shop/heavy spec.metrics[0].provider.prometheus.timeout',
        code: 'OutOfRange',
        message:
          '5m is longer than the 60s allowed: a query that slow holds a measurement worker: make the query cheaper',
      },
      {
        field: 'AnalysisTemplate shop/heavy spec.metrics[0].provider.prometheus.range.step',
        code: 'OutOfRange',
        message:
          'range.lookback 24h / range.step 1s gives more than 11000 samples per series, which Prometheus refuses: raise range.step or shorten range.lookback',
      },
      {
        field: 'AnalysisTemplate shop/heavy spec.metrics[0].count',
        code: 'OutOfRange',
        message: '10001 is more than the 10000 allowed',
      },
      {
        field: 'AnalysisTemplate shop/heavy spec.metrics[0].failureLimit',
        code: 'OutOfRange',
        message: '5000 is more than the 1000 allowed',
      },
    ]);
    expect(validateRollout(heavy, withMetric({}, { timeout: '60s', range: { lookback: '1h', step: '15s' } }))).toEqual(
      [],
    );
  });

  it('refuses an InfluxDB query timeout above 60s, for templates written before the schema said so', () => {
    const influx = (timeout: string) => ({
      analysisTemplate: () => ({
        metrics: [
          {
            ...metric('heavy'),
            provider: {
              influxdb: { address: 'http://influxdb:8086', database: 'd', query: 'SELECT v FROM m', timeout },
            },
          },
        ],
      }),
      clusterAnalysisTemplate: () => undefined,
    });
    expect(validateRollout(heavy, influx('2m'))).toEqual([
      {
        field: 'AnalysisTemplate shop/heavy spec.metrics[0].provider.influxdb.timeout',
        code: 'OutOfRange',
        message:
          '2m is longer than the 60s allowed: a query that slow holds a measurement worker: make the query cheaper',
      },
    ]);
    expect(validateRollout(heavy, influx('60s'))).toEqual([]);
  });

  it('refuses a consecutiveSuccessLimit of 0 or above count, naming the field', () => {
    const field = 'AnalysisTemplate shop/heavy spec.metrics[0].consecutiveSuccessLimit';
    expect(validateRollout(heavy, withMetric({ consecutiveSuccessLimit: 0 }))).toEqual([
      { field, code: 'OutOfRange', message: '0 successes in a row is no evidence: set it to 1 or more' },
    ]);
    expect(validateRollout(heavy, withMetric({ count: 2, consecutiveSuccessLimit: 5 }))).toEqual([
      {
        field,
        code: 'OutOfRange',
        message: '5 successes in a row can never happen within count 2: lower it, raise count, or omit count',
      },
    ]);
    expect(validateRollout(heavy, withMetric({ count: 5, consecutiveSuccessLimit: 5 }))).toEqual([]);
    expect(validateRollout(heavy, withMetric({ consecutiveSuccessLimit: 5 }))).toEqual([]);
  });

  it('refuses three nested comprehensions in a condition at validation time, naming the field', () => {
    const errors = validateRollout(
      heavy,
      withMetric({ successCondition: 'result.all(a, result.all(b, result.all(c, a + b + c > 0.0)))' }),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      field: 'AnalysisTemplate shop/heavy spec.metrics[0].successCondition',
      code: 'TooExpensive',
    });
    expect(errors[0]!.message).toMatch(/^successCondition is too expensive to evaluate: it nests 3 comprehensions/);
    // A condition that is merely wrong is left to the measurement, which shows the parser's message.
    expect(validateRollout(heavy, withMetric({ successCondition: 'result <' }))).toEqual([]);
  });
});

describe('validateRollout: managed route matches', () => {
  it('refuses a route that matches one header twice, whatever the case, naming the second match', () => {
    const match = [
      { headerName: 'X-User', headerValue: { exact: 'qa' } },
      { headerName: 'x-team', headerValue: { exact: 'a' } },
      { headerName: 'x-user', headerValue: { exact: 'beta' } },
    ];
    const r = rollout([{ setWeight: 0 }, { setHeaderRoute: { name: 'internal', match } }]);
    expect(validateRollout(r, lookup)).toEqual([
      {
        field: 'spec.strategy.canary.steps[1].setHeaderRoute.match[2].headerName',
        code: 'InvalidStep',
        message: 'header x-user is matched twice (names are case-insensitive): keep one match per header',
      },
    ]);
    const mirror = rollout([{ setMirrorRoute: { name: 'copy', percentage: 10, match } }]);
    expect(validateRollout(mirror, lookup)[0]?.field).toBe(
      'spec.strategy.canary.steps[0].setMirrorRoute.match[2].headerName',
    );
    const distinct = rollout([{ setHeaderRoute: { name: 'internal', match: match.slice(0, 2) } }]);
    expect(validateRollout(distinct, lookup)).toEqual([]);
  });
});
