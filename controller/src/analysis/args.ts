/**
 * Template arguments: where each value comes from (the analysis's args in the Rollout, the template's default,
 * a Secret, a field of the Rollout) and how values reach a query (renderQuery escapes them for the PromQL string
 * they land in). Values read from Secrets are tracked so that every message can be scrubbed of them.
 */
import type { AnalysisArg, Rollout, TemplateArg } from '../api/types.ts';
import { AnalysisConfigError } from './errors.ts';
import { escapePromqlString, renderPromql, type TemplateValues } from './promqlTemplate.ts';

export { renderText } from './promqlTemplate.ts';

/** Reads one key of a Secret in the cache; undefined when the Secret or the key does not exist. */
export type ReadSecret = (namespace: string, name: string, key: string) => string | undefined;

export interface ResolvedArgs {
  values: ReadonlyMap<string, string>;
  /** Values that came from Secrets: never logged, and redacted from every message and value in status. */
  secrets: readonly string[];
}

export interface ArgContext {
  rollout: Rollout;
  readSecret: ReadSecret;
  /** How messages name the template, e.g. "AnalysisTemplate shop/error-rate". */
  template: string;
  /** Where the Rollout passes args to this analysis, e.g. spec.strategy.canary.steps[2].analysis.args. */
  argsField: string;
}

/**
 * Resolves every argument a template declares: a value passed by the Rollout wins, then the template's `value`,
 * then `valueFrom` (a Secret key in the Rollout's namespace, or a field of the Rollout). Throws
 * AnalysisConfigError naming the field and what to do when an argument has no value.
 */
export function resolveArgs(
  declared: readonly TemplateArg[] | undefined,
  passed: readonly AnalysisArg[],
  ctx: ArgContext,
): ResolvedArgs {
  const namespace = ctx.rollout.metadata.namespace ?? 'default';
  const fromRollout = new Map(passed.map((a) => [a.name, a.value]));
  const values = new Map<string, string>();
  const secrets: string[] = [];
  (declared ?? []).forEach((arg, i) => {
    const field = `${ctx.template} spec.args[${i}]`;
    const given = fromRollout.get(arg.name) ?? arg.value;
    if (given !== undefined) {
      values.set(arg.name, given);
      return;
    }
    const ref = arg.valueFrom?.secretKeyRef;
    if (ref !== undefined) {
      const secret = ctx.readSecret(namespace, ref.name, ref.key);
      if (secret === undefined) {
        throw new AnalysisConfigError(
          'SecretNotFound',
          `${field}.valueFrom.secretKeyRef`,
          `argument "${arg.name}" of ${ctx.template}: Secret ${namespace}/${ref.name} has no key "${ref.key}" (or does not exist): create it, or fix valueFrom.secretKeyRef`,
        );
      }
      values.set(arg.name, secret);
      secrets.push(secret);
      return;
    }
    const fieldPath = arg.valueFrom?.fieldRef?.fieldPath;
    if (fieldPath !== undefined) {
      const value = readField(ctx.rollout, fieldPath, `${field}.valueFrom.fieldRef.fieldPath`);
      if (value === undefined) {
        throw new AnalysisConfigError(
          'FieldNotFound',
          `${field}.valueFrom.fieldRef.fieldPath`,
          `argument "${arg.name}" of ${ctx.template}: the Rollout has no field ${fieldPath}: set it on the Rollout, or fix valueFrom.fieldRef.fieldPath`,
        );
      }
      values.set(arg.name, value);
      return;
    }
    throw new AnalysisConfigError(
      'MissingArg',
      ctx.argsField,
      `argument "${arg.name}" of ${ctx.template} has no value: add {name: ${arg.name}, value: ...} to ${ctx.argsField}, or give it a value in the template`,
    );
  });
  return { values, secrets };
}

const pathPart = /\.?([A-Za-z_$][A-Za-z0-9_$-]*)|\[(?:'([^']*)'|"([^"]*)"|([0-9]+))\]/y;

/**
 * Reads a field of the Rollout by a path such as metadata.name, metadata.labels['app'] or
 * metadata.annotations["example.com/team"]. Undefined when the field is absent; numbers and booleans are
 * given as text; an object or list is refused (it has no single value).
 */
export function readField(object: unknown, fieldPath: string, field: string): string | undefined {
  let at: unknown = object;
  pathPart.lastIndex = 0;
  while (pathPart.lastIndex < fieldPath.length) {
    const start = pathPart.lastIndex;
    const m = pathPart.exec(fieldPath);
    // An identifier follows a dot, except the first one; a dot never starts the path.
    const badDot = m !== null && m[1] !== undefined && m[0].startsWith('.') === (start === 0);
    if (m === null || badDot) {
      throw new AnalysisConfigError(
        'InvalidSpec',
        field,
        `cannot read fieldPath ${fieldPath} at offset ${start}: write it like metadata.name or metadata.labels['app']`,
      );
    }
    const key = m[1] ?? m[2] ?? m[3] ?? m[4]!;
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  if (typeof at === 'string') return at;
  if (typeof at === 'number' || typeof at === 'boolean') return String(at);
  if (at === undefined || at === null) return undefined;
  throw new AnalysisConfigError(
    'InvalidSpec',
    field,
    `fieldPath ${fieldPath} is an object or a list, not a single value: point it at a field inside`,
  );
}

/**
 * Renders a metric's PromQL query: {{args.<name>}} and extra variables such as {{track}} are replaced by their
 * values, escaped for the string literal they sit in. Throws AnalysisConfigError for a placeholder outside a
 * string literal or without a value.
 */
export function renderQuery(
  query: string,
  args: ResolvedArgs,
  extra: Readonly<Record<string, string>> = {},
  field = 'provider.prometheus.query',
): string {
  const values: TemplateValues = { args: args.values, vars: extra };
  return renderPromql(query, values, field);
}

/**
 * Replaces every occurrence of a secret in `text` (as it is, and as escaped inside a PromQL string or JSON) with
 * [redacted], so that an error that echoes the query or a header cannot carry a Secret into status or logs.
 */
export function redact(text: string, secrets: readonly string[]): string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s === '') continue;
    forms.add(s);
    forms.add(escapePromqlString(s, '"'));
    forms.add(escapePromqlString(s, "'"));
    forms.add(JSON.stringify(s).slice(1, -1));
  }
  let out = text;
  // Longest first, so that a secret containing another is replaced whole.
  for (const form of [...forms].sort((a, b) => b.length - a.length)) out = out.split(form).join('[redacted]');
  return out;
}
