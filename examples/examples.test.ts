/**
 * The examples are documentation that must not rot: each one matches the schema, their templates and arguments
 * fit together, and together they use every spec field of the API. (test/integration/api.test.ts checks that
 * the API server accepts them, CEL rules included.)
 */
import { globSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { analysisTemplateSpec } from '../controller/src/api/analysis.schema.ts';
import { notificationChannelSpec } from '../controller/src/api/notification.schema.ts';
import { rolloutSpec } from '../controller/src/api/rollout.schema.ts';
import type { AnalysisTemplateSpec, Rollout } from '../controller/src/api/types.ts';
import { validateRollout } from '../controller/src/api/validate.ts';

interface Manifest {
  file: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: unknown;
}

const manifests: Manifest[] = globSync('**/*.yaml', { cwd: import.meta.dirname }).flatMap((file) =>
  parseAllDocuments(readFileSync(join(import.meta.dirname, file), 'utf8')).map((doc) => ({
    ...(doc.toJS() as Omit<Manifest, 'file'>),
    file,
  })),
);
const sluice = manifests.filter((m) => ['Rollout', 'AnalysisTemplate', 'ClusterAnalysisTemplate'].includes(m.kind));
const specSchema = (kind: string): TSchema => (kind === 'Rollout' ? rolloutSpec : analysisTemplateSpec);

/** Every field path under a schema, e.g. strategy.canary.steps[].pause.duration. */
function schemaPaths(schema: TSchema, prefix = ''): string[] {
  const node = schema as { properties?: Record<string, TSchema>; items?: TSchema };
  if (node.items !== undefined) return schemaPaths(node.items, `${prefix}[]`);
  return Object.entries(node.properties ?? {}).flatMap(([name, child]) => {
    const path = prefix ? `${prefix}.${name}` : name;
    return [path, ...schemaPaths(child, path)];
  });
}

/** Every field path set in a value, in the same notation. */
function valuePaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => valuePaths(item, `${prefix}[]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([name, child]) => {
    const path = prefix ? `${prefix}.${name}` : name;
    return [path, ...valuePaths(child, path)];
  });
}

describe('examples/', () => {
  it('has Rollouts, AnalysisTemplates and a ClusterAnalysisTemplate', () => {
    expect(new Set(sluice.map((m) => m.kind))).toEqual(
      new Set(['Rollout', 'AnalysisTemplate', 'ClusterAnalysisTemplate']),
    );
  });

  it.each(sluice.map((m) => [`${m.file} (${m.kind} ${m.metadata.name})`, m] as const))(
    '%s matches the schema and sets no namespace',
    (_name, m) => {
      const errors = [...Value.Errors(specSchema(m.kind), m.spec)].map(
        (e) => `spec${e.instancePath.replaceAll('/', '.')}: ${e.message}`,
      );
      expect(errors).toEqual([]);
      expect(m.metadata.namespace).toBeUndefined();
    },
  );

  it('has Rollouts whose templates exist and get every argument they need', () => {
    const templates = (kind: string) =>
      new Map(sluice.filter((m) => m.kind === kind).map((m) => [m.metadata.name, m.spec as AnalysisTemplateSpec]));
    const namespaced = templates('AnalysisTemplate');
    const cluster = templates('ClusterAnalysisTemplate');
    const lookup = {
      analysisTemplate: (_ns: string, name: string) => namespaced.get(name),
      clusterAnalysisTemplate: (name: string) => cluster.get(name),
    };
    for (const m of sluice.filter((s) => s.kind === 'Rollout')) {
      const rollout = {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'Rollout',
        metadata: { ...m.metadata, namespace: 'shop' },
        spec: m.spec,
      } as Rollout;
      expect(validateRollout(rollout, lookup), m.file).toEqual([]);
    }
  });

  it.each([
    ['Rollout', rolloutSpec, ['Rollout']],
    ['AnalysisTemplate', analysisTemplateSpec, ['AnalysisTemplate', 'ClusterAnalysisTemplate']],
  ] as const)('together use every %s spec field', (_kind, schema, kinds) => {
    const used = new Set(
      sluice.filter((m) => (kinds as readonly string[]).includes(m.kind)).flatMap((m) => valuePaths(m.spec)),
    );
    const unused = schemaPaths(schema).filter((path) => !used.has(path));
    expect(unused, `add these fields to a manifest in ${relative(process.cwd(), import.meta.dirname)}/`).toEqual([]);
  });

  it('has NotificationChannels that match the schema and together use every field', () => {
    const channels = manifests.filter((m) => m.kind === 'NotificationChannel');
    expect(channels.length).toBeGreaterThan(0);
    for (const c of channels) expect([...Value.Errors(notificationChannelSpec, c.spec)], c.metadata.name).toEqual([]);
    const used = new Set(channels.flatMap((c) => valuePaths(c.spec)));
    expect(schemaPaths(notificationChannelSpec).filter((path) => !used.has(path))).toEqual([]);
  });
});
