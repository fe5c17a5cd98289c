/**
 * Story: a Rollout paused for 30 days. Node fires a timer above 2^31-1 ms (about 24.8 days) after 1 ms, so an
 * unbounded requeue for a 720h pause reconciled the Rollout about a thousand times a second. The queue and the
 * planner cap the wake-up at an hour: once at the pause, the Rollout is left alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { createApp, createRollout, routedSpec, setImage, waitForRollout } from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('long-pause');
let controller: ControllerProcess;

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});
afterAll(async () => {
  await controller?.stop();
});

/** Every reconcile this controller ran; the namespace holds one Rollout, so they are all of it. */
const reconciles = () => controller.metric('sluice_reconcile_duration_seconds_count');

describe('given a Rollout with a 720h pause', () => {
  it('when the canary reaches the pause, the Rollout is not reconciled again until something changes', async () => {
    await createApp(ns.name, 'sleepy', { replicas: 1, route: true });
    await createRollout(ns.name, 'sleepy', {
      ...routedSpec('sleepy'),
      strategy: { canary: { steps: [{ setWeight: 20 }, { pause: { duration: '720h' } }, { setWeight: 60 }] } },
    });
    await waitForRollout(ns.name, 'sleepy', 'Healthy', (r) => r.status?.phase === 'Healthy');
    await setImage(ns.name, 'sleepy', 'example.invalid/app:v2');
    await waitForRollout(
      ns.name,
      'sleepy',
      'paused at step 1',
      (r) => r.status?.currentStepIndex === 1 && (r.status.pauseConditions ?? []).some((p) => p.reason === 'PauseStep'),
    );

    // Let the writes that reached the pause come back through the watch: until a second passes without a
    // reconcile (a loaded machine takes longer than any fixed wait to deliver them).
    let last = await reconciles();
    await waitFor(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const now = await reconciles();
        const settled = now === last;
        last = now;
        return settled;
      },
      { timeoutMs: 30_000, intervalMs: 0, what: 'a second without a reconcile' },
    );
    const before = await reconciles();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const after = await reconciles();
    console.log(`[long-pause story] reconciles over 5 s at a 720h pause: ${after - before}`);
    expect(after - before).toBeLessThanOrEqual(2);
    const r = await waitForRollout(ns.name, 'sleepy', 'still paused', () => true);
    expect(r.status?.currentStepIndex).toBe(1);
  }, 120_000);

  it('a pause longer than 30 days is refused by the API server, naming the field', async () => {
    const refused = await createRollout(ns.name, 'forever', {
      ...routedSpec('forever'),
      strategy: { canary: { steps: [{ setWeight: 20 }, { pause: { duration: '721h' } }] } },
    }).then(
      () => undefined,
      (err: unknown) => String((err as { body?: unknown }).body ?? err),
    );
    expect(refused).toMatch(
      /spec\.strategy\.canary\.steps\[1\]\.pause\.duration: Invalid value: [^:]*721h[^:]*: must be at most 720h/,
    );
  });
});
