/**
 * The contract between the analysis engine and a metric provider (Prometheus, web, Job, Graphite, ...). A provider
 * only fetches: it turns its spec into an answer. Everything that decides what an answer means is the engine's
 * (measure.ts, condition.ts), so that every provider gets the same rules and none can get them wrong on its own
 * (the class of Argo Rollouts bugs #4479, #4535, #4393, where one provider let an empty or failed answer pass):
 * - an empty answer is Inconclusive, whatever the conditions say;
 * - a provider error is an Error measurement, never a pass; so is a provider that throws;
 * - NaN or an infinity is never a pass;
 * - the engine stops waiting at the provider's timeout (and aborts the signal), whatever the provider does;
 * - a value that is not a number where a condition expects one is an Error whose message says what the value was.
 * analysis/conformance.test-support.ts holds these rules as one suite that every provider's tests run.
 */
import type { Metric } from '../api/types.ts';
import type { ResolvedArgs } from './args.ts';
import type { PromResult } from './prometheusAnswer.ts';

/** The keys under `metric.provider`: one implementation each. */
export type ProviderKey = keyof Metric['provider'];

/** The spec of one provider, as written under `metric.provider.<key>`. */
export type ProviderSpec<K extends ProviderKey> = NonNullable<Metric['provider'][K]>;

/** A JSON value as a provider read it (a web endpoint's answer at its jsonPath). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * What one measurement fetched:
 * - numbers (PromResult's scalar, vector, matrix), `empty`, or `error` with a sentence saying what happened;
 * - `json`: a value read from a document (web); `undefined` (nothing at the path) counts as empty;
 * - `verdict`: a provider whose backend decides by itself (a Job succeeds or fails); the conditions are not run.
 */
export type ProviderAnswer =
  | PromResult
  | { kind: 'json'; value: JsonValue | undefined }
  | { kind: 'verdict'; phase: 'Successful' | 'Failed'; value?: string; message?: string };

/** Everything a provider may use for one measurement, besides its spec. */
export interface ProviderRequest {
  /** The Rollout's namespace: where Secrets are read and where a Job runs. */
  namespace: string;
  /** The Rollout being analysed, for a provider that owns what it creates (a Job) by it. */
  rollout: { name: string; uid: string | undefined };
  /** Unique per measurement and stable across a controller restart: the same due measurement has the same id. */
  measurementId: string;
  /** Where the provider's spec is, for messages: "AnalysisTemplate shop/x metrics[m].provider.web". */
  field: string;
  startedAt: Date;
  /** The metric comes from a ClusterAnalysisTemplate (a cluster admin's): the host allowlist does not apply. */
  trusted: boolean;
  /** With `compare`: the track being measured ({{track}} in the provider's text). */
  track?: 'canary' | 'stable';
  /**
   * The template's arguments, resolved (Secrets already read and scrubbed from results). Each provider renders its
   * texts with the escaping its target needs (args.ts: renderQuery for PromQL, renderText for plain text).
   */
  args: ResolvedArgs;
  /** Variables besides args: {{track}} with `compare`. */
  vars: Readonly<Record<string, string>>;
  /**
   * Reads a Secret key of the Rollout's namespace. Throws an AnalysisConfigError naming `field` when it is missing;
   * the value is scrubbed from everything the measurement returns.
   */
  secret: (ref: { name: string; key: string }, field: string) => string;
  /** Scrubs a value derived from a secret (an encoded credential) from everything the measurement returns. */
  scrub: (derived: string) => void;
  /** Aborted when the engine stops waiting (the timeout): a provider stops its request then. */
  signal: AbortSignal;
}

export interface MetricProvider<K extends ProviderKey = ProviderKey> {
  readonly key: K;
  /** How long one measurement may take, from the spec or the provider's default; the engine enforces it. */
  timeoutMs(spec: ProviderSpec<K>, field: string): number;
  /** Fetches one answer. Should not throw (the engine turns a throw into an Error measurement anyway). */
  measure(spec: ProviderSpec<K>, request: ProviderRequest): Promise<ProviderAnswer>;
}

/** The providers the controller runs, by key. A metric whose provider is missing here is an Error measurement. */
export type ProviderSet = { readonly [K in ProviderKey]?: MetricProvider<K> };

/** The one key set under `metric.provider` (the schema allows exactly one). */
export function providerKeyOf(metric: Metric): ProviderKey | undefined {
  const keys = Object.keys(metric.provider).filter(
    (k) => (metric.provider as Record<string, unknown>)[k] !== undefined,
  ) as ProviderKey[];
  return keys.length === 1 ? keys[0] : undefined;
}

/** How long a measurement of `metric` may take, by its provider; undefined when that cannot be read. */
export function measurementTimeoutMs(metric: Metric, providers: ProviderSet): number | undefined {
  const key = providerKeyOf(metric);
  const provider = key === undefined ? undefined : providers[key];
  if (key === undefined || provider === undefined) return undefined;
  try {
    return provider.timeoutMs(metric.provider[key] as never, `provider.${key}.timeout`);
  } catch {
    return undefined; // the measurement itself reports the bad duration
  }
}
