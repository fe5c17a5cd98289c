/**
 * Building blocks shared by the Rollout and AnalysisTemplate schemas: names, durations, percentages, Secret
 * references and the metav1.Condition shape. Each helper takes the field's description first, because every field
 * must say what it is for (`kubectl explain` prints it, and the CRD converter refuses a field without one).
 */
import { Type, type TProperties, type TObjectOptions, type TSchema, type TStringOptions } from 'typebox';
import { durationPattern } from './duration.ts';

/** A CEL rule for `x-kubernetes-validations`, checked by the API server on create and update. */
export interface CelRule {
  rule: string;
  /** Names the problem and says what to do; the API server prefixes it with the field path. */
  message: string;
  /** Points the error at a child field (relative to the node carrying the rule, e.g. `.steps`). */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/**
 * CEL that is true when every field along `path` is set, e.g. hasPath('self.a.b') is `has(self.a) && has(self.a.b)`.
 * Rules guard with it instead of optional chaining (`self.?a.?b`), which the API server's cost estimator cannot
 * bound: a rule that walks a list reached through `?.` is refused as too expensive whatever its maxItems.
 */
export function hasPath(path: string): string {
  const [root, ...fields] = path.split('.');
  return fields.map((_, i) => `has(${[root, ...fields.slice(0, i + 1)].join('.')})`).join(' && ');
}

/** Options that attach CEL rules to a schema node. */
export function celRules(...rules: CelRule[]): { 'x-kubernetes-validations': CelRule[] } {
  return { 'x-kubernetes-validations': rules };
}

/**
 * A closed object: unknown fields are errors for TypeBox checks (the CRD converter drops the keyword because the
 * API server forbids it beside `properties`; there, strict field validation refuses unknown fields instead).
 */
export function object<P extends TProperties>(description: string, properties: P, options: TObjectOptions = {}) {
  return Type.Object(properties, { ...options, description, additionalProperties: false });
}

/** A string of bounded length; CEL cost estimates need the bound. */
export function text(description: string, options: TStringOptions = {}) {
  return Type.String({ maxLength: 1024, ...options, description });
}

const dnsLabel = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';

/** The name of a Kubernetes object (DNS-1123 subdomain), such as a Deployment, HTTPRoute or AnalysisTemplate. */
export function objectName(description: string) {
  return Type.String({ description, minLength: 1, maxLength: 253, pattern: `^${dnsLabel}(\\.${dnsLabel})*$` });
}

/** A short lowercase identifier (DNS-1123 label), used for metric names that also appear in status and events. */
export function labelName(description: string) {
  return Type.String({ description, minLength: 1, maxLength: 63, pattern: `^${dnsLabel}$` });
}

/** An Unleash feature flag, project or environment name: Unleash requires URL-safe names. */
export function unleashName(description: string, options: TStringOptions = {}) {
  return Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._~-]+$', ...options, description });
}

/**
 * A Go-style duration string, checked with the same pattern that controller/src/api/duration.ts parses. With
 * `max`, the API server also refuses a longer one (the controller checks the same bound, see validate.ts): a
 * value beyond it has no sane use, and some (a 60-day timer) break Node's timers.
 */
export function duration(description: string, options: TStringOptions = {}, max?: string) {
  const bound = max === undefined ? '' : ` At most ${max}.`;
  return Type.String({
    maxLength: 32,
    ...options,
    description: `${description} A duration such as 30s, 1m, 1h30m or 500ms.${bound}`,
    pattern: durationPattern,
    ...(max === undefined
      ? {}
      : celRules({
          // matches() first: a value that fails the pattern gets the pattern's error, not a second one from duration().
          rule: `!self.matches(r'${durationPattern}') || duration(self) <= duration('${max}')`,
          message: `must be at most ${max}`,
        })),
  });
}

/** A whole percentage. */
export function percent(description: string, options: { default?: number } = {}) {
  return Type.Integer({ ...options, description, minimum: 0, maximum: 100 });
}

/** A timestamp in RFC 3339 form, as Kubernetes writes them. */
export function timestamp(description: string) {
  return Type.String({ description, format: 'date-time' });
}

/** A list whose entries are unique by the given key fields (server-side apply merges by them, too). */
export function mapList<T extends TSchema>(
  description: string,
  item: T,
  keys: string[],
  options: { minItems?: number; maxItems: number },
) {
  return Type.Array(item, {
    ...options,
    description,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': keys,
  });
}

/** A key of a Secret in the namespace of the Rollout being analysed. */
export const secretKeySelector = object('Selects a key of a Secret in the namespace of the Rollout being analysed.', {
  name: objectName('Name of the Secret.'),
  key: Type.String({
    description: 'Key within the Secret.',
    minLength: 1,
    maxLength: 253,
    pattern: '^[-._a-zA-Z0-9]+$',
  }),
});

/** The metav1.Condition shape, so that `kubectl wait --for=condition=Healthy` and generic tooling understand it. */
export const condition = object('A condition in the standard Kubernetes shape (metav1.Condition).', {
  type: Type.String({
    description: 'Type of condition in CamelCase: Healthy, Progressing, Paused or InvalidSpec.',
    minLength: 1,
    maxLength: 316,
    pattern:
      '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
  }),
  status: Type.Enum(['True', 'False', 'Unknown'], { description: 'Status of the condition: True, False or Unknown.' }),
  observedGeneration: Type.Optional(
    Type.Integer({ description: 'The .metadata.generation the condition was set for.', format: 'int64', minimum: 0 }),
  ),
  lastTransitionTime: timestamp('When the condition last changed from one status to another.'),
  reason: Type.String({
    description: 'A CamelCase word for why the condition last changed, for programs to match on.',
    minLength: 1,
    maxLength: 1024,
    pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
  }),
  message: Type.String({ description: 'What happened, for humans. May be empty.', maxLength: 32768 }),
});
