/**
 * The Sluice API as the real API server enforces it: the generated CRDs install, every example is accepted with
 * strict field validation, invalid objects are refused with the field named, `kubectl explain` teaches the API
 * and `kubectl get ro` shows where each rollout is.
 */
import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { TSchema } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { metric } from '../../controller/src/api/analysis.schema.ts';
import { resources } from '../../controller/src/api/resources.ts';
import { canaryStep, rolloutSpec } from '../../controller/src/api/rollout.schema.ts';
import { invalidCases, validRollout, validTemplate, type InvalidCase } from './invalidObjects.ts';
import { installSluiceCrds, resourceOf, sluiceRef, statusMessage } from './sluiceCrds.ts';
import { adminKubeConfig, kubectl, useNamespace } from './support.ts';

const ns = useNamespace('api');
const apiVersion = `${sluiceRef.group}/${sluiceRef.version}`;

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: Record<string, unknown>;
}

const examplesDir = join(import.meta.dirname, '..', '..', 'examples');
// The Sluice objects among the examples; the others (a PrometheusRule) are checked by manifestsDryRun.test.ts.
const examples = globSync('**/*.yaml', { cwd: examplesDir })
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(examplesDir, file), 'utf8')).map((doc) => ({
      file,
      manifest: doc.toJS() as Manifest,
    })),
  )
  .filter((e) => resources.some((r) => r.kind === e.manifest.kind));

function custom(): CustomObjectsApi {
  return adminKubeConfig().makeApiClient(CustomObjectsApi);
}

/** Server-side applies a Sluice object with strict field validation: an unknown field is an error, not dropped. */
async function apply(obj: Manifest): Promise<unknown> {
  const { plural, namespaced } = resourceOf(obj.kind);
  const request = {
    ...sluiceRef,
    plural,
    name: obj.metadata.name,
    body: obj,
    fieldManager: 'sluice-tests',
    fieldValidation: 'Strict',
    force: true,
  };
  const options = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  return namespaced
    ? custom().patchNamespacedCustomObject({ ...request, namespace: ns.name }, options)
    : custom().patchClusterCustomObject(request, options);
}

/** Creates a Sluice object with strict field validation. */
async function create(obj: Manifest): Promise<unknown> {
  const { plural, namespaced } = resourceOf(obj.kind);
  const request = { ...sluiceRef, plural, body: obj, fieldValidation: 'Strict' };
  return namespaced
    ? custom().createNamespacedCustomObject({ ...request, namespace: ns.name })
    : custom().createClusterCustomObject(request);
}

async function remove(obj: Manifest): Promise<void> {
  const { plural, namespaced } = resourceOf(obj.kind);
  const request = { ...sluiceRef, plural, name: obj.metadata.name };
  await (namespaced
    ? custom().deleteNamespacedCustomObject({ ...request, namespace: ns.name })
    : custom().deleteClusterCustomObject(request));
}

/** The error message the API server gave for a request that had to fail. */
async function refusal(request: Promise<unknown>): Promise<string> {
  try {
    await request;
  } catch (err) {
    return statusMessage(err);
  }
  throw new Error('the API server accepted it');
}

const manifest = (kind: string, name: string, spec: Record<string, unknown>): Manifest => ({
  apiVersion,
  kind,
  metadata: { name },
  spec,
});

/** kubectl wraps and indents descriptions; compare words, not layout. */
const words = (text: string) => text.replace(/\s+/g, ' ');

/** The description of a schema, as words. */
function described(schema: TSchema): string {
  const { description } = schema as { description?: unknown };
  if (typeof description !== 'string') throw new Error('every schema in controller/src/api has a description');
  return words(description);
}

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
});

const clusterScoped: Manifest[] = [];
afterAll(async () => {
  await Promise.allSettled(clusterScoped.map((m) => remove(m)));
});

describe('the examples', () => {
  it.each(examples.map((e) => [`${e.file} (${e.manifest.kind} ${e.manifest.metadata.name})`, e.manifest] as const))(
    'the API server accepts %s',
    async (_name, m) => {
      if (!resourceOf(m.kind).namespaced) clusterScoped.push(m);
      const applied = (await apply(m)) as Manifest;
      expect(applied.spec).toMatchObject(m.spec);
      await remove(m);
    },
  );
});

