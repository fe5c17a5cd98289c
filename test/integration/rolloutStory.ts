/** Building blocks of the controller stories: an app (Deployment + HTTPRoute), a Rollout, and ways to watch them. */
import { AppsV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { CanaryStep, Rollout, RolloutSpec } from '../../controller/src/api/types.ts';
import { waitFor } from '../support/wait.ts';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../cluster/paths.ts';
import { adminKubeConfig, clusterInfo } from './support.ts';

const rolloutRef = { group: 'sluice.dev', version: 'v1alpha1', plural: 'rollouts' };
const routeRef = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' };
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function clients() {
  const kc = adminKubeConfig();
  return {
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
  };
}

export async function createApp(
  namespace: string,
  name: string,
  opts: { replicas: number; route: boolean; nodeSelector?: Record<string, string> },
): Promise<void> {
  const { apps, custom } = clients();
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name },
      spec: {
        replicas: opts.replicas,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            containers: [{ name: 'app', image: 'example.invalid/app:v1', ports: [{ containerPort: 8080 }] }],
            ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}),
          },
        },
      },
    },
  });
  if (opts.route) {
    await custom.createNamespacedCustomObject({
      ...routeRef,
      namespace,
      body: {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name },
        spec: {
          rules: [
            {
              backendRefs: [
                { name: `${name}-stable`, port: 80, weight: 100 },
                { name: `${name}-canary`, port: 80, weight: 0 },
              ],
            },
          ],
        },
      },
    });
  }
}

/** The spec fields of a Rollout of Deployment `name`, with its Services and the HTTPRoute of the same name. */
export function routedSpec(name: string) {
  return { workloadRef: { name }, service: { port: 80 }, trafficRouting: { gatewayAPI: { httpRoute: name } } };
}

export async function createRollout(namespace: string, name: string, spec: RolloutSpec): Promise<void> {
  await clients().custom.createNamespacedCustomObject({
    ...rolloutRef,
    namespace,
    body: { apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', metadata: { name }, spec },
  });
}

/** Creates an AnalysisTemplate with these metrics (and declared args) in `namespace`, as kubectl apply would. */
export async function createAnalysisTemplate(
  namespace: string,
  name: string,
  metrics: object[],
  args?: { name: string }[],
): Promise<void> {
  await clients().custom.createNamespacedCustomObject({
    group: 'sluice.dev',
    version: 'v1alpha1',
    plural: 'analysistemplates',
    namespace,
    body: {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name },
      spec: { ...(args === undefined ? {} : { args }), metrics },
    },
  });
}

export async function getRollout(namespace: string, name: string): Promise<Rollout> {
  return (await clients().custom.getNamespacedCustomObject({ ...rolloutRef, namespace, name })) as Rollout;
}

/** The plain-kubectl way to ask for promote, abort or retry: kubectl annotate rollout <name> sluice.dev/action=<action>. */
export async function requestAction(namespace: string, name: string, action: string): Promise<void> {
  await clients().custom.patchNamespacedCustomObject(
    { ...rolloutRef, namespace, name, body: { metadata: { annotations: { 'sluice.dev/action': action } } } },
    merge,
  );
}

export async function patchTemplate(namespace: string, name: string, template: object): Promise<void> {
  await clients().apps.patchNamespacedDeployment({ namespace, name, body: { spec: { template } } }, merge);
}

export async function setImage(namespace: string, name: string, image: string): Promise<void> {
  await patchTemplate(namespace, name, { spec: { containers: [{ name: 'app', image }] } });
}

/** Canary weight in the HTTPRoute as a percentage. */
export async function routeCanaryWeight(namespace: string, name: string): Promise<number> {
  const route = (await clients().custom.getNamespacedCustomObject({ ...routeRef, namespace, name })) as {
    spec: { rules: { backendRefs: { name: string; weight: number }[] }[] };
  };
  const refs = route.spec.rules[0]!.backendRefs;
  const canary = refs.find((r) => r.name === `${name}-canary`)!.weight;
  const stable = refs.find((r) => r.name === `${name}-stable`)!.weight;
  return Math.round((canary * 100) / (canary + stable));
}

