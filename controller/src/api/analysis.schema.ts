/**
 * The AnalysisTemplate spec (shared by the namespaced AnalysisTemplate and the cluster-scoped
 * ClusterAnalysisTemplate): arguments, and metrics that each measure one thing in Prometheus and judge it, either
 * with CEL conditions over the result or by comparing canary against stable.
 */
import { Type } from 'typebox';
import { celRules, duration, hasPath, labelName, mapList, object, secretKeySelector, text } from './common.schema.ts';
import { durationPattern } from './duration.ts';
import { webProviderSchema } from './webProvider.schema.ts';
import { influxdbProvider } from './influxdbProvider.schema.ts';
import { jobProvider } from './jobProvider.schema.ts';

export const maxMetrics = 20;
export const maxTemplateArgs = 32;

/**
 * Bounds on metric fields that have no sane use beyond them. The API server enforces them (CEL rules) and so does
 * the controller (validate.ts), for templates written before the bounds existed.
 */
export const metricLimits = {
  /** A query holds a measurement worker while it runs; a slow Prometheus should be an Error, not a stall. */
  timeout: '60s',
  interval: '24h',
  initialDelay: '24h',
  lookback: '168h',
  /** Prometheus refuses a range query of more than 11,000 points per series; this says so before it is sent. */
  pointsPerSeries: 11_000,
  count: 10_000,
  /** failureLimit, inconclusiveLimit, consecutiveErrorLimit: beyond this a limit no longer limits anything. */
  tolerated: 1_000,
} as const;

const onlyOneOf = (fields: string[]) => fields.map((f) => `(has(self.${f}) ? 1 : 0)`).join(' + ');

export const templateArg = object(
  'An argument of the template. Without value or valueFrom it is required: each Rollout that uses the template must pass it.',
  {
    name: Type.String({
      description: 'Name of the argument; write {{args.<name>}} where the value goes.',
      minLength: 1,
      maxLength: 63,
      pattern: '^[A-Za-z_][A-Za-z0-9_-]*$',
    }),
    value: Type.Optional(text('Default value, used when the Rollout passes none.')),
    valueFrom: Type.Optional(
      object(
        'Where the value comes from, when it is not written here.',
        {
          secretKeyRef: Type.Optional(secretKeySelector),
          fieldRef: Type.Optional(
            object('A field of the Rollout being analysed.', {
              fieldPath: text("Path of the field, such as metadata.name or metadata.labels['app'].", {
                minLength: 1,
                maxLength: 256,
              }),
            }),
          ),
        },
        celRules({
          rule: `${onlyOneOf(['secretKeyRef', 'fieldRef'])} == 1`,
          message: 'valueFrom takes exactly one of secretKeyRef or fieldRef',
        }),
      ),
    ),
  },
  celRules({
    rule: '!(has(self.value) && has(self.valueFrom))',
    message: 'an argument has either value or valueFrom, not both',
    fieldPath: '.valueFrom',
  }),
);

export const prometheusHeader = object(
  'An HTTP header sent with each Prometheus query.',
  {
    name: Type.String({
      description: 'Header name.',
      minLength: 1,
      maxLength: 256,
      pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$",
    }),
    value: Type.Optional(text('Header value; may contain {{args.<name>}}.', { maxLength: 4096 })),
    valueFrom: Type.Optional(object('Reads the header value from a Secret.', { secretKeyRef: secretKeySelector })),
  },
  celRules({
    rule: `${onlyOneOf(['value', 'valueFrom'])} == 1`,
    message: 'a header takes exactly one of value or valueFrom',
  }),
);

export const prometheusAuthentication = object(
  "How Sluice authenticates to Prometheus. Secrets are read from the Rollout's namespace.",
  {
    bearerToken: Type.Optional(object('Sends Authorization: Bearer <token>.', { secretKeyRef: secretKeySelector })),
    basicAuth: Type.Optional(
      object('Sends HTTP basic authentication.', {
        username: text('User name.', { minLength: 1, maxLength: 256 }),
        password: object('Reads the password from a Secret.', { secretKeyRef: secretKeySelector }),
      }),
    ),
  },
  celRules({
    rule: `${onlyOneOf(['bearerToken', 'basicAuth'])} == 1`,
    message: 'authentication takes exactly one of bearerToken or basicAuth',
  }),
);

