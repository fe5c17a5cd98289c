import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { customResourceDefinition, toStructuralSchema, type StructuralSchema } from './crd.ts';
import { resources } from './resources.ts';

const described = (description: string) => ({ description });

describe('toStructuralSchema', () => {
  it('turns a union of literals and a TypeBox Enum into a typed enum', () => {
    const schema = Type.Object({
      a: Type.Union([Type.Literal('x'), Type.Literal('y')], described('a')),
      b: Type.Enum(['p', 'q'], described('b')),
      c: Type.Literal(3, described('c')),
    });
    expect(toStructuralSchema(schema).properties).toEqual({
      a: { description: 'a', type: 'string', enum: ['x', 'y'] },
      b: { description: 'b', type: 'string', enum: ['p', 'q'] },
      c: { description: 'c', type: 'integer', enum: [3] },
    });
  });

  it('drops additionalProperties: false, which the API server forbids beside properties', () => {
    const out = toStructuralSchema(Type.Object({ a: Type.String(described('a')) }, { additionalProperties: false }));
    expect(out).toEqual({ type: 'object', required: ['a'], properties: { a: { description: 'a', type: 'string' } } });
  });

  it('turns a string-keyed record into additionalProperties', () => {
    const out = toStructuralSchema(Type.Record(Type.String(), Type.Integer()));
    expect(out).toEqual({ type: 'object', additionalProperties: { type: 'integer' } });
  });

  it('writes exclusive bounds the OpenAPI v3.0 way', () => {
    expect(toStructuralSchema(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }))).toEqual({
      type: 'number',
      minimum: 0,
      exclusiveMinimum: true,
      maximum: 1,
      exclusiveMaximum: true,
    });
  });

  it('writes an int-or-string union as the one anyOf a structural schema allows', () => {
    const out = toStructuralSchema(
      Type.Union([Type.Integer(), Type.String()], { description: 'port', 'x-kubernetes-int-or-string': true }),
    );
    expect(out).toEqual({
      description: 'port',
      'x-kubernetes-int-or-string': true,
      anyOf: [{ type: 'integer' }, { type: 'string' }],
    });
    expect(() =>
      toStructuralSchema(
        Type.Union([Type.Integer({ minimum: 1 }), Type.String()], { 'x-kubernetes-int-or-string': true }),
        'spec.port',
      ),
    ).toThrow(/spec\.port: an int-or-string union must be exactly \[Integer\(\), String\(\)\]/);
  });

  it('keeps Kubernetes extensions, defaults and CEL rules', () => {
    const rules = [{ rule: 'self.a != "b"', message: 'a must not be b' }];
    const out = toStructuralSchema(
      Type.Object(
        { a: Type.Optional(Type.String({ description: 'a', default: 'x' })) },
        { 'x-kubernetes-validations': rules },
      ),
    );
    expect(out).toEqual({
      type: 'object',
      properties: { a: { description: 'a', type: 'string', default: 'x' } },
      'x-kubernetes-validations': rules,
    });
  });

  it('drops $id and $schema', () => {
    expect(
      toStructuralSchema(Type.String({ $id: 'Name', $schema: 'https://json-schema.org/draft/2020-12/schema' })),
    ).toEqual({ type: 'string' });
  });

  it.each([
    ['a field without a description', Type.Object({ a: Type.String() }), /^spec\.a: every field needs a description/],
    [
      'a node without a type',
      Type.Object({ a: Type.Unknown(described('a')) }),
      /^spec\.a: every node of a structural schema needs a type/,
    ],
    ['a union of objects', Type.Union([Type.Object({}), Type.Object({})]), /^spec: a union must be of literals/],
    ['an enum of mixed types', Type.Enum(['a', 1]), /^spec: enum values must share one scalar type/],
    [
      'a keyword with no CRD form',
      Type.Array(Type.String(), { uniqueItems: true }),
      /^spec: keyword uniqueItems has no structural CRD form/,
    ],
    [
      'a record keyed by a pattern',
      Type.Record(Type.String({ pattern: '^a' }), Type.String()),
      /^spec: only a record keyed by any string/,
    ],
  ])('refuses %s, naming the path', (_what, schema, message) => {
    expect(() => toStructuralSchema(schema, 'spec')).toThrow(message);
  });
});

