/**
 * `kubectl sluice convert`, the pure part: YAML documents in, Sluice objects and the dropped fields out. Each
 * document goes to the first converter that takes it (Argo Rollouts, Flagger); one no converter takes is not an
 * object of those tools (a Service, an Ingress): it is named in `skipped` and left for the user to apply as it is.
 */
import { parseAllDocuments, stringify } from 'yaml';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { analysisTemplateSpec } from '../api/analysis.schema.ts';
import { rolloutSpec } from '../api/rollout.schema.ts';
import { apiVersion } from '../api/types.ts';
import { maxNameWithService, maxNameWithWorkload, nameWithServicePattern } from '../workload/names.ts';
import {
  objectId,
  type Conversion,
  type ConvertContext,
  type Converter,
  type Dropped,
  type KubeManifest,
} from './conversion.ts';

/** Bounds on what one run reads: a directory of manifests is far below them. */
export const convertLimits = { documentsPerRun: 10_000, bytesPerSource: 10 * 1024 * 1024 } as const;

export interface ConvertSource {
  /** A file path, or "-" for standard input: error messages name it. */
  name: string;
  text: string;
}

export interface ConvertResult extends Conversion {
  /** Documents no converter takes: kind/name and where they came from. */
  skipped: string[];
  /** What could not be read at all (YAML errors, not an object, limits): the run fails. */
  errors: string[];
}

function isManifest(value: unknown): value is KubeManifest {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Partial<KubeManifest>;
  return (
    typeof v.apiVersion === 'string' &&
    typeof v.kind === 'string' &&
    typeof v.metadata === 'object' &&
    v.metadata !== null &&
    typeof v.metadata.name === 'string'
  );
}

/** The objects of one source, a `kind: List` flattened; anything else is an error naming the document. */
function manifestsOf(source: ConvertSource, errors: string[]): KubeManifest[] {
  if (source.text.length > convertLimits.bytesPerSource) {
    errors.push(`${source.name}: larger than ${convertLimits.bytesPerSource} bytes; split it`);
    return [];
  }
  const found: KubeManifest[] = [];
  parseAllDocuments(source.text).forEach((doc, i) => {
    const where = `${source.name}: document ${i + 1}`;
    if (doc.errors.length > 0) {
      errors.push(`${where}: ${doc.errors[0]!.message}`);
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 }); // an alias bomb throws here instead of filling the memory
    } catch (err) {
      errors.push(`${where}: ${(err as Error).message}`);
      return;
    }
    if (value === null || value === undefined) return; // an empty document (a trailing ---)
    const items =
      (value as { kind?: unknown; items?: unknown }).kind === 'List' ? (value as { items: unknown }).items : [value];
    for (const item of Array.isArray(items) ? items : [items]) {
      if (isManifest(item)) found.push(item);
      else errors.push(`${where}: not a Kubernetes object (apiVersion, kind and metadata.name are needed)`);
    }
  });
  return found;
}

export function convertSources(sources: readonly ConvertSource[], converters: readonly Converter[]): ConvertResult {
  const result: ConvertResult = { objects: [], dropped: [], skipped: [], errors: [] };
  const inputs = sources.flatMap((source) => manifestsOf(source, result.errors).map((input) => ({ source, input })));
  if (inputs.length > convertLimits.documentsPerRun) {
    result.errors.push(`more than ${convertLimits.documentsPerRun} objects: convert them in parts`);
    return result;
  }
  const all = inputs.map(({ input }) => input);
  const byKey = new Map(
    inputs.map(({ input }) => [keyOf(input.kind, input.metadata.namespace, input.metadata.name), input]),
  );
  for (const { source, input } of inputs) {
    const context: ConvertContext = {
      find: (kind, namespace, name) => byKey.get(keyOf(kind, namespace ?? input.metadata.namespace, name)),
      objects: all,
    };
    const conversion = firstConversion(input, converters, result.errors, source.name, context);
    if (conversion === undefined) {
      result.skipped.push(`${source.name}: ${input.apiVersion} ${input.kind}/${input.metadata.name}`);
      continue;
    }
    const refused = metadataError(input);
    if (refused !== undefined) {
      result.errors.push(`${source.name}: ${input.kind}/${input.metadata.name}: ${refused}`);
      continue;
    }
    const invalid = conversion.objects.map(schemaError).find((e) => e !== undefined);
    if (invalid !== undefined) {
      result.errors.push(`${source.name}: ${input.kind}/${input.metadata.name}: ${invalid}`);
      continue;
    }
    for (const object of conversion.objects) {
      const reason = nameRefused(object);
      if (reason === undefined) result.objects.push(object);
      else result.dropped.push({ object: objectId(input), path: 'metadata.name', reason });
    }
    result.dropped.push(...conversion.dropped);
  }
  return result;
}

