/** AnalysisTemplates the API server must refuse: each starts from a valid metric or validTemplate and breaks one thing. */
import {
  atLeast,
  atMost,
  mustBe,
  pattern,
  required,
  unknownField,
  unsupported,
  type InvalidCase,
  type Spec,
} from './invalidCase.ts';

const prometheus = (more: Spec = {}) => ({
  prometheus: { address: 'http://prometheus.monitoring:9090', query: 'up', ...more },
});
const web = (more: Spec = {}) => ({
  web: { url: 'http://checkout.shop:8080/health', jsonPath: '{$.ok}', ...more },
});
const influxdb = (more: Spec = {}) => ({
  influxdb: {
    address: 'http://influxdb.monitoring:8086',
    database: 'telegraf',
    query: 'SELECT last(v) FROM m',
    ...more,
  },
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

const template = (title: string, spec: Spec, field: string, says: RegExp): InvalidCase => ({
  title,
  kind: 'AnalysisTemplate',
  spec,
  field,
  says,
});

export const invalidTemplates: InvalidCase[] = [
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
  template(
    'a web metric with a body on GET',
    { metrics: [metric({ provider: web({ body: '{}' }) })] },
    'spec.metrics[0].provider.web.body',
    /a body is sent only with POST or PUT/,
  ),
  template(
    'a web metric with DELETE',
    { metrics: [metric({ provider: web({ method: 'DELETE' }) })] },
    'spec.metrics[0].provider.web.method',
    unsupported,
  ),
  template(
    'a web timeout of 2m',
    { metrics: [metric({ provider: web({ timeout: '2m' }) })] },
    'spec.metrics[0].provider.web.timeout',
    /must be at most 60s/,
  ),
  template(
    'a web url that is not http(s)',
    { metrics: [metric({ provider: web({ url: 'file:///etc/passwd' }) })] },
    'spec.metrics[0].provider.web.url',
    pattern,
  ),
  template(
    'a web url with a placeholder in its host',
    { metrics: [metric({ provider: web({ url: 'http://{{args.service}}.shop:8080/health' }) })] },
    'spec.metrics[0].provider.web.url',
    pattern,
  ),
  template(
    'a metric with both prometheus and web',
    { metrics: [metric({ provider: { ...prometheus(), ...web() } })] },
    'spec.metrics[0].provider',
    /exactly one provider/,
  ),
  template(
    'an InfluxDB metric without a database',
    { metrics: [metric({ provider: { influxdb: { address: 'http://influxdb:8086', query: 'SELECT 1' } } })] },
    'spec.metrics[0].provider.influxdb.database',
    required,
  ),
  template(
    'an InfluxDB database with a line break',
    { metrics: [metric({ provider: influxdb({ database: 'tele\ngraf' }) })] },
    'spec.metrics[0].provider.influxdb.database',
    pattern,
  ),
  template(
    'an InfluxDB timeout over the 60s bound',
    { metrics: [metric({ provider: influxdb({ timeout: '2m' }) })] },
    'spec.metrics[0].provider.influxdb.timeout',
    /must be at most 60s/,
  ),
  template(
    'both prometheus and influxdb in one metric',
    { metrics: [metric({ provider: { ...prometheus(), ...influxdb() } })] },
    'spec.metrics[0].provider',
    /exactly one provider: set one of prometheus, .*influxdb/,
  ),
  template(
    'InfluxDB compare with a query without {{track}}',
    { metrics: [compared({ provider: influxdb() })] },
    'spec.metrics[0].provider.influxdb.query',
    /write \{\{track\}\} in the query/,
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
