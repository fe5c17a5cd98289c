/**
 * Turns the TypeBox schemas into CustomResourceDefinitions. The API server accepts only *structural* OpenAPI v3
 * schemas, a narrower dialect than the JSON Schema TypeBox writes, so this converter translates what has a
 * structural form (literal unions become enums, numeric exclusive bounds become boolean ones, records become
 * additionalProperties) and throws on anything else, naming the path, rather than letting it leak into a CRD
 * that the API server would refuse or, worse, read differently.
 */
import type { TSchema } from 'typebox';
import type { CelRule } from './common.schema.ts';
import { apiGroup, apiVersionName } from './types.ts';

/** A node of a structural schema, as it appears under openAPIV3Schema. */
export type StructuralSchema = { [keyword: string]: unknown };

/** Keywords that mean the same in TypeBox's JSON Schema and in a CRD, copied as they are. */
const passThrough = new Set([
  'description',
  'type',
  'format',
  'default',
  'minimum',
  'maximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'required',
  'nullable',
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
]);

/** Keywords with no meaning for the API server, dropped. */
const dropped = new Set(['$id', '$schema']);

export class SchemaConversionError extends Error {
  constructor(path: string, problem: string) {
    super(`${path || '<root>'}: ${problem}`);
    this.name = 'SchemaConversionError';
  }
}

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonTypeOf(value: unknown): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return 'unknown';
}

/** The one type shared by all enum values, e.g. 'string' for ['a', 'b']. */
function enumType(values: unknown[], path: string): string {
  const types = new Set(values.map(jsonTypeOf));
  const [only] = types;
  if (types.size !== 1 || only === undefined || only === 'unknown') {
    throw new SchemaConversionError(path, `enum values must share one scalar type, got ${JSON.stringify(values)}`);
  }
  return only;
}

/** Converts a union: literals become an enum; an int-or-string union keeps the one anyOf the API server allows. */
function convertUnion(node: Node, path: string, out: StructuralSchema): void {
  const members = node.anyOf;
  if (!Array.isArray(members) || !members.every(isNode))
    throw new SchemaConversionError(path, 'anyOf must be a list of schemas');
  if (node['x-kubernetes-int-or-string'] === true) {
    // The API server allows exactly this anyOf and nothing inside it; bounds go in CEL rules on the node.
    const types = members.map((m) => (Object.keys(m).join(',') === 'type' ? m.type : undefined));
    if (types.join(',') !== 'integer,string') {
      throw new SchemaConversionError(
        path,
        'an int-or-string union must be exactly [Integer(), String()]; put bounds in a CEL rule',
      );
    }
    out['x-kubernetes-int-or-string'] = true;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
    return;
  }
  if (members.every((m) => 'const' in m)) {
    const values = members.map((m) => m.const);
    out.type = enumType(values, path);
    out.enum = values;
    return;
  }
  throw new SchemaConversionError(path, 'a union must be of literals (an enum) or marked x-kubernetes-int-or-string');
}

function convertNode(node: Node, path: string): StructuralSchema {
  const out: StructuralSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (passThrough.has(key)) out[key] = value;
    else if (dropped.has(key)) continue;
    else if (key === 'properties') {
      if (!isNode(value)) throw new SchemaConversionError(path, 'properties must be an object');
      const props: StructuralSchema = {};
      for (const [name, child] of Object.entries(value)) {
        const childPath = path ? `${path}.${name}` : name;
        if (!isNode(child)) throw new SchemaConversionError(childPath, 'not a schema');
        if (typeof child.description !== 'string' || child.description.trim() === '') {
          throw new SchemaConversionError(childPath, 'every field needs a description: kubectl explain prints it');
        }
        props[name] = convertNode(child, childPath);
      }
      out.properties = props;
    } else if (key === 'items') {
      if (!isNode(value)) throw new SchemaConversionError(path, 'items must be a single schema');
      out.items = convertNode(value, `${path}[]`);
    } else if (key === 'additionalProperties') {
      // `false` beside properties is forbidden in a CRD; strict field validation refuses unknown fields instead.
      if (isNode(value)) out.additionalProperties = convertNode(value, `${path}{}`);
      else if (value !== false) throw new SchemaConversionError(path, 'additionalProperties must be false or a schema');
    } else if (key === 'patternProperties') {
      const entries = isNode(value) ? Object.entries(value) : [];
      const [only] = entries;
      if (entries.length !== 1 || only === undefined || only[0] !== '^.*$' || !isNode(only[1])) {
        throw new SchemaConversionError(path, 'only a record keyed by any string can become additionalProperties');
      }
      out.type = 'object';
      out.additionalProperties = convertNode(only[1], `${path}{}`);
    } else if (key === 'anyOf') {
      convertUnion(node, path, out);
    } else if (key === 'x-kubernetes-int-or-string') {
      if (!('anyOf' in node)) out[key] = value;
    } else if (key === 'const') {
      out.type = enumType([value], path);
      out.enum = [value];
    } else if (key === 'enum') {
      if (!Array.isArray(value)) throw new SchemaConversionError(path, 'enum must be a list');
      out.type = enumType(value, path);
      out.enum = value;
    } else if (key === 'exclusiveMinimum' || key === 'exclusiveMaximum') {
      // JSON Schema 2020 writes the bound itself; OpenAPI v3.0 pairs minimum/maximum with a boolean.
      if (typeof value !== 'number') throw new SchemaConversionError(path, `${key} must be a number`);
      out[key === 'exclusiveMinimum' ? 'minimum' : 'maximum'] = value;
      out[key] = true;
    } else {
      throw new SchemaConversionError(path, `keyword ${key} has no structural CRD form`);
    }
  }
  if (out.type === undefined && out['x-kubernetes-int-or-string'] !== true) {
    throw new SchemaConversionError(path, 'every node of a structural schema needs a type');
  }
  return inReadingOrder(out);
}

