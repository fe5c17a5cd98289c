/**
 * Stories of Istio header routing and mirroring: the managed routes Sluice adds to the VirtualService come before
 * the weighted route, carry its match, and are gone after promotion and after an abort.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { createIstioObjects, httpRouteNames, virtualService, vsCanaryWeight } from './istioStory.ts';
import { createApp, createRollout, requestAction, setImage, waitForRollout } from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('istio-routes');
let controller: ControllerProcess;

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});
afterAll(async () => controller?.stop());

const routes = {
  header: { setHeaderRoute: { name: 'testers', match: [{ headerName: 'X-User', headerValue: { exact: 'qa' } }] } },
  mirror: {
    setMirrorRoute: {
      name: 'shadow',
      percentage: 30,
      match: [{ headerName: 'x-env', headerValue: { prefix: 'stag' } }],
    },
  },
};

async function pausedWithRoute(name: string, step: object) {
  await createApp(ns.name, name, { replicas: 2, route: false });
  await createIstioObjects(ns.name, name, false);
  const routeName = 'setHeaderRoute' in step ? 'testers' : 'shadow';
  await createRollout(ns.name, name, {
    workloadRef: { name },
    service: { port: 80, targetPort: 8080 },
    trafficRouting: { istio: { virtualService: name }, managedRoutes: [{ name: routeName }] },
    strategy: { canary: { steps: [{ setWeight: 20 }, step, { pause: {} }] } },
  });
  await waitForRollout(ns.name, name, `${name} Healthy`, (r) => r.status?.phase === 'Healthy');
  await setImage(ns.name, name, 'example.invalid/app:v2');
  await waitForRollout(ns.name, name, 'paused after the route step', (r) => r.status?.phase === 'Paused');
  return `sluice.${name}.${routeName}`;
}

describe.each([
  ['a header route', 'header'],
  ['a mirror route', 'mirror'],
] as const)('given a Rollout with Istio and %s', (_what, kind) => {
  const check = async (name: string, entryName: string) => {
    // Before the weighted route, with its match (uri prefix /) and the header ANDed into it.
    expect(await httpRouteNames(ns.name, name)).toEqual(['health', entryName, 'primary']);
    const entry = (await virtualService(ns.name, name)).spec.http[1]!;
    if (kind === 'header') {
      expect(entry.match).toEqual([{ uri: { prefix: '/' }, headers: { 'x-user': { exact: 'qa' } } }]);
      expect(entry.route).toEqual([{ destination: { host: `${name}-canary`, port: { number: 80 } }, weight: 100 }]);
    } else {
      expect(entry.match).toEqual([{ uri: { prefix: '/' }, headers: { 'x-env': { prefix: 'stag' } } }]);
      expect(entry.route!.map((d) => d.weight)).toEqual([80, 20]); // split like the weighted route
      expect(entry.mirror).toEqual({ host: `${name}-canary`, port: { number: 80 } });
    }
  };

  it('when the step runs, the route appears before the weighted route, and promotion removes it', async () => {
    const name = `${kind}-promote`;
    const entryName = await pausedWithRoute(name, routes[kind]);
    await check(name, entryName);
    await requestAction(ns.name, name, 'promote');
    await waitForRollout(ns.name, name, 'Healthy', (r) => r.status?.phase === 'Healthy' && r.status.abort !== true);
    await expect.poll(() => httpRouteNames(ns.name, name), { timeout: 10_000 }).toEqual(['health', 'primary']);
    expect(await vsCanaryWeight(ns.name, name)).toBe(0);
  });

  it('when aborted, the route is removed with the weight', async () => {
    const name = `${kind}-abort`;
    const entryName = await pausedWithRoute(name, routes[kind]);
    await check(name, entryName);
    await requestAction(ns.name, name, 'abort');
    await waitForRollout(ns.name, name, 'aborted', (r) => r.status?.abort === true, 10_000);
    await expect.poll(() => httpRouteNames(ns.name, name), { timeout: 10_000 }).toEqual(['health', 'primary']);
    expect(await vsCanaryWeight(ns.name, name)).toBe(0);
  });
});
