/**
 * The Argo converter over a corpus of realistic manifests (testdata/argo/<name>.yaml): the objects and the
 * dropped list must equal <name>.expected.yaml exactly (reviewed by hand when written), every Sluice object must
 * match Sluice's schema, and every condition must compile in Sluice's CEL environment.
 */
import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { compileCondition } from '../analysis/celProgram.ts';
import { analysisTemplateSpec } from '../api/analysis.schema.ts';
import { rolloutSpec } from '../api/rollout.schema.ts';
import { convertArgo } from './argo.ts';
import type { Conversion, ConvertContext, KubeManifest } from './conversion.ts';

const dir = join(import.meta.dirname, 'testdata', 'argo');
const corpus = globSync('*.yaml', { cwd: dir }).filter((f) => !f.endsWith('.expected.yaml'));

/** Each document of a corpus file converted as `kubectl sluice convert -f <file>` does: with the file's others. */
function convertFile(file: string): (Conversion | null)[] {
  const docs = parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS() as KubeManifest);
  const context: ConvertContext = {
    objects: docs,
    find: (kind, namespace, name) =>
      docs.find(
        (o) =>
          o.kind === kind &&
          o.metadata.name === name &&
          (namespace === undefined || o.metadata.namespace === namespace),
      ),
  };
  return docs.map((doc) => convertArgo(doc, context) ?? null);
}

const sluiceSchema = (kind: string): TSchema | undefined =>
  kind === 'Rollout' ? rolloutSpec : kind.endsWith('AnalysisTemplate') ? analysisTemplateSpec : undefined;

describe('convertArgo over testdata/argo', () => {
  it('has a corpus', () => expect(corpus.length).toBeGreaterThanOrEqual(4));

  it.each(corpus)('%s converts to exactly the expected objects and dropped fields', (file) => {
    const expected = parse(readFileSync(join(dir, file.replace(/\.yaml$/, '.expected.yaml')), 'utf8')) as unknown;
    expect(convertFile(file)).toEqual(expected);
  });

  it.each(corpus)('%s gives Sluice objects that match the schema, with conditions that compile', (file) => {
    const objects = convertFile(file).flatMap((c) => c?.objects ?? []);
    for (const object of objects.filter((o) => o.apiVersion === 'sluice.dev/v1alpha1')) {
      const schema = sluiceSchema(object.kind);
      expect(schema, object.kind).toBeDefined();
      const errors = [...Value.Errors(schema!, object['spec'])].map(
        (e) => `${object.kind} ${e.instancePath}: ${e.message}`,
      );
      expect(errors).toEqual([]);
      const metrics = (object['spec'] as { metrics?: { successCondition?: string; failureCondition?: string }[] })
        .metrics;
      for (const metric of metrics ?? [])
        for (const condition of [metric.successCondition, metric.failureCondition])
          if (condition !== undefined) expect(compileCondition(condition), condition).toMatchObject({ ok: true });
    }
  });

  it('leaves other apiVersions and kinds to other converters', () => {
    const meta = { name: 'x' };
    expect(convertArgo({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Experiment', metadata: meta })).toBeUndefined();
    expect(convertArgo({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', metadata: meta })).toBeUndefined();
    expect(convertArgo({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta })).toBeUndefined();
  });

  it('reads a hand-edited object with wrong types without throwing, dropping each bad field', () => {
    const result = convertArgo({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'odd' },
      spec: { workloadRef: { name: 'odd' }, paused: 'yes', strategy: { canary: { steps: [{ setWeight: 150 }, 'x'] } } },
    });
    expect(result?.dropped.map((d) => d.path)).toEqual([
      'spec.strategy.canary.steps[1]',
      'spec.strategy.canary.steps[0].setWeight',
      'spec.paused',
    ]);
    expect(result?.objects[0]?.['spec']).toEqual({
      workloadRef: { name: 'odd' },
      strategy: { canary: { steps: [{ setWeight: 100 }] } },
    });
  });
});

describe('convertArgo with keys that name Object.prototype members', () => {
  it('drops a step or canary field named constructor, toString or __proto__ with a readable reason', () => {
    // YAML gives `__proto__` as an own key, as it does any other.
    const canary = JSON.parse(
      '{"steps": [{"constructor": {}}, {"toString": {}}, {"__proto__": {"setWeight": 5}}, {"setWeight": 10}], "constructor": 1}',
    ) as Record<string, unknown>;
    const result = convertArgo({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'proto' },
      spec: { workloadRef: { name: 'proto' }, strategy: { canary } },
    });
    expect(result?.objects[0]?.['spec']).toEqual({
      workloadRef: { name: 'proto' },
      strategy: { canary: { steps: [{ setWeight: 10 }] } },
    });
    expect(result?.dropped.map((d) => `${d.path}: ${d.reason}`)).toEqual([
      'spec.strategy.canary.steps[0].constructor: Sluice has no constructor step: not converted',
      'spec.strategy.canary.steps[1].toString: Sluice has no toString step: not converted',
      'spec.strategy.canary.steps[2].__proto__: Sluice has no __proto__ step: not converted',
      'spec.strategy.canary.constructor: Sluice canaries have no constructor',
    ]);
  });
});

describe('convertArgo with a step that is not an object', () => {
  it('names later steps by their index in the input and starts background analysis at the same step', () => {
    const result = convertArgo({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'gap' },
      spec: {
        workloadRef: { name: 'gap' },
        strategy: {
          canary: {
            analysis: { templates: [{ templateName: 'rate' }], startingStep: 3 },
            steps: ['pause', { setWeight: 10 }, { setWeight: 'x' }, { setWeight: 50 }, { pause: {} }],
          },
        },
      },
    });
    expect(result?.dropped.map((d) => d.path)).toEqual([
      'spec.strategy.canary.steps[0]',
      'spec.strategy.canary.steps[2].setWeight',
    ]);
    // Argo's step 3 (setWeight 50) is the second step kept.
    expect(result?.objects[0]?.['spec']).toMatchObject({
      strategy: { canary: { analysis: { startingStep: 1 } } },
    });
  });
});

describe("convertArgo's rollbackWindow", () => {
  const template = {
    metadata: { labels: { app: 'back' } },
    spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 8080 }] }] },
  };
  const argo = (rollbackWindow: unknown, strategy: object = { canary: { steps: [{ setWeight: 10 }] } }) =>
    convertArgo({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'back' },
      spec: { selector: { matchLabels: { app: 'back' } }, template, rollbackWindow, strategy },
    });

  it('carries a canary window over', () => {
    const result = argo({ revisions: 3 });
    const rollout = result?.objects.find((o) => o.kind === 'Rollout');
    expect(rollout?.['spec']).toMatchObject({ rollbackWindow: { revisions: 3 } });
    expect(result?.dropped).toEqual([]);
  });

  it('drops a window Sluice cannot take, saying why', () => {
    const tooWide = argo({ revisions: 20 })?.dropped;
    expect(tooWide?.map((d) => d.path)).toEqual(['spec.rollbackWindow.revisions']);
    expect(tooWide?.[0]?.reason).toMatch(/1 to 10/);
    const blueGreen = argo(
      { revisions: 2 },
      { blueGreen: { activeService: 'back-active', previewService: 'back-preview' } },
    );
    expect(blueGreen?.dropped.find((d) => d.path === 'spec.rollbackWindow')?.reason).toMatch(/blue-green always runs/);
    expect(blueGreen?.objects.find((o) => o.kind === 'Rollout')?.['spec']).not.toHaveProperty('rollbackWindow');
  });
});

