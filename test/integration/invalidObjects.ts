/**
 * Objects the API server must refuse, each with the field its error must name. Every row starts from a valid
 * object (validRollout / validTemplate, themselves checked to be accepted) and breaks one thing.
 */

type Spec = Record<string, unknown>;

export interface InvalidCase {
  title: string;
  kind: 'Rollout' | 'AnalysisTemplate' | 'ClusterAnalysisTemplate';
  spec: Spec;
  /** Overrides the generated object name, for rules about the name. */
  name?: string;
  /** The field path the error message must contain. */
  field: string;
  /** What else the message must say (the rule's own words, or the API server's). */
  says: RegExp;
}

const workload = { workloadRef: { name: 'checkout' } };
const steps = (...list: unknown[]): Spec => ({ strategy: { canary: { steps: list } } });
const canary = (more: Spec): Spec => ({ strategy: { canary: { steps: [{ setWeight: 10 }], ...more } } });
const analysis = (more: Spec) => ({ analysis: { templates: [{ templateName: 'error-rate' }], ...more } });
const flag = (more: Spec) => ({ setFlag: { name: 'new-checkout-flow', rollout: 10, ...more } });

/** A Rollout spec that the API server accepts, and the bases of the rows below. */
export const validRollout: Spec = {
  ...workload,
  service: { port: 80 },
  trafficRouting: { gatewayAPI: { httpRoute: 'checkout' } },
  ...steps({ setWeight: 10 }, { pause: {} }),
};

const prometheus = (more: Spec = {}) => ({
  prometheus: { address: 'http://prometheus.monitoring:9090', query: 'up', ...more },
});
const metric = (more: Spec = {}) => ({
  name: 'error-rate',
  successCondition: 'result < 0.05',
  provider: prometheus(),
  ...more,
});
const compared = (more: Spec = {}) =>
  metric({
    successCondition: undefined,
    compare: { direction: 'increase' },
    provider: prometheus({ query: 'x{track="{{track}}"}', range: { lookback: '5m', step: '15s' } }),
    ...more,
  });

/** An AnalysisTemplate spec that the API server accepts. */
export const validTemplate: Spec = { args: [{ name: 'service' }], metrics: [metric(), compared({ name: 'latency' })] };

const rollout = (title: string, spec: Spec, field: string, says: RegExp): InvalidCase => ({
  title,
  kind: 'Rollout',
  spec,
  field,
  says,
});
const template = (title: string, spec: Spec, field: string, says: RegExp): InvalidCase => ({
  title,
  kind: 'AnalysisTemplate',
  spec,
  field,
  says,
});

const mustBe = (type: string) => new RegExp(`must be of type ${type}`);
const atMost = (n: number) => new RegExp(`less than or equal to ${n}`);
const atLeast = (n: number) => new RegExp(`greater than or equal to ${n}`);
const unsupported = /Unsupported value/;
const required = /Required value/;
const pattern = /should match/;
const unknownField = /unknown field/;