export const prometheusRange = object(
  'Makes the query a range query, giving a series of samples instead of one value (the comparison needs samples).',
  {
    lookback: duration('How far back the range starts.', {}, metricLimits.lookback),
    step: duration(
      `Resolution of the range: one sample per step. range.lookback / range.step may be at most ${metricLimits.pointsPerSeries}.`,
    ),
  },
  celRules(
    {
      // matches() first: a value that fails the pattern gets the pattern's error, not a second one from duration().
      rule: `!self.lookback.matches(r'${durationPattern}') || !self.step.matches(r'${durationPattern}') || (duration(self.step) > duration('0s') && duration(self.step) <= duration(self.lookback))`,
      message: 'range.step must be longer than 0s and no longer than range.lookback',
      fieldPath: '.step',
    },
    {
      rule: `!self.lookback.matches(r'${durationPattern}') || !self.step.matches(r'${durationPattern}') || duration(self.lookback).getMilliseconds() <= duration(self.step).getMilliseconds() * ${metricLimits.pointsPerSeries}`,
      message: `range.lookback / range.step gives more than ${metricLimits.pointsPerSeries} samples per series, which Prometheus refuses: raise range.step or shorten range.lookback`,
      fieldPath: '.step',
    },
  ),
);

export const prometheusProvider = object('Measures with a PromQL query.', {
  address: Type.String({
    description: 'Base URL of the Prometheus HTTP API, such as http://prometheus.monitoring:9090.',
    maxLength: 2048,
    pattern: '^https?://[^\\s/?#]+[^\\s]*$',
  }),
  timeout: Type.Optional(
    duration(
      'How long one query may take before the measurement is an error.',
      { default: '30s' },
      metricLimits.timeout,
    ),
  ),
  query: text(
    'PromQL query. {{args.<name>}} is replaced by the argument (escaped for PromQL strings); with compare, {{track}} is replaced by canary or stable.',
    {
      minLength: 1,
      maxLength: 8192,
    },
  ),
  range: Type.Optional(prometheusRange),
  headers: Type.Optional(mapList('HTTP headers sent with each query.', prometheusHeader, ['name'], { maxItems: 16 })),
  authentication: Type.Optional(prometheusAuthentication),
});

/**
 * The providers a metric may measure with, exactly one per metric. Each key has one implementation in
 * controller/src/analysis/ behind the MetricProvider contract (analysis/provider.ts), which the engine enforces.
 */
export const webProvider = webProviderSchema(metricLimits.timeout);

export const providerKeys = ['prometheus', 'web', 'influxdb', 'job'] as const;

export const metricProvider = object(
  'Where the measurement comes from: exactly one provider.',
  {
    prometheus: Type.Optional(prometheusProvider),
    web: Type.Optional(webProvider),
    influxdb: Type.Optional(influxdbProvider),
    job: Type.Optional(jobProvider),
  },
  celRules({
    rule: `${onlyOneOf([...providerKeys])} == 1`,
    message: `a metric measures with exactly one provider: set one of ${providerKeys.join(', ')}`,
  }),
);

export const metricCompare = object(
  'Judges the canary against stable over the same window, instead of against fixed conditions.',
  {
    method: Type.Optional(
      Type.Enum(['mannWhitney'], {
        description: 'Statistical test: mannWhitney (Mann-Whitney U on the two series of samples).',
        default: 'mannWhitney',
      }),
    ),
    direction: Type.Optional(
      Type.Enum(['increase', 'decrease', 'either'], {
        description:
          'Which change counts as a regression: increase (e.g. latency, errors), decrease (e.g. throughput) or either.',
        default: 'either',
      }),
    ),
    confidence: Type.Optional(
      Type.Number({
        description: 'Confidence required to call a difference real, from 0.5 to 0.999.',
        minimum: 0.5,
        maximum: 0.999,
        default: 0.98,
      }),
    ),
    allowedIncrease: Type.Optional(
      Type.Number({
        description: 'Largest tolerated ratio of canary mean to stable mean when it increases (1.1 tolerates +10%).',
        minimum: 1,
        default: 1,
      }),
    ),
    allowedDecrease: Type.Optional(
      Type.Number({
        description: 'Smallest tolerated ratio of canary mean to stable mean when it decreases (0.9 tolerates -10%).',
        exclusiveMinimum: 0,
        maximum: 1,
        default: 1,
      }),
    ),
  },
);

