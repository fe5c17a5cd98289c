/**
 * The router examples run: given the objects of an example under examples/ (its router object, Deployment and
 * Rollout, as a user would apply them), when the Deployment's template changes, then the canary goes through the
 * example's own traffic and route steps, each confirmed by the router's read-back, and is promoted, with no
 * InvalidSpec or WriteFailed on the way. Two things are changed for the story, and only these: analysis is left out
 * (these examples name AnalysisTemplates against a production Prometheus; analysis has its own stories), and timed
 * pauses wait for a promote, so the story drives each step instead of waiting minutes. An example that leaves the
 * Deployment to the reader gets a plain one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { canaryWeightAt, resolveSteps } from '../../controller/src/api/steps.ts';
import type { CanaryStep, RolloutSpec } from '../../controller/src/api/types.ts';
import { repoRoot } from '../cluster/paths.ts';
import { useControllerPerTest } from './controllerProcess.ts';
import { applyYaml } from './installation.ts';
import {
  clients,
  createRollout,
  patchTemplate,
  requestAction,
  troubleConditions,
  waitForRollout,
} from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: unknown;
}

/** Each example: its files under examples/; the Rollout they hold is the one that runs. */
const examples: [string, string[]][] = [
  ['gateway-api-grpc', ['gateway-api-grpc/rollout.yaml']],
  [
    'gateway-api-header-routing',
    ['gateway-api-header-routing/httproute.yaml', 'gateway-api-header-routing/rollout.yaml'],
  ],
  ['istio', ['istio/deployment.yaml', 'istio/virtualservice.yaml', 'istio/rollout.yaml']],
  ['istio-subsets', ['istio-subsets/manifests.yaml']],
  ['istio-header-routing', ['istio-header-routing/manifests.yaml']],
  ['nginx', ['nginx/rollout.yaml']],
  ['nginx-header-routing', ['nginx-header-routing/rollout.yaml']],
  ['smi', ['smi/rollout.yaml']],
  ['smi (rootService)', ['smi/owned-split.yaml']],
];

function docsOf(files: string[]): Doc[] {
  return files.flatMap((f) =>
    parseAllDocuments(readFileSync(join(repoRoot, 'examples', f), 'utf8'))
      .map((d) => d.toJS() as Doc | null)
      .filter((d): d is Doc => d !== null),
  );
}

/** The example's steps less analysis, every pause waiting for a promote; no background analysis. */
function forTheStory(spec: RolloutSpec): RolloutSpec {
  const { analysis: _background, ...canary } = spec.strategy.canary!;
  const steps: CanaryStep[] = canary.steps
    .filter((s) => s.analysis === undefined)
    .map((s) => (s.pause === undefined ? s : { pause: {} }));
  return { ...spec, strategy: { canary: { ...canary, steps } } };
}

/** A Deployment for an example that leaves it to the reader. */
function plainDeployment(name: string): Doc {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'example.invalid/app:v1', ports: [{ containerPort: 8080 }] }] },
      },
    },
  };
}

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
});

const startController = useControllerPerTest();

describe('the router examples', () => {
  // One namespace per example: several of them name their objects checkout.
  const namespaces = examples.map(([name]) => useNamespace(`ex-${name.replace(/[^a-z]+/g, '-').slice(0, 20)}`));

  it.each(examples.map(([name, files], i) => [name, files, i] as const))(
    '%s: a new template goes through the steps, each confirmed by the router, and is promoted',
    async (_name, files, i) => {
      const ns = namespaces[i]!.name;
      const docs = docsOf(files);
      const rollouts = docs.filter((d) => d.kind === 'Rollout');
      expect(rollouts).toHaveLength(1);
      const rollout = rollouts[0]!;
      const spec = forTheStory(rollout.spec as RolloutSpec);
      const deploymentName = spec.workloadRef!.name;
      const others = docs.filter((d) => d.kind !== 'Rollout');
      if (!others.some((d) => d.kind === 'Deployment')) others.push(plainDeployment(deploymentName));
      await applyYaml(others.map((d) => JSON.stringify(d)).join('\n---\n'), { namespace: ns });

      await startController({ namespace: ns });
      const name = rollout.metadata.name;
      await createRollout(ns, name, spec);
      const first = await waitForRollout(ns, name, 'the first revision stable', (r) => r.status?.phase === 'Healthy');

      await patchTemplate(ns, deploymentName, { metadata: { annotations: { 'example.sluice.dev/run': '2' } } });
      const canary = (
        await waitForRollout(
          ns,
          name,
          'a canary',
          (r) => (r.status?.canaryRevision ?? first.status?.stableRevision) !== first.status?.stableRevision,
        )
      ).status!.canaryRevision!;

      // Each pause: the weight of the last setWeight, read back by the router (a step counts only then).
      const steps = resolveSteps(spec);
      const pauses = steps.filter((s) => s.kind === 'pause').map((s) => s.index);
      const seen: number[] = [];
      for (const index of pauses) {
        const paused = await waitForRollout(
          ns,
          name,
          `paused at step ${index}`,
          (r) => r.status?.phase === 'Paused' && r.status.currentStepIndex === index,
        );
        expect(troubleConditions(paused)).toEqual([]);
        seen.push(paused.status!.weights!.canary);
        await requestAction(ns, name, 'promote');
      }
      expect(seen).toEqual(pauses.map((index) => canaryWeightAt(steps, index)));

      const promoted = await waitForRollout(
        ns,
        name,
        'the canary promoted, all traffic confirmed on it',
        (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === canary,
        90_000,
      );
      expect(troubleConditions(promoted)).toEqual([]);
      expect(promoted.status!.weights).toEqual({ canary: 0, stable: 100 });
      const deployment = await clients().apps.readNamespacedDeployment({ namespace: ns, name: deploymentName });
      expect(deployment.spec?.replicas).toBe(0); // Sluice runs the pods
    },
    180_000,
  );
});