/** Keywords a reader of the YAML looks for first; the rest keep their order after these. */
const readingOrder = ['description', 'type', 'x-kubernetes-int-or-string', 'format', 'enum', 'default', 'required'];

function inReadingOrder(node: StructuralSchema): StructuralSchema {
  const rank = (key: string) => (readingOrder.includes(key) ? readingOrder.indexOf(key) : readingOrder.length);
  return Object.fromEntries(Object.entries(node).sort(([a], [b]) => rank(a) - rank(b)));
}

/** Converts a TypeBox schema (and everything below it) into a structural CRD schema. */
export function toStructuralSchema(schema: TSchema, path = ''): StructuralSchema {
  if (!isNode(schema)) throw new SchemaConversionError(path, 'not a schema');
  return convertNode(schema, path);
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  /** 0 shows the column in `kubectl get`; 1 only with `-o wide`. */
  priority?: number;
}

/** What makes one custom resource: its names, scope, schemas and how `kubectl get` lists it. */
export interface ResourceDefinition {
  kind: string;
  plural: string;
  singular: string;
  scope: 'Namespaced' | 'Cluster';
  description: string;
  shortNames?: string[];
  categories?: string[];
  spec: TSchema;
  status?: TSchema;
  /** CEL rules on the whole object, for the few checks that need metadata.name. */
  rules?: CelRule[];
  printerColumns?: PrinterColumn[];
  /** The scale subresource (kubectl scale, a HorizontalPodAutoscaler): JSON paths of the replicas and the selector. */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
}

/** Builds the apiextensions.k8s.io/v1 CustomResourceDefinition for a resource. */
export function customResourceDefinition(def: ResourceDefinition): Record<string, unknown> {
  const properties: StructuralSchema = {
    apiVersion: { type: 'string', description: `API version of the object: ${apiGroup}/${apiVersionName}.` },
    kind: { type: 'string', description: `Kind of the object: ${def.kind}.` },
    metadata: { type: 'object' },
    spec: toStructuralSchema(def.spec, 'spec'),
  };
  if (def.status !== undefined) properties.status = toStructuralSchema(def.status, 'status');
  const openAPIV3Schema: StructuralSchema = {
    type: 'object',
    description: def.description,
    required: ['spec'],
    properties,
  };
  if (def.rules !== undefined) openAPIV3Schema['x-kubernetes-validations'] = def.rules;

  const version: Record<string, unknown> = { name: apiVersionName, served: true, storage: true };
  if (def.status !== undefined)
    version.subresources = { status: {}, ...(def.scale === undefined ? {} : { scale: def.scale }) };
  if (def.printerColumns !== undefined) version.additionalPrinterColumns = def.printerColumns;
  version.schema = { openAPIV3Schema };

  const names: Record<string, unknown> = {
    kind: def.kind,
    listKind: `${def.kind}List`,
    plural: def.plural,
    singular: def.singular,
  };
  if (def.shortNames !== undefined) names.shortNames = def.shortNames;
  if (def.categories !== undefined) names.categories = def.categories;

  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${apiGroup}`, labels: { 'app.kubernetes.io/part-of': 'sluice' } },
    spec: { group: apiGroup, names, scope: def.scope, versions: [version] },
  };
}