describe('convertArgo: dynamicStableScale', () => {
  const argo = (canary: object) =>
    convertArgo({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'lean' },
      spec: {
        template: { spec: { containers: [{ name: 'app', image: 'app:v1', ports: [{ containerPort: 8080 }] }] } },
        selector: { matchLabels: { app: 'lean' } },
        strategy: { canary: { steps: [{ setWeight: 50 }], ...canary } },
      },
    });

  it('maps behind a traffic router, where Sluice scales stable with the weight too', () => {
    const result = argo({
      dynamicStableScale: true,
      canaryService: 'lean-canary',
      stableService: 'lean-stable',
      trafficRouting: { smi: { trafficSplitName: 'lean' } },
    });
    expect(result?.objects.at(-1)?.['spec']).toMatchObject({ strategy: { canary: { dynamicStableScale: true } } });
    expect(result?.dropped.map((d) => d.path)).not.toContain('spec.strategy.canary.dynamicStableScale');
  });

  it('is dropped, with the reason, without one (the API server would refuse it)', () => {
    const result = argo({ dynamicStableScale: true });
    expect(result?.dropped).toContainEqual(
      expect.objectContaining({
        path: 'spec.strategy.canary.dynamicStableScale',
        reason: 'Sluice scales stable with the weight only behind a traffic router',
      }),
    );
  });
});

