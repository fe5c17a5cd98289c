/**
 * The Rollout's scale subresource against the real API server (issue 16): given a canary paused at 20%, when a user
 * runs `kubectl scale ro --replicas=5`, then stable runs 5 pods and the canary ceil(5 x 20%), the weight stays 20%,
 * and the scale subresource reads back the size and the selector of the Rollout's pods (what an autoscaler uses).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import {
  createApp,
  createRollout,
  replicaSetsOf,
  routeCanaryWeight,
  routedSpec,
  setImage,
  waitForRollout,
} from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, kubectl, useNamespace } from './support.ts';

const ns = useNamespace('scale');
let controller: ControllerProcess;

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});
afterAll(async () => controller?.stop());

describe('given a canary paused at 20% behind the Gateway API router', () => {
  it('kubectl scale ro resizes stable and canary mid-canary, and the scale subresource reads the Rollout', async () => {
    await createApp(ns.name, 'sized', { replicas: 2, route: true });
    await createRollout(ns.name, 'sized', {
      ...routedSpec('sized'),
      strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } },
    });
    await waitForRollout(ns.name, 'sized', 'Healthy', (r) => r.status?.phase === 'Healthy');
    await setImage(ns.name, 'sized', 'example.invalid/app:v2');
    const paused = await waitForRollout(ns.name, 'sized', 'paused at 20%', (r) => r.status?.phase === 'Paused');
    const [stable, canary] = [paused.status!.stableRevision!, paused.status!.canaryRevision!];
    const sizes = async () => {
      const sets = await replicaSetsOf(ns.name, 'sized');
      return [stable, canary].map((rev) => sets.find((s) => s.revision === rev)?.replicas);
    };
    expect(await sizes()).toEqual([2, 1]);

    expect(await kubectl(['scale', 'rollout.sluice.dev', 'sized', '--replicas=5', '-n', ns.name])).toMatch(/scaled/);
    await expect.poll(sizes, { timeout: 20_000 }).toEqual([5, 1]);
    const scaled = await waitForRollout(ns.name, 'sized', 'status.replicas 5', (r) => r.status?.replicas === 5);
    expect(scaled.spec.replicas).toBe(5);
    expect(scaled.status?.phase).toBe('Paused'); // still at its step
    expect(await routeCanaryWeight(ns.name, 'sized')).toBe(20);
    const scale = JSON.parse(
      await kubectl(['get', 'rollout.sluice.dev', 'sized', '--subresource=scale', '-n', ns.name, '-o', 'json']),
    ) as { spec: { replicas: number }; status: { replicas: number; selector: string } };
    expect(scale).toMatchObject({
      spec: { replicas: 5 },
      status: { replicas: 5, selector: 'sluice.dev/rollout=sized' },
    });

    await kubectl(['scale', 'rollout.sluice.dev', 'sized', '--replicas=10', '-n', ns.name]);
    await expect.poll(sizes, { timeout: 20_000 }).toEqual([10, 2]); // ceil(10 x 20%)
  });
});
