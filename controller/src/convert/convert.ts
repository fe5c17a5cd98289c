/**
 * `kubectl sluice convert`, the pure part: YAML documents in, Sluice objects and the dropped fields out. Each
 * document goes to the first converter that takes it (Argo Rollouts, Flagger); one no converter takes is not an
 * object of those tools (a Service, an Ingress): it is named in `skipped` and left for the user to apply as it is.
 */
import { parseAllDocuments, stringify } from 'yaml';
import type { Conversion, ConvertContext, Converter, Dropped, KubeManifest } from './conversion.ts';

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
    result.objects.push(...conversion.objects);
    result.dropped.push(...conversion.dropped);
  }
  return result;
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