export const invalidCases: InvalidCase[] = [
  // Steps
  rollout(
    'a step with two actions',
    { ...workload, ...steps({ setWeight: 10, pause: {} }) },
    'spec.strategy.canary.steps[0]',
    /a step has exactly one action/,
  ),
  rollout(
    'a step with no action',
    { ...workload, ...steps({ setWeight: 10 }, {}) },
    'spec.strategy.canary.steps[1]',
    /a step has exactly one action/,
  ),
  rollout('no steps', { ...workload, ...steps() }, 'spec.strategy.canary.steps', /at least 1 items/),
  rollout(
    'more steps than the limit',
    { ...workload, ...steps(...Array.from({ length: 65 }, () => ({ pause: {} }))) },
    'spec.strategy.canary.steps',
    /at most 64 items/,
  ),
  rollout(
    'setWeight above 100',
    { ...workload, ...steps({ setWeight: 101 }) },
    'spec.strategy.canary.steps[0].setWeight',
    atMost(100),
  ),
  rollout(
    'setWeight below 0',
    { ...workload, ...steps({ setWeight: -1 }) },
    'spec.strategy.canary.steps[0].setWeight',
    atLeast(0),
  ),
  rollout(
    'setWeight as a string',
    { ...workload, ...steps({ setWeight: 'ten' }) },
    'spec.strategy.canary.steps[0].setWeight',
    mustBe('integer'),
  ),
  rollout(
    'setWeight with a fraction',
    { ...workload, ...steps({ setWeight: 12.5 }) },
    'spec.strategy.canary.steps[0].setWeight',
    mustBe('integer'),
  ),
  rollout(
    'a pause duration in words',
    { ...workload, ...steps({ pause: { duration: '5 minutes' } }) },
    'spec.strategy.canary.steps[0].pause.duration',
    pattern,
  ),
  rollout(
    'a negative pause duration',
    { ...workload, ...steps({ pause: { duration: '-1s' } }) },
    'spec.strategy.canary.steps[0].pause.duration',
    pattern,
  ),
  rollout(
    'a pause duration without a unit',
    { ...workload, ...steps({ pause: { duration: 30 } }) },
    'spec.strategy.canary.steps[0].pause.duration',
    mustBe('string'),
  ),
  rollout(
    'an analysis step with no templates',
    { ...workload, ...steps(analysis({ templates: [] })) },
    'spec.strategy.canary.steps[0].analysis.templates',
    /at least 1 items/,
  ),
  rollout(
    'an analysis step without templates',
    { ...workload, ...steps({ analysis: { args: [] } }) },
    'spec.strategy.canary.steps[0].analysis.templates',
    required,
  ),
  rollout(
    'the same template twice in one step',
    {
      ...workload,
      ...steps(analysis({ templates: [{ templateName: 'error-rate' }, { templateName: 'error-rate' }] })),
    },
    'spec.strategy.canary.steps[0].analysis.templates[1]',
    /Duplicate value/,
  ),
  rollout(
    'the same argument twice',
    {
      ...workload,
      ...steps(
        analysis({
          args: [
            { name: 'service', value: 'a' },
            { name: 'service', value: 'b' },
          ],
        }),
      ),
    },
    'spec.strategy.canary.steps[0].analysis.args[1]',
    /Duplicate value/,
  ),
  rollout(
    'an argument without a value',
    { ...workload, ...steps(analysis({ args: [{ name: 'service' }] })) },
    'spec.strategy.canary.steps[0].analysis.args[0].value',
    required,
  ),
  rollout(
    'a flag rollout above 100%',
    { ...workload, ...steps(flag({ rollout: 150 })) },
    'spec.strategy.canary.steps[0].setFlag.rollout',
    atMost(100),
  ),
  rollout(
    'an unknown onAbort',
    { ...workload, ...steps(flag({ onAbort: 'keep' })) },
    'spec.strategy.canary.steps[0].setFlag.onAbort',
    unsupported,
  ),
  rollout(
    'a flag name with spaces',
    { ...workload, ...steps(flag({ name: 'new checkout' })) },
    'spec.strategy.canary.steps[0].setFlag.name',
    pattern,
  ),
  rollout(
    'a misspelt step action',
    { ...workload, ...steps({ setWeigth: 10 }) },
    'spec.strategy.canary.steps[0].setWeigth',
    unknownField,
  ),
  // The canary strategy
  rollout('no strategy', { ...workload }, 'spec.strategy', required),
  rollout(
    'background analysis starting after the last step',
    { ...workload, ...canary({ analysis: { templates: [{ templateName: 'error-rate' }], startingStep: 1 } }) },
    'spec.strategy.canary.analysis.startingStep',
    /index of one of the steps/,
  ),
  rollout(
    'a negative abortScaleDownDelaySeconds',
    { ...workload, ...canary({ abortScaleDownDelaySeconds: -5 }) },
    'spec.strategy.canary.abortScaleDownDelaySeconds',
    atLeast(0),
  ),
  // Workload, service and routing
  rollout(
    'a flag-only rollout with setWeight',
    { ...steps(flag({}), { setWeight: 10 }) },
    'spec.strategy.canary.steps',
    /without workloadRef is a flag-only release/,
  ),
  rollout(
    'a flag-only rollout with trafficRouting',
    { trafficRouting: { smi: { trafficSplitName: 'x' } }, ...steps(flag({})) },
    'spec.trafficRouting',
    /flag-only release and routes no traffic/,
  ),
  rollout(
    'a flag-only rollout with a service',
    { service: { port: 80 }, ...steps(flag({})) },
    'spec.service',
    /flag-only release and has no pods/,
  ),
  rollout(
    'trafficRouting without a service',
    { ...workload, trafficRouting: { gatewayAPI: { httpRoute: 'checkout' } }, ...steps({ setWeight: 5 }) },
    'spec.service',
    /trafficRouting needs service/,
  ),
  rollout(
    'two routers',
    { ...validRollout, trafficRouting: { gatewayAPI: { httpRoute: 'a' }, nginx: { stableIngress: 'a' } } },
    'spec.trafficRouting',
    /exactly one router/,
  ),
  rollout(
    'trafficRouting without a router',
    { ...validRollout, trafficRouting: {} },
    'spec.trafficRouting',
    /exactly one router/,
  ),
  rollout(
    'istio without a VirtualService',
    { ...validRollout, trafficRouting: { istio: { routes: ['primary'] } } },
    'spec.trafficRouting.istio.virtualService',
    required,
  ),
  rollout(
    'a workload that is not a Deployment',
    { ...validRollout, workloadRef: { kind: 'StatefulSet', name: 'db' } },
    'spec.workloadRef.kind',
    unsupported,
  ),
  rollout(
    'a workload name that is not a Kubernetes name',
    { ...validRollout, workloadRef: { name: 'Checkout_v2' } },
    'spec.workloadRef.name',
    pattern,
  ),
  rollout('service port 0', { ...validRollout, service: { port: 0 } }, 'spec.service.port', atLeast(1)),
  rollout(
    'a targetPort out of range',
    { ...validRollout, service: { port: 80, targetPort: 70000 } },
    'spec.service.targetPort',
    /port number from 1 to 65535 or a port name/,
  ),
  {
    ...rollout(
      'a Rollout name too long for its Services',
      validRollout,
      'metadata.name',
      /Sluice names its Services <name>-stable and <name>-canary/,
    ),
    name: `checkout-${'x'.repeat(50)}`,
  },
  {
    ...rollout(
      "a Rollout name too long for its pods' label",
      { ...workload, ...steps({ setWeight: 10 }) },
      'metadata.name',
      /label value is at most 63/,
    ),
    name: `checkout-${'x'.repeat(55)}`,
  },
  // Top-level fields
  rollout('paused as a string', { ...validRollout, paused: 'yes' }, 'spec.paused', mustBe('boolean')),
  rollout(
    'a progress deadline of 0',
    { ...validRollout, progressDeadlineSeconds: 0 },
    'spec.progressDeadlineSeconds',
    atLeast(1),
  ),
  rollout(
    'an empty freeze flag',
    { ...validRollout, gates: { freezeFlag: '' } },
    'spec.gates.freezeFlag',
    /at least 1 chars/,
  ),
  rollout('an unknown spec field', { ...validRollout, progressDeadline: '10m' }, 'spec.progressDeadline', unknownField),

  // AnalysisTemplates
  template('no metrics', { metrics: [] }, 'spec.metrics', /at least 1 items/),
  template(
    'a metric with no way to judge it',
    { metrics: [metric({ successCondition: undefined })] },
    'spec.metrics[0]',
    /needs a way to judge it/,
  ),
  template(
    'an interval in words',
    { metrics: [metric({ interval: 'every minute' })] },
    'spec.metrics[0].interval',
    pattern,
  ),
  template(
    'an initialDelay in days',
    { metrics: [metric({ initialDelay: '1d' })] },
    'spec.metrics[0].initialDelay',
    pattern,
  ),
  template('a count of 0', { metrics: [metric({ count: 0 })] }, 'spec.metrics[0].count', atLeast(1)),
  template(
    'a negative failureLimit',
    { metrics: [metric({ failureLimit: -1 })] },
    'spec.metrics[0].failureLimit',
    atLeast(0),
  ),
  template('two metrics with one name', { metrics: [metric(), metric()] }, 'spec.metrics[1]', /Duplicate value/),
  template('an uppercase metric name', { metrics: [metric({ name: 'ErrorRate' })] }, 'spec.metrics[0].name', pattern),
  template(
    'a metric without a provider',
    { metrics: [metric({ provider: undefined })] },
    'spec.metrics[0].provider',
    required,
  ),
  template(
    'an address without a scheme',
    { metrics: [metric({ provider: prometheus({ address: 'prometheus:9090' }) })] },
    'spec.metrics[0].provider.prometheus.address',
    pattern,
  ),
  template(
    'an empty query',
    { metrics: [metric({ provider: prometheus({ query: '' }) })] },
    'spec.metrics[0].provider.prometheus.query',
    /at least 1 chars/,
  ),
  template(
    'a query timeout without a unit',
    { metrics: [metric({ provider: prometheus({ timeout: '10' }) })] },
    'spec.metrics[0].provider.prometheus.timeout',
    pattern,
  ),
  template(
    'a range step longer than its lookback',
    { metrics: [metric({ provider: prometheus({ range: { lookback: '1m', step: '5m' } }) })] },
    'spec.metrics[0].provider.prometheus.range.step',
    /no longer than range.lookback/,
  ),
  template(
    'an unknown provider field',
    { metrics: [metric({ provider: prometheus({ url: 'http://x' }) })] },
    'spec.metrics[0].provider.prometheus.url',
    unknownField,
  ),
  template(
    'compare without a range',
    { metrics: [compared({ provider: prometheus({ query: 'x{track="{{track}}"}' }) })] },
    'spec.metrics[0].provider.prometheus',
    /compare needs series of samples/,
  ),
  template(
    'compare with a successCondition',
    { metrics: [compared({ successCondition: 'result < 1' })] },
    'spec.metrics[0].compare',
    /remove successCondition and failureCondition/,
  ),
  template(
    'compare with a query without {{track}}',
    { metrics: [compared({ provider: prometheus({ range: { lookback: '5m', step: '15s' } }) })] },
    'spec.metrics[0].provider.prometheus.query',
    /write \{\{track\}\} in the query/,
  ),
  template(
    'a confidence above 0.999',
    { metrics: [compared({ compare: { confidence: 0.9999 } })] },
    'spec.metrics[0].compare.confidence',
    atMost(0.999),
  ),
  template(
    'a confidence below 0.5',
    { metrics: [compared({ compare: { confidence: 0.3 } })] },
    'spec.metrics[0].compare.confidence',
    atLeast(0.5),
  ),
  template(
    'an unknown direction',
    { metrics: [compared({ compare: { direction: 'up' } })] },
    'spec.metrics[0].compare.direction',
    unsupported,
  ),
  template(
    'an unknown method',
    { metrics: [compared({ compare: { method: 'tTest' } })] },
    'spec.metrics[0].compare.method',
    unsupported,
  ),
  template(
    'an allowedDecrease of 0',
    { metrics: [compared({ compare: { allowedDecrease: 0 } })] },
    'spec.metrics[0].compare.allowedDecrease',
    /greater than 0/,
  ),
  template(
    'an argument with value and valueFrom',
    {
      ...validTemplate,
      args: [{ name: 'service', value: 'a', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    },
    'spec.args[0].valueFrom',
    /either value or valueFrom/,
  ),
  template(
    'valueFrom with two sources',
    {
      ...validTemplate,
      args: [
        {
          name: 'service',
          valueFrom: { fieldRef: { fieldPath: 'metadata.name' }, secretKeyRef: { name: 's', key: 'k' } },
        },
      ],
    },
    'spec.args[0].valueFrom',
    /exactly one of secretKeyRef or fieldRef/,
  ),
  template(
    'a header with no value',
    { metrics: [metric({ provider: prometheus({ headers: [{ name: 'X-Scope-OrgID' }] }) })] },
    'spec.metrics[0].provider.prometheus.headers[0]',
    /exactly one of value or valueFrom/,
  ),
  template(
    'two kinds of authentication',
    {
      metrics: [
        metric({
          provider: prometheus({
            authentication: {
              bearerToken: { secretKeyRef: { name: 's', key: 't' } },
              basicAuth: { username: 'u', password: { secretKeyRef: { name: 's', key: 'p' } } },
            },
          }),
        }),
      ],
    },
    'spec.metrics[0].provider.prometheus.authentication',
    /exactly one of bearerToken or basicAuth/,
  ),
  {
    ...template(
      'a ClusterAnalysisTemplate with a count as text',
      { metrics: [metric({ count: 'five' })] },
      'spec.metrics[0].count',
      mustBe('integer'),
    ),
    kind: 'ClusterAnalysisTemplate',
  },
];