export async function waitForRollout(
  namespace: string,
  name: string,
  what: string,
  ok: (r: Rollout) => boolean,
  timeoutMs = 60_000,
): Promise<Rollout> {
  let last: Rollout | undefined;
  try {
    return await waitFor(
      async () => {
        last = await getRollout(namespace, name);
        return ok(last) ? last : undefined;
      },
      { timeoutMs, intervalMs: 100, what },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last?.status)}`, { cause: err });
  }
}

/**
 * Waits until the Rollout is Healthy on a stable revision other than the one `before` had (its release was promoted),
 * and returns the Rollout as it then was.
 */
export async function waitForPromotion(
  namespace: string,
  name: string,
  before: Rollout,
  timeoutMs?: number,
  what = 'promoted',
): Promise<Rollout> {
  return waitForRollout(
    namespace,
    name,
    what,
    (r) => r.status?.phase === 'Healthy' && r.status.stableRevision !== before.status?.stableRevision,
    timeoutMs,
  );
}

/** Waits until the Rollout's InvalidSpec condition is True, and returns the Rollout as it then was. */
export async function waitForInvalidSpec(namespace: string, name: string, timeoutMs?: number): Promise<Rollout> {
  return waitForRollout(
    namespace,
    name,
    'InvalidSpec',
    (r) => r.status?.conditions?.some((c) => c.type === 'InvalidSpec' && c.status === 'True') === true,
    timeoutMs,
  );
}

export async function replicaSetsOf(
  namespace: string,
  rollout: string,
): Promise<{ name: string; revision: string; replicas: number }[]> {
  const list = await clients().apps.listNamespacedReplicaSet({
    namespace,
    labelSelector: `sluice.dev/rollout=${rollout}`,
  });
  return list.items.map((rs) => ({
    name: rs.metadata!.name!,
    revision: rs.metadata!.labels!['sluice.dev/revision']!,
    replicas: rs.spec?.replicas ?? 0,
  }));
}

export async function eventReasons(namespace: string, rollout: string): Promise<string[]> {
  const events = await clients().core.listNamespacedEvent({
    namespace,
    fieldSelector: `involvedObject.name=${rollout},involvedObject.kind=Rollout`,
  });
  return events.items
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
    .map((e) => e.reason ?? '');
}

/** The messages of a Rollout's Events with one reason. */
export async function eventMessages(namespace: string, rollout: string, reason: string): Promise<string[]> {
  const events = await clients().core.listNamespacedEvent({
    namespace,
    fieldSelector: `involvedObject.name=${rollout},involvedObject.kind=Rollout,reason=${reason}`,
  });
  return events.items.map((e) => e.message ?? '');
}

/** The conditions that say something went wrong and is still so: an invalid spec or a write that failed. */
export const troubleConditions = (r: Rollout) =>
  (r.status?.conditions ?? []).filter(
    (c) => (c.type === 'InvalidSpec' || c.type === 'WriteFailed') && c.status === 'True',
  );

/** Runs `kubectl sluice <args> -n <namespace>` as a user would (the plugin's entry point, the test cluster). */
export async function kubectlSluice(namespace: string, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    join(repoRoot, 'bin/kubectl-sluice.js'),
    ...args,
    '-n',
    namespace,
    '--kubeconfig',
    clusterInfo().kubeconfig,
  ]);
  return stdout;
}

/**
 * A routed app of 2 replicas whose canary runs setWeight 20, `analysis`, setWeight 50, `analysis`: created Healthy,
 * then given the v2 image; resolves with the Rollout once v2 is promoted (the analysis stories' healthy case).
 */
export async function promoteThroughTwoAnalyses(
  namespace: string,
  name: string,
  analysis: CanaryStep,
): Promise<Rollout> {
  await createApp(namespace, name, { replicas: 2, route: true });
  await createRollout(namespace, name, {
    ...routedSpec(name),
    strategy: { canary: { steps: [{ setWeight: 20 }, analysis, { setWeight: 50 }, analysis] } },
  });
  const healthy = await waitForRollout(namespace, name, 'Healthy', (r) => r.status?.phase === 'Healthy');
  await setImage(namespace, name, 'example.invalid/app:v2');
  return waitForPromotion(namespace, name, healthy, 90_000);
}
