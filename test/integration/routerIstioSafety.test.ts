/**
 * Stories of the Istio router where a wrong order would send requests to pods that cannot answer them: a
 * subset-based canary superseded while it has traffic (every state of the VirtualService, DestinationRule and pods
 * is replayed from watches and checked), and an abort through a VirtualService the user edited so that it refuses
 * the managed routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rollout } from '../../controller/src/api/types.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import {
  createIstioObjects,
  httpRouteNames,
  patchVirtualService,
  virtualService,
  vsCanaryWeight,
} from './istioStory.ts';
import { readyPodsOf, watchMesh, type MeshMoment } from './meshTimeline.ts';
import {
  createApp,
  createRollout,
  replicaSetsOf,
  requestAction,
  setImage,
  waitForInvalidSpec,
  waitForRollout,
} from './rolloutStory.ts';
import { watchRollout } from './rolloutWatch.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('istio-safety');
let controller: ControllerProcess;

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});
afterAll(async () => controller?.stop());

const pausedAt = (index: number, canary?: string) => (r: Rollout) =>
  r.status?.phase === 'Paused' &&
  r.status.currentStepIndex === index &&
  (canary === undefined || r.status.canaryRevision === canary);

/** Each subset the weighted route sends a share to, with that share and the ready pods it selects. */
function sharesAt(moment: MeshMoment) {
  const primary = moment.virtualService?.spec?.http?.find((r) => r.name === 'primary');
  const subsets = moment.destinationRule?.spec?.subsets ?? [];
  return (primary?.route ?? []).map((d) => {
    const subset = subsets.find((s) => s.name === d.destination?.subset) ?? {};
    return {
      subset: d.destination?.subset,
      weight: d.weight ?? 0,
      revision: subset.labels?.['sluice.dev/revision'],
      readyPods: readyPodsOf(moment, subset),
    };
  });
}

describe('given a subset-based Istio canary at 20%', () => {
  it('when a newer template supersedes it, the weight leaves the old canary before the subset moves, the new canary starts over and is promoted, and no share ever reaches a subset without ready pods', async () => {
    const name = 'superseded';
    await createApp(ns.name, name, { replicas: 2, route: false });
    await createIstioObjects(ns.name, name, true);
    await createRollout(ns.name, name, {
      workloadRef: { name },
      service: { port: 80, targetPort: 8080 },
      trafficRouting: { istio: { virtualService: name, routes: ['primary'], destinationRule: { name } } },
      strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } },
    });
    const healthy = await waitForRollout(ns.name, name, 'Healthy', (r) => r.status?.phase === 'Healthy');
    const stable = healthy.status!.stableRevision!;
    const mesh = await watchMesh(ns.name, name);
    const history = await watchRollout(ns.name, name);

    await setImage(ns.name, name, 'example.invalid/app:v2');
    const first = await waitForRollout(ns.name, name, 'paused at 20%', pausedAt(1));
    const superseded = first.status!.canaryRevision!;
    expect(await vsCanaryWeight(ns.name, name)).toBe(20);

    await setImage(ns.name, name, 'example.invalid/app:v3');
    const second = await waitForRollout(
      ns.name,
      name,
      'the newer canary paused at 20%',
      (r) => r.status?.canaryRevision !== superseded && pausedAt(1)(r),
    );
    const newer = second.status!.canaryRevision!;
    expect(newer).not.toBe(stable);
    expect(await vsCanaryWeight(ns.name, name)).toBe(20);

    await requestAction(ns.name, name, 'promote');
    await waitForRollout(
      ns.name,
      name,
      'Healthy on the newer revision',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === newer,
    );
    await history.stop();
    const moments = await mesh.stop();

    // The newer canary started from step 0: its first recorded version is at step 0, never at 1 straight away.
    const newerSteps = history.versions
      .filter((v) => v.status?.canaryRevision === newer && v.status.stableRevision === stable)
      .map((v) => v.status?.currentStepIndex);
    expect(newerSteps[0]).toBe(0);

    const shares = moments.map((m) => ({ rv: m.rv, shares: sharesAt(m) }));
    // Not vacuous: the timeline holds the old canary's 20% and the newer one's.
    const canaryAt = (revision: string) =>
      shares.some((s) => s.shares.some((d) => d.subset === 'canary' && d.weight === 20 && d.revision === revision));
    expect(canaryAt(superseded)).toBe(true);
    expect(canaryAt(newer)).toBe(true);
    // In no state does a share go to a subset that selects no ready pod.
    const starved = shares.filter((s) => s.shares.some((d) => d.weight > 0 && d.readyPods === 0));
    expect(starved).toEqual([]);
    // The canary subset moves to the newer revision only once its weight is 0.
    const moved = shares.find((s) => s.shares.some((d) => d.subset === 'canary' && d.revision === newer))!;
    expect(moved.shares.find((d) => d.subset === 'canary')!.weight).toBe(0);
  });
});

