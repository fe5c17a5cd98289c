/**
 * Guarded feature-flag releases against a real Unleash server on PostgreSQL: a flag-only Rollout moves a flag
 * through its steps; a failing analysis puts the flag back; a freeze flag holds a rollout; an unreachable Unleash
 * or a refused admin token holds or stops it with a message, and shifts nothing.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CanaryStep, RolloutSpec } from '../../controller/src/api/types.ts';
import { connectUnleash } from '../fixtures/unleash.ts';
import { freePort } from '../support/ports.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { createFlag, flagState, unleashEnv } from './flagStory.ts';
import {
  clients,
  createApp,
  createRollout,
  eventMessages,
  routeCanaryWeight,
  setImage,
  waitForRollout,
} from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('flags');
const broken = useNamespace('flags-broken');
const unleashInfo = inject('unleash');
const promInfo = inject('prometheus');
const controllers: ControllerProcess[] = [];
const unleash = () => connectUnleash(unleashInfo!);
const features = '/api/admin/projects/default/features';

beforeAll(async () => {
  if (unleashInfo === null || promInfo === null)
    throw new Error('this suite needs Unleash and Prometheus: include them in SLUICE_TEST_SERVICES');
  await installSluiceCrds(adminKubeConfig());
  controllers.push(await startController({ namespace: ns.name, env: unleashEnv() }));
});
afterAll(async () => {
  await Promise.all(controllers.map((c) => c.stop()));
});

const flagOnly = (steps: CanaryStep[], extra: Partial<RolloutSpec> = {}): RolloutSpec => ({
  strategy: { canary: { steps } },
  ...extra,
});

describe('given a flag-only Rollout', () => {
  it('moves the flag 10% -> 50% -> 100% through its steps and ends Healthy with the flag at 100%', async () => {
    const flag = await createFlag('checkout-flow');
    await createRollout(
      ns.name,
      'release',
      flagOnly([
        { setFlag: { name: flag, rollout: 10 } },
        { pause: { duration: '1s' } },
        { setFlag: { name: flag, rollout: 50 } },
        { pause: { duration: '1s' } },
        { setFlag: { name: flag, rollout: 100 } },
      ]),
    );
    // Sample the flag in Unleash while the steps run: each percentage holds for at least its 1s pause.
    const seen: number[] = [];
    const done = waitForRollout(ns.name, 'release', 'Healthy', (r) => r.status?.phase === 'Healthy', 60_000);
    let finished = false;
    void done
      .finally(() => {
        finished = true;
      })
      .catch(() => undefined);
    while (!finished) {
      for (const p of (await flagState(flag)).rollouts) if (seen.at(-1) !== p) seen.push(p);
      await new Promise((r) => setTimeout(r, 100));
    }
    await done;
    const final = await flagState(flag);
    for (const p of final.rollouts) if (seen.at(-1) !== p) seen.push(p);
    expect(final).toEqual({ enabled: true, rollouts: [100] });
    expect(seen).toEqual([10, 50, 100]);
  });

  it('when its analysis fails, puts the flag back where it was, read back from Unleash', async () => {
    const flag = await createFlag('search-ranking');
    const before = await flagState(flag);
    await clients().custom.createNamespacedCustomObject({
      group: 'sluice.dev',
      version: 'v1alpha1',
      plural: 'analysistemplates',
      namespace: ns.name,
      body: {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'AnalysisTemplate',
        metadata: { name: 'always-failing' },
        spec: {
          metrics: [
            {
              name: 'errors',
              interval: '1s',
              count: 1,
              failureCondition: 'result >= 0.5',
              provider: { prometheus: { address: promInfo!.url, query: 'vector(1)' } },
            },
          ],
        },
      },
    });
    await createRollout(
      ns.name,
      'doomed',
      flagOnly([
        { setFlag: { name: flag, rollout: 30 } },
        { analysis: { templates: [{ templateName: 'always-failing' }] } },
        { setFlag: { name: flag, rollout: 100 } },
      ]),
    );
    const r = await waitForRollout(
      ns.name,
      'doomed',
      'aborted with every flag restored',
      (x) => x.status?.abort === true && (x.status.flags ?? []).length === 0,
      60_000,
    );
    expect(r.status?.message).toMatch(
      /aborted: step 2\/3 \(analysis always-failing\) failed: metric errors failed: measured 1/,
    );
    expect(await flagState(flag)).toEqual(before);
    await expect
      .poll(async () => (await eventMessages(ns.name, 'doomed', 'FlagRestored')).length, { timeout: 5_000 })
      .toBeGreaterThan(0);
  });

  it('holds while its freeze flag is on, saying so, and goes on once it is off', async () => {
    const freeze = await createFlag('deploy-freeze', { enabled: true });
    const flag = await createFlag('cart-v2');
    await createRollout(
      ns.name,
      'frozen',
      flagOnly([{ setFlag: { name: flag, rollout: 20 } }], { gates: { freezeFlag: freeze } }),
    );
    const held = await waitForRollout(
      ns.name,
      'frozen',
      'held by the freeze flag',
      (x) => x.status?.phase === 'Paused' && (x.status.message ?? '').includes(freeze),
      30_000,
    );
    expect(held.status?.pauseConditions?.map((p) => p.reason)).toEqual(['FreezeFlag']);
    expect((await flagState(flag)).rollouts).toEqual([]); // nothing moved while frozen
    await unleash().admin('POST', `${features}/${freeze}/environments/development/off`);
    await waitForRollout(ns.name, 'frozen', 'Healthy once unfrozen', (x) => x.status?.phase === 'Healthy', 60_000);
    expect(await flagState(flag)).toEqual({ enabled: true, rollouts: [20] });
  });
});

describe('given Unleash that cannot be used', () => {
  it('holds a rollout whose freeze flag cannot be read, and says why', async () => {
    const closed = await freePort();
    controllers.push(
      await startController({
        namespace: broken.name,
        name: 'broken',
        env: unleashEnv({
          SLUICE_UNLEASH_URL: `http://127.0.0.1:${closed}`,
          SLUICE_UNLEASH_ADMIN_TOKEN: '*:*.wrong-token',
        }),
      }),
    );
    const flag = await createFlag('never-read');
    await createRollout(
      broken.name,
      'held',
      flagOnly([{ setFlag: { name: flag, rollout: 20 } }], { gates: { freezeFlag: 'deploy-freeze' } }),
    );
    const r = await waitForRollout(
      broken.name,
      'held',
      'held with a reason',
      (x) => x.status?.phase === 'Paused' && /cannot be read/.test(x.status.message ?? ''),
      30_000,
    );
    expect(r.status?.message).toMatch(/freeze flag deploy-freeze cannot be read: .*holding/);
  });

  it('reports a refused admin token as InvalidSpec and shifts no traffic', async () => {
    const wrongToken = useWrongTokenController();
    const flag = await createFlag('refused');
    await createApp(wrongToken.namespace, 'web', { replicas: 2, route: true });
    await createRollout(wrongToken.namespace, 'web', {
      workloadRef: { name: 'web' },
      service: { port: 80 },
      trafficRouting: { gatewayAPI: { httpRoute: 'web' } },
      strategy: { canary: { steps: [{ setFlag: { name: flag, rollout: 10 } }, { setWeight: 50 }] } },
    });
    await wrongToken.started;
    await waitForRollout(wrongToken.namespace, 'web', 'Healthy', (r) => r.status?.phase === 'Healthy');
    await setImage(wrongToken.namespace, 'web', 'example.invalid/app:v2');
    const r = await waitForRollout(
      wrongToken.namespace,
      'web',
      'InvalidSpec',
      (x) => x.status?.conditions?.some((c) => c.type === 'InvalidSpec' && c.status === 'True') === true,
      30_000,
    );
    expect(r.status?.phase).toBe('Degraded');
    expect(r.status?.message).toMatch(/setFlag.*(401|403|token)/i);
    // status records the decision before its traffic move (execute.ts): wait the one write that follows
    await expect.poll(() => routeCanaryWeight(wrongToken.namespace, 'web'), { timeout: 10_000 }).toBe(0);
    expect((await flagState(flag)).rollouts).toEqual([]);
  });
});

const wrongTokenNs = useNamespace('flags-token');
function useWrongTokenController(): { namespace: string; started: Promise<ControllerProcess> } {
  const started = startController({
    namespace: wrongTokenNs.name,
    name: 'wrong-token',
    env: unleashEnv({ SLUICE_UNLEASH_ADMIN_TOKEN: '*:*.not-a-real-token' }),
  });
  void started.then((c) => controllers.push(c));
  return { namespace: wrongTokenNs.name, started };
}