describe('convertArgo with an embedded template and numbers the API server refuses', () => {
  it('drops replicas and minReadySeconds that are not whole numbers, with the reason, from the Deployment', () => {
    const result = convertArgo({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'big' },
      spec: {
        replicas: Infinity,
        minReadySeconds: -1,
        selector: { matchLabels: { app: 'big' } },
        template: { metadata: { labels: { app: 'big' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
        strategy: { canary: { steps: [{ setWeight: 10 }] } },
      },
    });
    const deployment = result?.objects.find((o) => o.kind === 'Deployment');
    expect(deployment?.['spec']).not.toHaveProperty('replicas');
    expect(deployment?.['spec']).not.toHaveProperty('minReadySeconds');
    expect(result?.dropped.map((d) => d.path)).toEqual(['spec.replicas', 'spec.minReadySeconds']);
  });
});

describe('convertArgo: spec.restartAt', () => {
  const convertRestart = (restartAt: unknown) =>
    convertArgo({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'web' },
      spec: { workloadRef: { name: 'web' }, restartAt, strategy: { canary: { steps: [{ setWeight: 10 }] } } },
    });

  it('carries a readable restartAt over as it is, and drops one Sluice cannot read, saying why', () => {
    const kept = convertRestart('2026-11-30T12:00:00Z');
    expect(kept?.objects[0]?.['spec']).toMatchObject({ restartAt: '2026-11-30T12:00:00Z' });
    expect(kept?.dropped).toEqual([]);
    const dropped = convertRestart('last tuesday');
    expect(dropped?.objects[0]?.['spec']).not.toHaveProperty('restartAt');
    expect(dropped?.dropped).toEqual([
      {
        object: 'Rollout/web',
        path: 'spec.restartAt',
        reason: expect.stringContaining('is not an RFC 3339 time') as unknown,
      },
    ]);
  });
});

describe('convertArgo with a header or mirror route that loses part of its match', () => {
  const convertSteps = (steps: unknown[]) =>
    convertArgo({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'ab' },
      spec: { workloadRef: { name: 'ab' }, strategy: { canary: { steps } } },
    });
  const stepsOf = (result: ReturnType<typeof convertArgo>) =>
    (result?.objects[0]?.['spec'] as { strategy: { canary: { steps: unknown[] } } }).strategy.canary.steps;

  it('does not convert a header route whose match lost an entry: it would send more users to the canary', () => {
    const result = convertSteps([
      {
        setHeaderRoute: {
          name: 'beta',
          match: [
            { headerName: 'x-beta', headerValue: { exact: 'yes' } },
            { headerName: 'x-region', headerValue: { exact: 42 } },
          ],
        },
      },
      { setWeight: 10 },
    ]);
    expect(stepsOf(result)).toEqual([{ setWeight: 10 }]);
    expect(result?.dropped.map((d) => d.path)).toContain('spec.strategy.canary.steps[0].setHeaderRoute');
  });

  it('does not convert a mirror that would copy more requests than the original (a method Sluice cannot match)', () => {
    const result = convertSteps([
      { setMirrorRoute: { name: 'm', percentage: 50, match: [{ method: { exact: 'GET' } }] } },
      { setWeight: 10 },
    ]);
    expect(stepsOf(result)).toEqual([{ setWeight: 10 }]);
    expect(result?.dropped.map((d) => d.path)).toContain('spec.strategy.canary.steps[0].setMirrorRoute');
  });
});

describe('convertArgo with list entries of the wrong type', () => {
  it('drops Prometheus headers and managed routes whose names or values are not strings, instead of writing them', () => {
    const template = convertArgo({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 't' },
      spec: {
        metrics: [
          {
            name: 'm',
            successCondition: 'result[0] > 1',
            provider: {
              prometheus: {
                address: 'http://p:9090',
                query: 'up',
                headers: [
                  { key: 5, value: null },
                  { key: 'X-Scope', value: 'a' },
                ],
              },
            },
          },
        ],
      },
    });
    const metric = (template?.objects[0]?.['spec'] as { metrics: { provider: { prometheus: unknown } }[] }).metrics[0];
    expect(metric?.provider.prometheus).toMatchObject({ headers: [{ name: 'X-Scope', value: 'a' }] });
    expect(template?.dropped.map((d) => d.path)).toContain('spec.metrics[0].provider.prometheus.headers[0].key');

    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'r' },
      spec: { template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 8080 }] }] } } },
    };
    const rollout = convertArgo(
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        metadata: { name: 'r' },
        spec: {
          workloadRef: { name: 'r' },
          strategy: {
            canary: {
              trafficRouting: { smi: { trafficSplitName: 'r' }, managedRoutes: [{ name: 5 }, { name: 'ok' }] },
              steps: [{ setWeight: 10 }],
            },
          },
        },
      },
      { objects: [deployment], find: (kind) => (kind === 'Deployment' ? deployment : undefined) },
    );
    const routing = (rollout?.objects[0]?.['spec'] as { trafficRouting?: unknown } | undefined)?.trafficRouting;
    expect(routing).toMatchObject({ managedRoutes: [{ name: 'ok' }] });
    expect(rollout?.dropped.map((d) => d.path)).toContain('spec.strategy.canary.trafficRouting.managedRoutes[0].name');
  });
});

describe('convertArgo with an analysis step that cannot be converted', () => {
  it('holds at that step (a pause until promoted by hand) instead of promoting past the check', () => {
    const result = convertArgo({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'gate' },
      spec: {
        workloadRef: { name: 'gate' },
        strategy: {
          canary: { steps: [{ setWeight: 10 }, { analysis: { templates: [{ templateName: 5 }] } }, { setWeight: 50 }] },
        },
      },
    });
    expect(result?.objects[0]?.['spec']).toMatchObject({
      strategy: { canary: { steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }] } },
    });
    expect(result?.dropped.at(-1)).toMatchObject({
      path: 'spec.strategy.canary.steps[1].analysis',
      reason: expect.stringMatching(/pause/) as string,
    });
  });
});
