/**
 * A flag and a version that switch together: a blue-green Rollout sets one Unleash flag just before the switch and
 * another just after it (real Unleash on PostgreSQL), and when the post-promotion analysis (real Prometheus) fails,
 * active goes back to the old revision and both flags go back to where they were.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { createFlag, flagState, unleashEnv } from './flagStory.ts';
import {
  clients,
  createApp,
  createRollout,
  kubectlSluice,
  setImage,
  waitForRollout,
  createAnalysisTemplate,
} from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('blue-green-flags');
const promInfo = inject('prometheus');
const unleashInfo = inject('unleash');
let controller: ControllerProcess;

beforeAll(async () => {
  if (unleashInfo === null || promInfo === null)
    throw new Error('this suite needs Unleash and Prometheus: include them in SLUICE_TEST_SERVICES');
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name, env: unleashEnv() });
});
afterAll(async () => controller?.stop());

async function activeRevision(): Promise<string | undefined> {
  const s = await clients().core.readNamespacedService({ namespace: ns.name, name: 'web-active' });
  return s.spec?.selector?.['sluice.dev/revision'];
}

/** A metric that always measures 1: failing after two measurements, a second or so apart. */
function failingTemplate(name: string) {
  return createAnalysisTemplate(ns.name, name, [
    {
      name: 'error-budget',
      interval: '1s',
      count: 10,
      failureLimit: 1,
      successCondition: 'result < 0.5',
      failureCondition: 'result >= 0.5',
      provider: { prometheus: { address: promInfo!.url, timeout: '2s', query: 'vector(1)' } },
    },
  ]);
}

describe('given a blue-green Rollout with flags before and after the switch', () => {
  it('sets the first flag before active moves and the second after, and puts both back when post-promotion fails', async () => {
    const before = await createFlag('new-checkout');
    const after = await createFlag('new-banner');
    await failingTemplate('always-failing');
    await createApp(ns.name, 'web', { replicas: 2, route: false });
    await createRollout(ns.name, 'web', {
      workloadRef: { name: 'web' },
      service: { port: 80, targetPort: 8080 },
      strategy: {
        blueGreen: {
          activeService: 'web-active',
          previewService: 'web-preview',
          autoPromotionEnabled: false,
          prePromotionFlags: [{ setFlag: { name: before, rollout: 100 } }],
          postPromotionFlags: [{ setFlag: { name: after, rollout: 50 } }],
          postPromotionAnalysis: { templates: [{ templateName: 'always-failing' }] },
        },
      },
    });
    const initial = await waitForRollout(ns.name, 'web', 'web Healthy', (r) => r.status?.phase === 'Healthy');
    const blue = initial.status!.stableRevision!;

    await setImage(ns.name, 'web', 'example.invalid/app:v2');
    const waiting = await waitForRollout(ns.name, 'web', 'waiting for promotion', (r) => r.status?.phase === 'Paused');
    const green = waiting.status!.canaryRevision!;
    expect(await flagState(before)).toEqual({ enabled: false, rollouts: [] }); // nothing moves during the preview

    await kubectlSluice(ns.name, 'promote', 'web');
    // The flag before the switch is confirmed before active moves: at the first sight of active on green, it is on.
    await expect.poll(activeRevision, { timeout: 30_000, interval: 50 }).toBe(green);
    expect(await flagState(before)).toEqual({ enabled: true, rollouts: [100] });
    await expect.poll(() => flagState(after), { timeout: 15_000 }).toEqual({ enabled: true, rollouts: [50] });

    const aborted = await waitForRollout(ns.name, 'web', 'aborted', (r) => r.status?.abort === true, 30_000);
    expect(aborted.status?.message).toMatch(/error-budget/);
    await expect.poll(activeRevision, { timeout: 10_000 }).toBe(blue);
    await expect.poll(() => flagState(before), { timeout: 15_000 }).toEqual({ enabled: false, rollouts: [] });
    await expect.poll(() => flagState(after), { timeout: 15_000 }).toEqual({ enabled: false, rollouts: [] });
  });
});
