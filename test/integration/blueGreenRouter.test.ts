/**
 * Blue-green through the Gateway API router, against the real control plane: the HTTPRoute of
 * examples/blue-green-gateway-api names the active and the preview Service as its backends, and the switch is a
 * weight change of that route (100/0 -> 0/100), counted only once the route reads it back. The Services keep their
 * selectors through the switch; at promotion both select the new revision before the route goes back to 100/0, so
 * no request returns to the old pods.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Service } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import type { Rollout } from '../../controller/src/api/types.ts';
import { revisionLabel } from '../../controller/src/workload/names.ts';
import { repoRoot } from '../cluster/paths.ts';
import { blueGreenSpec, selectedRevision, watchObject, writtenBefore, folded } from './blueGreenStory.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import {
  clients,
  createApp,
  createRollout,
  eventReasons,
  kubectlSluice,
  setImage,
  waitForRollout,
  createAnalysisTemplate,
} from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('bg-router');
const info = inject('prometheus');
let controller: ControllerProcess;

beforeAll(async () => {
  if (info === null) throw new Error('this suite needs Prometheus: include "prometheus" in SLUICE_TEST_SERVICES');
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});
afterAll(async () => controller?.stop());

interface HttpRoute {
  metadata: { name: string; resourceVersion?: string };
  spec: { rules: { backendRefs: { name: string; weight: number }[] }[] };
}

const routeRef = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' };

/** The route's weights as `active/preview`, e.g. "100/0". */
function weights(route: HttpRoute): string {
  const refs = route.spec.rules[0]!.backendRefs;
  const of = (name: string) => refs.find((r) => r.name === name)?.weight;
  return `${of('shop-active')}/${of('shop-preview')}`;
}

/**
 * A post-promotion analysis that passes and goes on for as long as the story needs (it ends with a promote), so
 * that the switched state can be looked at: it reads a constant from the real Prometheus.
 */
async function createPassingTemplate(name: string): Promise<void> {
  await createAnalysisTemplate(ns.name, name, [
    {
      name: 'always-fine',
      interval: '1s',
      count: 1000,
      successCondition: 'result == 0',
      provider: { prometheus: { address: info!.url, query: 'vector(0)' } },
    },
  ]);
}

describe('given a blue-green Rollout behind the HTTPRoute of examples/blue-green-gateway-api', () => {
  it('switches with the route weights 100/0 -> 0/100, read back before the switch counts, and after promotion goes back to 100/0 with both Services on the new revision', async () => {
    const route = parse(
      readFileSync(join(repoRoot, 'examples/blue-green-gateway-api/httproute.yaml'), 'utf8'),
    ) as HttpRoute;
    await clients().custom.createNamespacedCustomObject({ ...routeRef, namespace: ns.name, body: route });
    await createApp(ns.name, 'shop', { replicas: 2, route: false });
    await createPassingTemplate('shop-fine');
    await createRollout(ns.name, 'shop', {
      ...blueGreenSpec('shop', {
        previewReplicaCount: 1,
        postPromotionAnalysis: { templates: [{ templateName: 'shop-fine' }] },
      }),
      trafficRouting: { gatewayAPI: { httpRoute: 'shop' } },
    });
    const blue = (await waitForRollout(ns.name, 'shop', 'Healthy', (r) => r.status?.phase === 'Healthy')).status!
      .stableRevision!;
    const routes = await watchObject<HttpRoute>(
      `/apis/gateway.networking.k8s.io/v1/namespaces/${ns.name}/httproutes`,
      'shop',
    );
    const rollouts = await watchObject<Rollout>(`/apis/sluice.dev/v1alpha1/namespaces/${ns.name}/rollouts`, 'shop');
    const active = await watchObject<V1Service>(`/api/v1/namespaces/${ns.name}/services`, 'shop-active');
    expect(weights(routes.versions[0]!.object)).toBe('100/0');

    await setImage(ns.name, 'shop', 'example.invalid/app:v2');
    const switched = await waitForRollout(
      ns.name,
      'shop',
      'switched',
      (r) => r.status?.blueGreen?.phase === 'Switched',
    );
    const green = switched.status!.canaryRevision!;
    expect(switched.status?.weights).toEqual({ canary: 100, stable: 0 });
    expect(switched.status?.blueGreen).toMatchObject({ activeRevision: green, previewRevision: green });
    // The route moves the traffic, not the selectors: active still selects the old pods, which get no request.
    expect(await selectedRevision(ns.name, 'shop-active')).toBe(blue);
    expect(await selectedRevision(ns.name, 'shop-preview')).toBe(green);

    expect(await kubectlSluice(ns.name, 'promote', 'shop')).toMatch(/promote requested/);
    const done = await waitForRollout(
      ns.name,
      'shop',
      'promoted',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === green,
    );
    expect(done.status?.weights).toEqual({ canary: 0, stable: 100 });
    expect(done.status?.blueGreen?.phase).toBe('Promoted');
    expect(await selectedRevision(ns.name, 'shop-active')).toBe(green);
    expect(await selectedRevision(ns.name, 'shop-preview')).toBe(green);
    await Promise.all([routes.stop(), rollouts.stop(), active.stop()]);

    expect(folded(routes.versions, weights)).toEqual(['100/0', '0/100', '100/0']);
    // The switch step counted only once the route read 0/100: the first status past it was written after the route.
    const routeSwitched = routes.versions.find((v) => weights(v.object) === '0/100')!.object;
    const pastSwitch = rollouts.versions.find(
      (v) => v.object.status?.canaryRevision === green && (v.object.status.currentStepIndex ?? 0) > 1,
    )!.object;
    expect(writtenBefore(routeSwitched, pastSwitch)).toBe(true);
    // Back to 100/0 only once active selects the new revision: the old pods never took a request again.
    const routeBack = routes.versions.findLast((v) => weights(v.object) === '100/0')!.object;
    const activeGreen = active.versions.find((v) => v.object.spec?.selector?.[revisionLabel] === green)!.object;
    expect(writtenBefore(activeGreen, routeBack)).toBe(true);
    await expect
      .poll(() => eventReasons(ns.name, 'shop'), { timeout: 5_000 })
      .toEqual(expect.arrayContaining(['CanaryStarted', 'Switched', 'Promoted']));
  });
});
