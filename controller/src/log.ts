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
 * (Unleash, Prometheus bearer tokens, Kubernetes service-account tokens), passwords and auth headers. Matched by
 * name at the top level, one level down and under `headers` (hideSecrets).
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

export const redactedValue = '[redacted]';

const secretNames: ReadonlySet<string> = new Set(secretFields);

/**
 * `fields` with the value of every secret field replaced by `redactedValue`: at the top level, one level down, and
 * under `headers` one level down (`token`, `*.token`, `headers.token`, `*.headers.token`). The same object when it
 * holds none, so that a line without secrets costs a walk of its keys and nothing else: pino's own redaction
 * (fast-redact, with those paths as wildcards) ran on every object-valued field of every line and every child
 * logger, and was the largest single allocation of the controller's reconcile loop (issue 20). Never edits `fields`:
 * a level that holds a secret is copied.
 */
export function hideSecrets<T extends object>(fields: T): T {
  return hideIn(fields, 2, 0) as T;
}

/**
 * How deep hideIn goes at most, whatever the levels: an array does not count as a level and `headers` is always
 * looked into, so without a bound an array that holds itself, or headers that lead back to themselves, would recurse
 * until the stack overflows and the RangeError escape the log call. Past it the value goes to pino's stringify as it
 * is, which prints a cycle as "[Circular]". Deeper than any path hidden (`*.headers.token`, in a list or two).
 */
const maxDepth = 6;

/**
 * `levels`: how many levels below `obj` are still looked into (besides `headers`, which is always looked into);
 * `depth`: how many walks lead to `obj`.
 */
function hideIn(obj: object, levels: number, depth: number): object {
  if (depth > maxDepth) return obj;
  let copy: Record<string, unknown> | undefined;
  for (const key in obj) {
    if (!Object.hasOwn(obj, key)) continue;
    const value = (obj as Record<string, unknown>)[key];
    let kept = value;
    if (secretNames.has(key)) kept = value === undefined ? value : redactedValue;
    // The items of an array are looked into as the array itself is: a list of providers hides their passwords too.
    else if (Array.isArray(value)) kept = hideIn(value, levels, depth + 1);
    else if (value !== null && typeof value === 'object' && (levels > 1 || key === 'headers'))
      kept = hideIn(value, levels - 1, depth + 1);
    if (kept === value) continue;
    copy ??= copyOf(obj);
    copy[key] = kept;
  }
  return copy ?? obj;
}

/**
 * A copy to censor. An Error stays an Error of its class, with its own fields as they are (message, stack, cause
 * and an AggregateError's errors are not enumerable), so that pino's err serializer prints it as it prints the
 * original: its type (read from the constructor), message, stack, cause and errors. Every field is a writable value,
 * for the secret to be replaced even in a frozen error.
 */
function copyOf(obj: object): Record<string, unknown> {
  if (Array.isArray(obj)) return obj.slice() as unknown as Record<string, unknown>;
  if (obj instanceof Error) {
    const fields: Record<PropertyKey, PropertyDescriptor> = Object.getOwnPropertyDescriptors(obj);
    for (const key of Reflect.ownKeys(fields)) {
      const field = fields[key]!;
      // A getter (V8's stack is one, of the original only) is read, as the spread of a plain object reads it.
      const value: unknown = 'value' in field ? field.value : Reflect.get(obj, key);
      fields[key] = { value, enumerable: field.enumerable === true, writable: true, configurable: true };
    }
    return Object.create(Object.getPrototypeOf(obj) as object, fields) as Record<string, unknown>;
  }
  return { ...obj };
}

export interface LoggerOptions {
  level: LogLevel;
  /** Where the lines go; stdout when omitted. Tests pass a stream that collects them. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const logger = pino(
    {
      level: options.level,
      base: { component: 'sluice' },
      // "level":"warn" rather than 40: readable in kubectl logs, and what most log pipelines expect.
      formatters: { level: (label) => ({ level: label }), log: hideSecrets },
      // The objects interpolated into the message (%j, %o, %O) are hidden too, as pino's redaction hid them:
      // formatters.log sees the merge object only. Nothing is done for a line without such arguments.
      hooks: {
        logMethod(args, method) {
          const values = args as unknown[];
          for (let i = typeof values[0] === 'string' ? 1 : 2; i < values.length; i++) {
            const value = values[i];
            if (value !== null && typeof value === 'object') values[i] = hideSecrets(value);
          }
          method.apply(this, args);
        },
      },
      timestamp: stdTimeFunctions.isoTime,
      serializers: { err: stdSerializers.errWithCause },
    },
    options.destination ?? pino.destination(1),
  );
  // pino applies formatters.bindings to the root's bindings only, not to a child's: children hide theirs here. Every
  // child inherits this `child` (pino makes each child with Object.create of its parent).
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with each child as `this`
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, hideSecrets(bindings), childOptions);
  } as typeof logger.child;
  return logger;
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
