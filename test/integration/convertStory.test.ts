/**
 * kubectl sluice convert, against the real API server: what it writes from the corpus of Argo Rollouts and Flagger
 * manifests (controller/src/convert/testdata) is accepted by a strict server-side dry run, CRD rules included; and
 * a converted Argo canary and a converted Flagger canary (with the VirtualService the converter writes in place of
 * the one Flagger generated) each run through their steps to promotion.
 */
import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertSources } from '../../controller/src/convert/convert.ts';
import type { KubeManifest } from '../../controller/src/convert/conversion.ts';
import { converters } from '../../controller/src/convert/converters.ts';
import type { Rollout } from '../../controller/src/api/types.ts';
import { repoRoot } from '../cluster/paths.ts';
import { useControllerPerTest } from './controllerProcess.ts';
import { applyYaml } from './installation.ts';
import { patchTemplate, requestAction, troubleConditions, waitForRollout, waitForPromotion } from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const testdata = join(repoRoot, 'controller/src/convert/testdata');

/** The converted objects of some sources, all moved into `namespace`. */
function converted(sources: { name: string; text: string }[], namespace: string): KubeManifest[] {
  const result = convertSources(sources, converters);
  expect(result.errors).toEqual([]);
  return result.objects.map((o) => ({ ...o, metadata: { ...o.metadata, namespace } }));
}

const yamlOf = (objects: KubeManifest[]) => objects.map((o) => JSON.stringify(o)).join('\n---\n');

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
});

const startController = useControllerPerTest();

describe('converted manifests', () => {
  const dryRun = useNamespace('convert-dry');
  const inputs = globSync('{argo,flagger}/*.yaml', { cwd: testdata })
    .filter((f) => !f.endsWith('.expected.yaml'))
    .sort();

  it('the corpus has both tools in it', () => {
    expect(inputs.filter((f) => f.startsWith('argo/')).length).toBeGreaterThan(2);
    expect(inputs.filter((f) => f.startsWith('flagger/')).length).toBeGreaterThan(2);
  });

  it.each(inputs)('%s: what convert writes is accepted by a strict server-side dry run', async (file) => {
    const objects = converted([{ name: file, text: readFileSync(join(testdata, file), 'utf8') }], dryRun.name);
    if (objects.length === 0) return; // an input that converts to nothing: its dropped list says why
    const { stderr } = await applyYaml(yamlOf(objects), { dryRun: true, namespace: dryRun.name });
    expect(stderr).not.toMatch(/error|invalid/i);
  });
});

describe('a converted canary runs', () => {
  const argoNs = useNamespace('convert-argo');
  const flaggerNs = useNamespace('convert-flagger');

  /** Promotes each pause that waits for it until the new revision is stable; returns the weights seen at pauses. */
  async function driveToPromotion(ns: string, name: string, stableBefore: string): Promise<number[]> {
    const weights: number[] = [];
    const promoted = (r: Rollout) =>
      r.status?.phase === 'Healthy' &&
      r.status.stableRevision !== stableBefore &&
      r.status.stableRevision !== undefined;
    for (;;) {
      const r = await waitForRollout(
        ns,
        name,
        'paused or promoted',
        (x) => x.status?.phase === 'Paused' || promoted(x),
        120_000,
      );
      expect(troubleConditions(r)).toEqual([]);
      if (promoted(r)) return weights;
      weights.push(r.status!.weights!.canary);
      await requestAction(ns, name, 'promote');
      // Past this pause: the next one can follow before any poll sees the phase change, so the step index tells.
      const at = r.status!.currentStepIndex;
      await waitForRollout(ns, name, 'past the pause', (x) => x.status?.currentStepIndex !== at || promoted(x), 30_000);
    }
  }

  it('an Argo Rollout with an embedded template: convert gives a Deployment and a Rollout, and the canary goes 20 -> 50 -> promoted', async () => {
    const argo = [
      'apiVersion: argoproj.io/v1alpha1',
      'kind: Rollout',
      'metadata: {name: shop, labels: {team: web}}',
      'spec:',
      '  replicas: 4',
      '  revisionHistoryLimit: 3',
      '  selector: {matchLabels: {app: shop}}',
      '  template:',
      '    metadata: {labels: {app: shop}}',
      '    spec: {containers: [{name: app, image: example.invalid/shop:1, ports: [{containerPort: 8080}]}]}',
      '  strategy:',
      '    canary:',
      '      steps: [{setWeight: 20}, {pause: {}}, {setWeight: 50}, {pause: {duration: 3600}}]',
    ].join('\n');
    const objects = converted([{ name: 'argo.yaml', text: argo }], argoNs.name);
    expect(objects.map((o) => o.kind).sort()).toEqual(['Deployment', 'Rollout']);
    await applyYaml(yamlOf(objects), { namespace: argoNs.name });
    await startController({ namespace: argoNs.name });
    const first = await waitForRollout(argoNs.name, 'shop', 'stable', (r) => r.status?.phase === 'Healthy');
    await patchTemplate(argoNs.name, 'shop', { metadata: { annotations: { 'example.sluice.dev/release': '2' } } });
    // Replica ratio (the Argo Rollout named no router): the weights are the canary's share of the pods.
    expect(await driveToPromotion(argoNs.name, 'shop', first.status!.stableRevision!)).toEqual([20, 33]);
  });

  it('a Flagger Canary on Istio: convert writes the VirtualService Flagger used to generate, and the canary steps through it to promotion', async () => {
    const flagger = [
      'apiVersion: flagger.app/v1beta1',
      'kind: Canary',
      'metadata: {name: podinfo}',
      'spec:',
      '  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}',
      '  provider: istio',
      '  service: {port: 9898, hosts: [podinfo.example.com]}',
      '  analysis: {interval: 2s, threshold: 3, maxWeight: 50, stepWeight: 25, metrics: []}',
    ].join('\n');
    const objects = converted([{ name: 'flagger.yaml', text: flagger }], flaggerNs.name);
    expect(objects.map((o) => o.kind).sort()).toEqual(['Rollout', 'VirtualService']);
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'podinfo', namespace: flaggerNs.name },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'podinfo' } },
        template: {
          metadata: { labels: { app: 'podinfo' } },
          spec: { containers: [{ name: 'app', image: 'example.invalid/podinfo:1', ports: [{ containerPort: 9898 }] }] },
        },
      },
    } as KubeManifest;
    await applyYaml(yamlOf([deployment, ...objects]), { namespace: flaggerNs.name });
    await startController({ namespace: flaggerNs.name });
    const first = await waitForRollout(flaggerNs.name, 'podinfo', 'stable', (r) => r.status?.phase === 'Healthy');
    await patchTemplate(flaggerNs.name, 'podinfo', {
      metadata: { annotations: { 'example.sluice.dev/release': '2' } },
    });
    // Flagger's schedule became setWeight/pause(interval) steps: they run on their own, no promote needed.
    const promoted = await waitForPromotion(
      flaggerNs.name,
      'podinfo',
      first,
      120_000,
      'promoted through the VirtualService',
    );
    expect(troubleConditions(promoted)).toEqual([]);
    expect(promoted.status?.weights).toEqual({ canary: 0, stable: 100 });
  });
});