describe('given a host-based Istio canary with a header route in force', () => {
  it('when the user edits the weighted route to match on the routed header and then aborts, the weight goes to 0 and the managed route is removed, the user’s routes untouched', async () => {
    const name = 'refused';
    await createApp(ns.name, name, { replicas: 2, route: false });
    await createIstioObjects(ns.name, name, false);
    const header = { name: 'testers', match: [{ headerName: 'x-user', headerValue: { exact: 'qa' } }] };
    await createRollout(ns.name, name, {
      workloadRef: { name },
      service: { port: 80, targetPort: 8080 },
      trafficRouting: { istio: { virtualService: name }, managedRoutes: [{ name: 'testers' }] },
      strategy: { canary: { steps: [{ setWeight: 20 }, { setHeaderRoute: header }, { pause: {} }] } },
    });
    await waitForRollout(ns.name, name, 'Healthy', (r) => r.status?.phase === 'Healthy');
    await setImage(ns.name, name, 'example.invalid/app:v2');
    const paused = await waitForRollout(ns.name, name, 'paused with the header route', pausedAt(2));
    expect(await httpRouteNames(ns.name, name)).toEqual(['health', `sluice.${name}.testers`, 'primary']);

    // The user makes the weighted route match on the header the managed route adds.
    await patchVirtualService(ns.name, name, [
      { op: 'test', path: '/spec/http/2/name', value: 'primary' },
      { op: 'add', path: '/spec/http/2/match/0/headers', value: { 'x-user': { exact: 'bob' } } },
    ]);
    const invalid = await waitForInvalidSpec(ns.name, name);
    expect(invalid.status!.conditions!.find((c) => c.type === 'InvalidSpec')!.message).toMatch(
      /already matches header x-user/,
    );
    // Refused, so nothing the canary asks is written: the route and the weight stay as they were.
    const edited = (await virtualService(ns.name, name)).spec.http;
    expect(await vsCanaryWeight(ns.name, name)).toBe(20);

    await requestAction(ns.name, name, 'abort');
    await waitForRollout(ns.name, name, 'aborted', (r) => r.status?.abort === true, 10_000);
    await expect
      .poll(async () => [await vsCanaryWeight(ns.name, name), await httpRouteNames(ns.name, name)], {
        timeout: 10_000,
        interval: 50,
      })
      .toEqual([0, ['health', 'primary']]);
    const after = (await virtualService(ns.name, name)).spec.http;
    expect(after[0]).toEqual(edited[0]);
    const { route: _weights, ...primaryAfter } = after[1]!;
    const { route: _before, ...primaryBefore } = edited[2]!;
    expect(primaryAfter).toEqual(primaryBefore);
    // Traffic went through the router: the canary was not scaled to 0 at once, it keeps its pods for the delay.
    const canary = paused.status!.canaryRevision!;
    expect((await replicaSetsOf(ns.name, name)).find((rs) => rs.revision === canary)?.replicas).toBeGreaterThan(0);
  });
});
