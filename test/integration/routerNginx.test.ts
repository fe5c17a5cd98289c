/**
 * Stories of the ingress-nginx router against the real API server: Sluice keeps a canary Ingress beside the user's
 * stable Ingress and moves its annotations; the stable Ingress is never written. There is no ingress-nginx data
 * plane here: what is proven is what the API server holds, which is what ingress-nginx would read.
 */
import { NetworkingV1Api, PatchStrategy, setHeaderOptions, type V1Ingress } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanaryStep, RolloutSpec } from '../../controller/src/api/types.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import {
  createApp,
  createRollout,
  requestAction,
  setImage,
  waitForInvalidSpec,
  waitForRollout,
} from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('nginx');
let controller: ControllerProcess;
const networking = () => adminKubeConfig().makeApiClient(NetworkingV1Api);

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});
afterAll(async () => controller?.stop());

/** The user's Ingress `name` for shop.example.com, sending / to <name>-stable, with TLS and annotations of its own. */
async function createStableIngress(name: string): Promise<void> {
  await networking().createNamespacedIngress({
    namespace: ns.name,
    body: {
      metadata: { name, annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' } },
      spec: {
        ingressClassName: 'nginx',
        tls: [{ hosts: ['shop.example.com'], secretName: `${name}-tls` }],
        rules: [
          {
            host: 'shop.example.com',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: `${name}-stable`, port: { number: 80 } } },
                },
                { path: '/docs', pathType: 'Prefix', backend: { service: { name: 'docs', port: { number: 80 } } } },
              ],
            },
          },
        ],
      },
    },
  });
}

const readIngress = (name: string) => networking().readNamespacedIngress({ namespace: ns.name, name });
const canaryIngress = (app: string) => readIngress(`${app}-${app}-canary`);
const annotation = async (app: string, key: string) =>
  (await canaryIngress(app)).metadata?.annotations?.[`nginx.ingress.kubernetes.io/${key}`];
const canaryWeight = (app: string) => annotation(app, 'canary-weight');
/** What the user wrote and Sluice must never change: the spec, the annotations, and the version of the object. */
const userPart = (i: V1Ingress) =>
  JSON.stringify([i.spec, i.metadata?.annotations, i.metadata?.labels, i.metadata?.resourceVersion]);

const nginxSpec = (name: string, steps: CanaryStep[], extra: Partial<RolloutSpec> = {}): RolloutSpec => ({
  workloadRef: { name },
  service: { port: 80 },
  trafficRouting: { nginx: { stableIngress: name } },
  strategy: { canary: { steps } },
  ...extra,
});

async function healthyApp(name: string, spec: RolloutSpec): Promise<string> {
  await createApp(ns.name, name, { replicas: 2, route: false });
  await createStableIngress(name);
  await createRollout(ns.name, name, spec);
  await waitForRollout(ns.name, name, `${name} Healthy`, (r) => r.status?.phase === 'Healthy');
  return userPart(await readIngress(name));
}

const pausedAt = (name: string, step: number) =>
  waitForRollout(
    ns.name,
    name,
    `paused at step ${step}`,
    (r) => r.status?.phase === 'Paused' && r.status.currentStepIndex === step,
  );

