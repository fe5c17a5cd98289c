/**
 * The InfluxDB 1.x provider's spec (`metric.provider.influxdb`): an InfluxQL query against a database, read-only
 * (SELECT or SHOW; analysis/influxqlTemplate.ts refuses anything else before it is sent).
 */
import { Type } from 'typebox';
import { duration, object, secretKeySelector, text } from './common.schema.ts';

/**
 * The longest a query may take: influxdbTimeoutLimit, which analysis.schema.ts holds and cannot lend here (it imports
 * this file); influxdb.test.ts checks that the two agree.
 */
export const influxdbTimeoutLimit = '60s';

/** A database or retention policy name: InfluxDB allows almost anything but control characters. */
const influxName = (description: string) =>
  Type.String({ description, minLength: 1, maxLength: 255, pattern: '^[^\\x00-\\x1f\\x7f]+$' });

export const influxdbProvider = object('Measures with an InfluxQL query against InfluxDB 1.x.', {
  address: Type.String({
    description: 'Base URL of the InfluxDB HTTP API, such as http://influxdb.monitoring:8086.',
    maxLength: 2048,
    pattern: '^https?://[^\\s/?#]+[^\\s]*$',
  }),
  database: influxName('The database the query reads (the db parameter).'),
  retentionPolicy: Type.Optional(
    influxName('The retention policy the query reads (the rp parameter); the default policy when omitted.'),
  ),
  timeout: Type.Optional(
    duration(
      'How long one query may take before the measurement is an error.',
      { default: '30s' },
      influxdbTimeoutLimit,
    ),
  ),
  query: text(
    "One InfluxQL SELECT or SHOW statement. {{args.<name>}} is replaced by the argument, escaped for the '...' string or \"...\" identifier it must sit in; with compare, {{track}} is replaced by canary or stable. The value read is each row's first column after time.",
    { minLength: 1, maxLength: 8192 },
  ),
  authentication: Type.Optional(
    object("How Sluice authenticates to InfluxDB. The Secret is read from the Rollout's namespace.", {
      basicAuth: object('Sends HTTP basic authentication (InfluxDB 1.x reads it as its user and password).', {
        username: text('InfluxDB user; give it READ on the database only.', { minLength: 1, maxLength: 256 }),
        password: object('Reads the password from a Secret.', { secretKeyRef: secretKeySelector }),
      }),
    }),
  ),
});