/** Every schema node of a CRD with its path, and whether it is a field (a property) rather than a list item. */
function* nodes(node: StructuralSchema, path: string, isField = false): Generator<[string, StructuralSchema, boolean]> {
  yield [path, node, isField];
  for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, StructuralSchema>))
    yield* nodes(child, `${path}.${name}`, true);
  if (node.items !== undefined) yield* nodes(node.items as StructuralSchema, `${path}[]`);
  if (typeof node.additionalProperties === 'object')
    yield* nodes(node.additionalProperties as StructuralSchema, `${path}{}`);
}

describe.each(resources.map((r) => [r.kind, r] as const))('the %s CRD', (_kind, def) => {
  const crd = customResourceDefinition(def) as {
    spec: { versions: { schema: { openAPIV3Schema: StructuralSchema } }[] };
  };
  const root = crd.spec.versions[0]!.schema.openAPIV3Schema;
  const all = [...nodes(root, '')];

  it('has a type on every node and a description on every field', () => {
    for (const [path, node, isField] of all) {
      if (node['x-kubernetes-int-or-string'] !== true) expect(node.type, path).toBeTypeOf('string');
      if (isField && path !== '.metadata') expect(node.description, path).toMatch(/\S/);
    }
  });

  it('leaks nothing TypeBox-specific and nothing the API server forbids', () => {
    const text = JSON.stringify(root);
    expect(text).not.toMatch(/"~|"\$id"|"\$schema"|"const"|"patternProperties"|"additionalProperties":false/);
  });

  it('puts maxItems on every list: CEL cost estimates and the size of status need the bound', () => {
    for (const [path, node] of all) {
      if (node.type === 'array') expect(node.maxItems, `${path} needs maxItems`).toBeTypeOf('number');
    }
  });
});

describe('the Rollout CRD', () => {
  const rollout = customResourceDefinition(resources[0]!) as {
    metadata: { name: string };
    spec: { names: Record<string, unknown>; scope: string; versions: Record<string, unknown>[] };
  };

  it('is namespaced, answers to ro and the sluice category, and has a status subresource', () => {
    expect(rollout.metadata.name).toBe('rollouts.sluice.dev');
    expect(rollout.spec.scope).toBe('Namespaced');
    expect(rollout.spec.names).toMatchObject({
      kind: 'Rollout',
      plural: 'rollouts',
      shortNames: ['ro'],
      categories: ['sluice'],
    });
    expect(rollout.spec.versions[0]).toMatchObject({
      name: 'v1alpha1',
      served: true,
      storage: true,
      subresources: { status: {} },
    });
  });

  it('lists phase, step, canary weight and age in kubectl get, and blue-green revisions and the message with -o wide', () => {
    const columns = rollout.spec.versions[0]!.additionalPrinterColumns as {
      name: string;
      jsonPath: string;
      priority?: number;
    }[];
    expect(columns.filter((c) => c.priority === undefined).map((c) => [c.name, c.jsonPath])).toEqual([
      ['Phase', '.status.phase'],
      ['Step', '.status.currentStepIndex'],
      ['Canary-Weight', '.status.weights.canary'],
      ['Age', '.metadata.creationTimestamp'],
    ]);
    // -o wide adds where blue-green's Services point, then the message (last: it is the longest).
    expect(columns.filter((c) => c.priority === 1).map((c) => [c.name, c.jsonPath])).toEqual([
      ['Active', '.status.blueGreen.activeRevision'],
      ['Preview', '.status.blueGreen.previewRevision'],
      ['Message', '.status.message'],
    ]);
  });
});