describe('given a Rollout with trafficRouting.nginx and a stable Ingress', () => {
  it('when a new image runs 10 -> 50 -> promote, the canary Ingress carries each weight and the stable one never changes', async () => {
    const before = await healthyApp(
      'web',
      nginxSpec('web', [{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }, { pause: {} }]),
    );
    await setImage(ns.name, 'web', 'example.invalid/app:v2');

    const first = await pausedAt('web', 1);
    expect(first.status?.weights).toEqual({ canary: 10, stable: 90 });
    const canary = await canaryIngress('web');
    expect(canary.metadata?.annotations).toEqual({
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '10',
      'nginx.ingress.kubernetes.io/canary-weight-total': '100',
    });
    expect(canary.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Rollout', name: 'web', uid: first.metadata.uid, controller: true }),
    ]);
    expect(canary.spec?.tls).toBeUndefined();
    expect(canary.spec?.rules).toEqual([
      {
        host: 'shop.example.com',
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'web-canary', port: { number: 80 } } } },
          ],
        },
      },
    ]);
    expect(userPart(await readIngress('web'))).toBe(before);
    // Steady while paused: what the API server stored (and defaulted) reads back as written, so no write follows.
    const version = (await canaryIngress('web')).metadata?.resourceVersion;
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await canaryIngress('web')).metadata?.resourceVersion).toBe(version);

    await requestAction(ns.name, 'web', 'promote');
    expect((await pausedAt('web', 3)).status?.weights).toEqual({ canary: 50, stable: 50 });
    expect(await canaryWeight('web')).toBe('50');
    expect(userPart(await readIngress('web'))).toBe(before);

    await requestAction(ns.name, 'web', 'promote');
    const done = await waitForRollout(
      ns.name,
      'web',
      'Healthy on the new revision',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === first.status?.canaryRevision,
    );
    expect(done.status?.weights).toEqual({ canary: 0, stable: 100 });
    expect(await canaryWeight('web')).toBe('0');
    expect(userPart(await readIngress('web'))).toBe(before);
  });

  it('when aborted at 50%, the canary weight is 0 one write after the abort is recorded', async () => {
    await healthyApp('shop', nginxSpec('shop', [{ setWeight: 50 }, { pause: {} }]));
    await setImage(ns.name, 'shop', 'example.invalid/app:v2');
    await pausedAt('shop', 1);
    expect(await canaryWeight('shop')).toBe('50');
    const requested = performance.now();
    await requestAction(ns.name, 'shop', 'abort');
    await waitForRollout(ns.name, 'shop', 'aborted', (r) => r.status?.abort === true, 10_000);
    // The Ingress is the write right after the status: it takes one more write, not a wait.
    const oneWriteMs = performance.now() - requested;
    await expect.poll(() => canaryWeight('shop'), { timeout: Math.max(1_000, 2 * oneWriteMs), interval: 20 }).toBe('0');
  });

  it('when the stable Ingress is edited to lose its stable backend, the Rollout is InvalidSpec naming the field and nothing moves', async () => {
    await healthyApp('api', nginxSpec('api', [{ setWeight: 20 }, { pause: {} }, { setWeight: 80 }]));
    await setImage(ns.name, 'api', 'example.invalid/app:v2');
    await pausedAt('api', 1);
    const canaryBefore = (await canaryIngress('api')).metadata?.resourceVersion;
    const edited = (await readIngress('api')).spec!;
    edited.rules![0]!.http!.paths[0]!.backend.service!.name = 'somewhere-else';
    await networking().patchNamespacedIngress(
      { namespace: ns.name, name: 'api', body: { spec: { rules: edited.rules } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const invalid = await waitForInvalidSpec(ns.name, 'api');
    expect(invalid.status?.message).toMatch(
      /spec\.trafficRouting\.nginx\.stableIngress: .*has no path whose backend is the Service api-stable: add/,
    );
    await requestAction(ns.name, 'api', 'promote'); // would move to 80% if anything moved
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await canaryIngress('api')).metadata?.resourceVersion).toBe(canaryBefore);
    expect(await canaryWeight('api')).toBe('20');
  });

  it('with a header route, the canary-by-header annotations hold the match, and are gone after promotion and after abort', async () => {
    const steps: CanaryStep[] = [
      { setHeaderRoute: { name: 'qa', match: [{ headerName: 'X-User', headerValue: { prefix: 'qa-' } }] } },
      { setWeight: 10 },
      { pause: {} },
    ];
    await healthyApp(
      'cart',
      nginxSpec('cart', steps, {
        trafficRouting: { nginx: { stableIngress: 'cart' }, managedRoutes: [{ name: 'qa' }] },
      }),
    );
    const headerAnnotations = async () =>
      Object.fromEntries(
        Object.entries((await canaryIngress('cart')).metadata?.annotations ?? {}).filter(([k]) =>
          k.includes('by-header'),
        ),
      );
    for (const [image, end] of [
      ['v2', 'promote'],
      ['v3', 'abort'],
    ] as const) {
      await setImage(ns.name, 'cart', `example.invalid/app:${image}`);
      await pausedAt('cart', 2);
      expect(await headerAnnotations()).toEqual({
        'nginx.ingress.kubernetes.io/canary-by-header': 'x-user',
        'nginx.ingress.kubernetes.io/canary-by-header-pattern': '^qa\\-.*',
      });
      expect(await canaryWeight('cart')).toBe('10');
      await requestAction(ns.name, 'cart', end);
      await waitForRollout(ns.name, 'cart', `${end} done`, (r) =>
        end === 'promote' ? r.status?.phase === 'Healthy' : r.status?.abort === true,
      );
      await expect.poll(headerAnnotations, { timeout: 10_000 }).toEqual({});
      await expect.poll(() => canaryWeight('cart'), { timeout: 10_000 }).toBe('0');
    }
  });
});