describe('invalid objects', () => {
  it('start from bases that the API server accepts', async () => {
    await create(manifest('Rollout', 'valid-base', validRollout));
    await create(manifest('AnalysisTemplate', 'valid-base', validTemplate));
  });

  it.each(invalidCases.map((c, i) => [c.title, c, i] as const))(
    'refuses %s, naming the field',
    async (_title, c: InvalidCase, i) => {
      const obj = manifest(c.kind, c.name ?? `invalid-${i}`, c.spec);
      if (!resourceOf(c.kind).namespaced) clusterScoped.push(obj);
      const message = await refusal(create(obj));
      expect(message).toContain(c.field);
      expect(message).toMatch(c.says);
    },
  );

  it('refuses a status the controller should never write', async () => {
    const name = 'bad-status';
    await create(manifest('Rollout', name, validRollout));
    const message = await refusal(
      custom().patchNamespacedCustomObjectStatus(
        {
          ...sluiceRef,
          namespace: ns.name,
          plural: 'rollouts',
          name,
          body: { status: { phase: 'Running', weights: { canary: 150, stable: -50 } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(message).toContain('status.phase');
    expect(message).toContain('status.weights.canary');
  });
});

describe('defaults', () => {
  it('fills in what the contract promises when a field is omitted', async () => {
    const spec = {
      workloadRef: { name: 'checkout' },
      strategy: {
        canary: {
          steps: [
            { setFlag: { name: 'f', rollout: 5 } },
            { analysis: { templates: [{ templateName: 'error-rate' }] } },
          ],
        },
      },
    };
    const created = (await create(manifest('Rollout', 'defaults', spec))) as Manifest;
    expect(created.spec).toEqual({
      workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout' },
      strategy: {
        canary: {
          steps: [
            // No project: the controller fills in its --unleash-project, so that setting means what it says.
            { setFlag: { name: 'f', rollout: 5, onAbort: 'restore' } },
            { analysis: { templates: [{ templateName: 'error-rate', clusterScope: false }] } },
          ],
          abortScaleDownDelaySeconds: 30,
          scaleDownDelaySeconds: 30,
        },
      },
      paused: false,
      progressDeadlineSeconds: 600,
      progressDeadlineAbort: false,
      revisionHistoryLimit: 10,
    });
  });
});

describe('kubectl', () => {
  it('explains the steps with their descriptions', async () => {
    const out = words(await kubectl(['explain', 'rollout.spec.strategy.canary.steps', `--api-version=${apiVersion}`]));
    expect(out).toContain(described(canaryStep));
    for (const [field, schema] of Object.entries(canaryStep.properties)) {
      expect(out).toContain(field);
      expect(out).toContain(described(schema));
    }
  });

  it('explains every spec field', async () => {
    const out = words(await kubectl(['explain', 'ro.spec', `--api-version=${apiVersion}`]));
    for (const [field, schema] of Object.entries(rolloutSpec.properties)) {
      expect(out, field).toContain(`${field} <`);
      expect(out, field).toContain(described(schema));
    }
  });

  it('explains every field of an AnalysisTemplate metric', async () => {
    const out = words(await kubectl(['explain', 'analysistemplate.spec.metrics', `--api-version=${apiVersion}`]));
    for (const [field, schema] of Object.entries(metric.properties)) {
      expect(out, field).toContain(`${field} <`);
      expect(out, field).toContain(described(schema));
    }
  });

  it('shows phase, step and canary weight in kubectl get ro, from status', async () => {
    const name = 'listed';
    await create(manifest('Rollout', name, validRollout));
    await custom().patchNamespacedCustomObjectStatus(
      {
        ...sluiceRef,
        namespace: ns.name,
        plural: 'rollouts',
        name,
        body: {
          status: {
            phase: 'Progressing',
            currentStepIndex: 2,
            weights: { canary: 10, stable: 90 },
            message: 'step 3/6: analysis error-rate running',
            // What a blue-green rollout writes; the columns read status only, so this canary can show them too.
            blueGreen: { phase: 'Preview', activeRevision: 'aaa111', previewRevision: 'bbb222' },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const [header, row] = (await kubectl(['get', 'ro', name, '-n', ns.name]))
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s{2,}/));
    expect(header).toEqual(['NAME', 'PHASE', 'STEP', 'CANARY-WEIGHT', 'AGE']);
    expect(row?.slice(0, 4)).toEqual([name, 'Progressing', '2', '10']);
    expect(row?.[4]).toMatch(/^\d+s$/);

    const [wideHeader, wideRow] = (await kubectl(['get', 'ro', name, '-n', ns.name, '-o', 'wide']))
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s{2,}/));
    expect(wideHeader?.slice(5)).toEqual(['ACTIVE', 'PREVIEW', 'MESSAGE']);
    expect(wideRow?.slice(5)).toEqual(['aaa111', 'bbb222', 'step 3/6: analysis error-rate running']);

    // The category lists Rollouts with the other Sluice kinds.
    expect(await kubectl(['get', 'sluice', '-n', ns.name, '-o', 'name'])).toContain(`rollout.sluice.dev/${name}`);
  });

  it('waits for condition Healthy', async () => {
    const name = 'healthy';
    await create(manifest('Rollout', name, validRollout));
    const healthy = {
      type: 'Healthy',
      status: 'True',
      reason: 'Promoted',
      message: 'all traffic on stable',
      lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    await custom().patchNamespacedCustomObjectStatus(
      {
        ...sluiceRef,
        namespace: ns.name,
        plural: 'rollouts',
        name,
        body: { status: { phase: 'Healthy', conditions: [healthy] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(
      await kubectl(['wait', '--for=condition=Healthy', `rollout/${name}`, '-n', ns.name, '--timeout=20s']),
    ).toContain('condition met');
  });
});
