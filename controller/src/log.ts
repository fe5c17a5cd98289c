/**
 * The controller's one logger: pino, one JSON object per line on stdout, for `kubectl logs` and whatever ships
 * logs from there. Everything about one Rollout is logged through `rolloutLogger`, so that every line carries the
 * namespace, name and revision it is about and `grep`/LogQL can follow one rollout through the interleaved output.
 */
import { pino, stdSerializers, stdTimeFunctions, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof logLevels)[number];

/**
 * Fields whose values never reach a log line, wherever they appear in the first levels of an object: API tokens
 * (Unleash, Prometheus bearer tokens, Kubernetes service-account tokens), passwords and auth headers. pino's paths
 * match one level per segment, so each name is listed at the top level, one level down and under `headers`.
 */
const secretFields = [
  'token',
  'apiToken',
  'bearerToken',
  'adminToken',
  'clientToken',
  'unleashAdminToken',
  'unleashClientToken',
  'password',
  'secret',
  'clientSecret',
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
];

export const redactedPaths: readonly string[] = secretFields.flatMap((field) => [
  field,
  `*.${field}`,
  `headers.${field}`,
  `*.headers.${field}`,
]);

export const redactedValue = '[redacted]';

export interface LoggerOptions {
  level: LogLevel;
  /** Where the lines go; stdout when omitted. Tests pass a stream that collects them. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { component: 'sluice' },
      // "level":"warn" rather than 40: readable in kubectl logs, and what most log pipelines expect.
      formatters: { level: (label) => ({ level: label }) },
      timestamp: stdTimeFunctions.isoTime,
      serializers: { err: stdSerializers.errWithCause },
      redact: { paths: [...redactedPaths], censor: redactedValue },
    },
    options.destination ?? pino.destination(1),
  );
}

/** Names the Rollout (and the revision being rolled out, when known) that a log line is about. */
export interface RolloutRef {
  namespace: string;
  name: string;
  revision?: string;
}

/** A child of `base` whose every line carries the Rollout's namespace, name and revision. */
export function rolloutLogger(base: Logger, rollout: RolloutRef): Logger {
  const fields: RolloutRef = { namespace: rollout.namespace, name: rollout.name };
  if (rollout.revision !== undefined) fields.revision = rollout.revision;
  return base.child(fields);
}
