/**
 * spec.restartAt under RBAC from before it (issue 16): given the namespaced install's Role without its rules on pods,
 * the controller, running with nothing but its ServiceAccount's token, still starts and releases; a restart then
 * waits with the condition Restarting saying which rights are missing, and is never recorded as done on pods it
 * cannot see.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { waitFor } from '../support/wait.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { allowed, applyYaml, kubectlAs, render, serviceAccountKubeconfig, type Rule } from './installation.ts';
import { createApp, createRollout, getRollout, kubectlSluice, waitForRollout } from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, clusterInfo, useNamespace } from './support.ts';

const ns = useNamespace('restart-rbac');
const suffix = `-${ns.name.slice(-6)}`;
let controller: ControllerProcess | undefined;

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  const { objects } = await render('manifests/namespaced', { namespace: ns.name, nameSuffix: suffix });
  // The rights as an install older than restarts has them: no pods, no pods/eviction. No Deployment: the test runs
  // the controller itself.
  const older = objects
    .filter((o) => o.kind !== 'Deployment')
    .map((o) =>
      o.kind === 'Role' && o.metadata.name === `sluice${suffix}`
        ? { ...o, rules: (o.rules as Rule[]).filter((r) => !(r.resources ?? []).some((x) => x.startsWith('pods'))) }
        : o,
    );
  await applyYaml(older.map((o) => stringify(o)).join('---\n'));
  const kubeconfig = await serviceAccountKubeconfig(ns.name, `sluice${suffix}`);
  await waitFor(
    () => allowed(kubeconfig, { group: 'sluice.dev', resource: 'rollouts', verb: 'watch', namespace: ns.name }),
    { timeoutMs: 15_000, what: 'the RoleBinding to take effect' },
  );
  expect(await allowed(kubeconfig, { group: '', resource: 'pods', verb: 'list', namespace: ns.name })).toBe(false);
  controller = await startController({ namespace: ns.name, kubeconfig });
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  await kubectlAs(clusterInfo().kubeconfig, [
    'delete',
    'clusterrole,clusterrolebinding',
    `sluice-clusteranalysistemplates-reader${suffix}`,
    '--ignore-not-found',
  ]);
});

describe('given a controller that may not list pods', () => {
  it('releases as before, and holds a restart, naming the missing rights, without ever recording it', async () => {
    await createApp(ns.name, 'shop', { replicas: 2, route: false });
    await createRollout(ns.name, 'shop', {
      workloadRef: { name: 'shop' },
      strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } },
    });
    await waitForRollout(ns.name, 'shop', 'Healthy', (r) => r.status?.phase === 'Healthy');

    await kubectlSluice(ns.name, 'restart', 'shop');
    const held = await waitForRollout(
      ns.name,
      'shop',
      'Restarting PodsNotVisible',
      (r) => r.status?.conditions?.find((c) => c.type === 'Restarting')?.reason === 'PodsNotVisible',
    );
    expect(held.status?.conditions?.find((c) => c.type === 'Restarting')?.message).toMatch(
      /may not list pods .*apply the current manifests/,
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const still = await getRollout(ns.name, 'shop');
    expect(still.status?.restartedAt).toBeUndefined();
    expect(still.status?.phase).toBe('Healthy');
  });
});
