/**
 * What a conversion from another tool's objects gives: the Sluice objects (and the plain Kubernetes objects they
 * need, such as a Deployment), and every field of the input that was not carried over, by path, with the reason.
 * Nothing is dropped silently: `kubectl sluice convert` prints `dropped` on stderr and its exit code says whether
 * anything was (`--strict` makes that a failure).
 */

/** A Kubernetes object as YAML gives it: only the envelope is typed. */
export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/** A field of the input that was not carried over: where it is and why. */
export interface Dropped {
  /** The input object, as kind/namespace/name (namespace left out when it has none). */
  object: string;
  /** The field's path in the input object, e.g. spec.strategy.canary.steps[2].experiment. */
  path: string;
  /** Why, and what to do instead when there is something. */
  reason: string;
}

export interface Conversion {
  objects: KubeManifest[];
  dropped: Dropped[];
}

/**
 * The other objects of the same run, for what one object says only by reference (the Deployment a workloadRef
 * names, the Service whose port the routers send to). A lookup by kind, namespace (the input's when it has none)
 * and name.
 */
export interface ConvertContext {
  find(kind: string, namespace: string | undefined, name: string): KubeManifest | undefined;
  /** Every object of the run, the input among them (a Flagger MetricTemplate looks for the Canaries using it). */
  objects: readonly KubeManifest[];
}

export const noContext: ConvertContext = { find: () => undefined, objects: [] };

/** Converts one input object; undefined when the converter does not handle its apiVersion and kind. */
export type Converter = (input: KubeManifest, context?: ConvertContext) => Conversion | undefined;

/** The metadata Sluice keeps from the input: name, namespace, labels and annotations (nothing the server sets). */
export function keptMetadata(input: KubeManifest): KubeManifest['metadata'] {
  const { name, namespace, labels, annotations } = input.metadata;
  return {
    name,
    ...(namespace === undefined ? {} : { namespace }),
    ...(labels === undefined ? {} : { labels }),
    ...(annotations === undefined ? {} : { annotations }),
  };
}

/** `kind/namespace/name` of an input object, for Dropped.object. */
export function objectId(input: KubeManifest): string {
  const ns = input.metadata.namespace;
  return ns === undefined ? `${input.kind}/${input.metadata.name}` : `${input.kind}/${ns}/${input.metadata.name}`;
}