const schemas: Record<string, TSchema> = {
  Rollout: rolloutSpec,
  AnalysisTemplate: analysisTemplateSpec,
  ClusterAnalysisTemplate: analysisTemplateSpec,
};

/**
 * The last guard against a converter's mistake: a Sluice object its own schema refuses is not written (the API
 * server would refuse it, or worse, a later version take it differently); the run fails naming the field.
 */
function schemaError(object: KubeManifest): string | undefined {
  if (object.apiVersion !== apiVersion || !Object.hasOwn(schemas, object.kind)) return undefined;
  const schema = schemas[object.kind]!;
  if (Value.Check(schema, object['spec'])) return undefined;
  const [first] = [...Value.Errors(schema, object['spec'])];
  const { instancePath, message } = first ?? { instancePath: '', message: 'refused' };
  return `the converted ${object.kind} is not valid at spec${instancePath}: ${message}. This is a fault of convert: please report it with the input`;
}

/** Labels and annotations are copied as they are: a value the API server refuses fails the run, naming it. */
function metadataError(input: KubeManifest): string | undefined {
  for (const field of ['labels', 'annotations'] as const) {
    const map: unknown = input.metadata[field];
    if (map === undefined || map === null) continue;
    if (typeof map !== 'object' || Array.isArray(map)) return `metadata.${field} is not a map of strings`;
    for (const [key, value] of Object.entries(map))
      if (typeof value !== 'string')
        return `metadata.${field}.${key} is ${JSON.stringify(value)}, not a string (the API server refuses it): quote it`;
  }
  return undefined;
}

/**
 * The API server refuses a Sluice Rollout whose name cannot be the start of its Services' names (<name>-stable) or
 * a label value: such a Rollout is not written, and the reason says what to do.
 */
function nameRefused(object: KubeManifest): string | undefined {
  if (object.apiVersion !== apiVersion || object.kind !== 'Rollout') return undefined;
  const name = object.metadata.name;
  const spec = object['spec'] as { service?: unknown; workloadRef?: unknown } | undefined;
  if (spec?.service !== undefined && !new RegExp(nameWithServicePattern).test(name))
    return `a Sluice Rollout with spec.service needs a name of at most ${maxNameWithService} lowercase letters, digits or dashes, starting with a letter (Sluice names its Services ${name}-stable and ${name}-canary): the Rollout is not written; rename it`;
  if (name.length > maxNameWithWorkload)
    return `a Sluice Rollout needs a name of at most ${maxNameWithWorkload} characters (it is the value of the sluice.dev/rollout label): the Rollout is not written; rename it`;
  return undefined;
}

const keyOf = (kind: string, namespace: string | undefined, name: string) => `${kind}/${namespace ?? ''}/${name}`;

function firstConversion(
  input: KubeManifest,
  converters: readonly Converter[],
  errors: string[],
  source: string,
  context: ConvertContext,
): Conversion | undefined {
  for (const convert of converters) {
    try {
      const conversion = convert(input, context);
      if (conversion !== undefined) return conversion;
    } catch (err) {
      // A converter must not throw on odd input; if one does, the object is reported, never half converted.
      errors.push(`${source}: ${input.kind}/${input.metadata.name}: ${(err as Error).message}`);
      return { objects: [], dropped: [] };
    }
  }
  return undefined;
}

/** The objects as one YAML stream, in input order. */
export function toYaml(objects: readonly KubeManifest[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

/** One line per dropped field, for stderr. */
export function droppedLines(dropped: readonly Dropped[]): string[] {
  return dropped.map((d) => `dropped ${d.object} ${d.path}: ${d.reason}`);
}

/** A file name for an object written with -o: kind, namespace and name, safe for any file system. */
export function fileNameOf(object: KubeManifest): string {
  const part = (s: string) => s.toLowerCase().replace(/[^a-z0-9.-]+/g, '-');
  const ns = object.metadata.namespace === undefined ? '' : `${part(object.metadata.namespace)}.`;
  return `${ns}${part(object.kind)}.${part(object.metadata.name)}.yaml`;
}
