/**
 * The Rollout's scale subresource against the real API server (issue 16): given a canary paused at 20%, when a user
 * runs `kubectl scale ro --replicas=5`, then stable runs 5 pods and the canary ceil(5 x 20%), the weight stays 20%,
 * and the scale subresource reads back the size and the selector of the Rollout's pods (what an autoscaler uses).
 * And kube-controller-manager's HorizontalPodAutoscaler sizes a Rollout mid-canary through it (raised to its
 * minReplicas, which needs no metric; rolloutAutoscaling.test.ts has the metric-driven story, through a metrics API).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoscalingV2Api } from '@kubernetes/client-node';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import {
  createApp,
  eventReasons,
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

  it("kube-controller-manager's HorizontalPodAutoscaler scales the Rollout mid-canary through the scale subresource", async () => {
    await createApp(ns.name, 'auto', { replicas: 2, route: true });
    await createRollout(ns.name, 'auto', {
      ...routedSpec('auto'),
      replicas: 2, // an autoscaler does not scale a target from 0
      strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } },
    });
    await waitForRollout(ns.name, 'auto', 'Healthy', (r) => r.status?.phase === 'Healthy');
    await setImage(ns.name, 'auto', 'example.invalid/app:v2');
    const paused = await waitForRollout(ns.name, 'auto', 'paused at 50%', (r) => r.status?.phase === 'Paused');
    // minReplicas above the current size: the autoscaler raises it to 6 before it needs any metric.
    await adminKubeConfig()
      .makeApiClient(AutoscalingV2Api)
      .createNamespacedHorizontalPodAutoscaler({
        namespace: ns.name,
        body: {
          metadata: { name: 'auto' },
          spec: {
            scaleTargetRef: { apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', name: 'auto' },
            minReplicas: 6,
            maxReplicas: 10,
            metrics: [
              { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
            ],
          },
        },
      });
    const scaled = await waitForRollout(ns.name, 'auto', 'spec.replicas 6', (r) => r.spec.replicas === 6, 60_000);
    expect(scaled.status?.currentStepIndex).toBe(1); // still at its step: the autoscaler moved the size only
    const sizes = async () => {
      const sets = await replicaSetsOf(ns.name, 'auto');
      return [paused.status!.stableRevision, paused.status!.canaryRevision].map(
        (rev) => sets.find((s) => s.revision === rev)?.replicas,
      );
    };
    await expect.poll(sizes, { timeout: 20_000 }).toEqual([6, 3]); // canary: 50% of 6
    expect(await routeCanaryWeight(ns.name, 'auto')).toBe(50);
  });

  it('says so in the condition AutoscalerOnDeployment while an autoscaler still targets the Deployment', async () => {
    await createApp(ns.name, 'left', { replicas: 2, route: true });
    await createRollout(ns.name, 'left', {
      ...routedSpec('left'),
      strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } },
    });
    await waitForRollout(ns.name, 'left', 'Healthy', (r) => r.status?.phase === 'Healthy');
    const hpa = adminKubeConfig().makeApiClient(AutoscalingV2Api);
    await hpa.createNamespacedHorizontalPodAutoscaler({
      namespace: ns.name,
      body: {
        metadata: { name: 'left-hpa' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'left' },
          minReplicas: 1,
          maxReplicas: 4,
        },
      },
    });
    const warned = await waitForRollout(ns.name, 'left', 'AutoscalerOnDeployment', (r) =>
      (r.status?.conditions ?? []).some((c) => c.type === 'AutoscalerOnDeployment' && c.status === 'True'),
    );
    expect(warned.status?.conditions?.find((c) => c.type === 'AutoscalerOnDeployment')?.message).toMatch(
      /HorizontalPodAutoscaler left-hpa targets Deployment left, which Sluice keeps at 0 replicas/,
    );
    await expect.poll(() => eventReasons(ns.name, 'left'), { timeout: 5_000 }).toContain('AutoscalerOnDeployment');
    await hpa.deleteNamespacedHorizontalPodAutoscaler({ namespace: ns.name, name: 'left-hpa' });
    await waitForRollout(ns.name, 'left', 'no AutoscalerOnDeployment', (r) =>
      (r.status?.conditions ?? []).every((c) => c.type !== 'AutoscalerOnDeployment'),
    );
  });
});