export const metric = object(
  'One thing to measure, how often, and how to judge it.',
  {
    name: labelName('Name of the metric, shown in status and events.'),
    interval: Type.Optional(duration('Time between measurements.', { default: '1m' }, metricLimits.interval)),
    count: Type.Optional(
      Type.Integer({
        description:
          'Number of measurements. Omitted: an analysis step takes one; background analysis measures every interval until the rollout finishes.',
        minimum: 1,
        maximum: metricLimits.count,
      }),
    ),
    initialDelay: Type.Optional(
      duration(
        'Wait before the first measurement, so that the canary has served traffic.',
        {},
        metricLimits.initialDelay,
      ),
    ),
    failureLimit: Type.Optional(
      Type.Integer({
        description: 'Failed measurements tolerated; one more fails the metric.',
        minimum: 0,
        maximum: metricLimits.tolerated,
        default: 0,
      }),
    ),
    inconclusiveLimit: Type.Optional(
      Type.Integer({
        description: 'Inconclusive measurements tolerated; one more pauses the rollout for a human to decide.',
        minimum: 0,
        maximum: metricLimits.tolerated,
        default: 0,
      }),
    ),
    consecutiveSuccessLimit: Type.Optional(
      Type.Integer({
        description:
          'Successful measurements in a row that end the metric as Successful at once (as in Argo Rollouts), e.g. a scale-down analysis that waits for the old revision to drain: failures before them count against failureLimit. Without count it measures until then.',
        minimum: 1,
        maximum: metricLimits.count,
      }),
    ),
    consecutiveErrorLimit: Type.Optional(
      Type.Integer({
        description:
          'Provider errors in a row tolerated (Prometheus down, bad query); one more makes the metric Error, which aborts.',
        minimum: 0,
        maximum: metricLimits.tolerated,
        default: 4,
      }),
    ),
    successCondition: Type.Optional(
      text(
        'CEL over result (a number, or a list for vector results) that must be true for success, such as result < 0.05.',
        { minLength: 1 },
      ),
    ),
    failureCondition: Type.Optional(
      text('CEL over result that, when true, fails the measurement, such as result >= 0.10.', { minLength: 1 }),
    ),
    dryRun: Type.Optional(
      Type.Boolean({ description: 'Record the metric without letting it gate the rollout.', default: false }),
    ),
    provider: metricProvider,
    compare: Type.Optional(metricCompare),
  },
  celRules(
    {
      // A Job judges itself (its conditions are the verdict): it needs neither conditions nor compare.
      rule: 'has(self.successCondition) || has(self.failureCondition) || has(self.compare) || has(self.provider.job)',
      message: 'a metric needs a way to judge it: set successCondition, failureCondition or compare',
      reason: 'FieldValueRequired',
    },
    {
      rule: '!has(self.compare) || (!has(self.successCondition) && !has(self.failureCondition))',
      message:
        'compare judges canary against stable by itself: remove successCondition and failureCondition, or remove compare',
      fieldPath: '.compare',
      reason: 'FieldValueForbidden',
    },
    {
      rule: '!has(self.consecutiveSuccessLimit) || !has(self.count) || self.consecutiveSuccessLimit <= self.count',
      message:
        'consecutiveSuccessLimit can never be reached within count: lower it, raise count, or omit count (measure until the streak)',
      fieldPath: '.consecutiveSuccessLimit',
      reason: 'FieldValueInvalid',
    },
    {
      rule: `!has(self.compare) || has(self.provider.influxdb) || (${hasPath('self.provider.prometheus.range')})`,
      message:
        'compare needs series of samples: set provider.prometheus.range {lookback, step}, or use an InfluxDB query with GROUP BY time()',
      fieldPath: '.provider.prometheus',
      reason: 'FieldValueRequired',
    },
    {
      rule: `!has(self.compare) || !(${hasPath('self.provider.influxdb.query')}) || self.provider.influxdb.query.contains('{{track}}')`,
      message:
        "compare runs the query once for canary and once for stable: write {{track}} in the query where the track tag value goes, as in WHERE track = '{{track}}'",
      fieldPath: '.provider.influxdb.query',
    },
    {
      rule: `!has(self.compare) || !(${hasPath('self.provider.prometheus.query')}) || self.provider.prometheus.query.contains('{{track}}')`,
      message:
        'compare runs the query once for canary and once for stable: write {{track}} in the query where the track label value goes',
      fieldPath: '.provider.prometheus.query',
    },
  ),
);

export const analysisTemplateSpec = object('Metrics that judge a canary, and the arguments they take.', {
  args: Type.Optional(
    mapList('Arguments the queries use as {{args.<name>}}.', templateArg, ['name'], { maxItems: maxTemplateArgs }),
  ),
  metrics: mapList('The metrics; all of them must pass.', metric, ['name'], { minItems: 1, maxItems: maxMetrics }),
});
