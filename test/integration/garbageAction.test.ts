/**
 * Hostile-review story (issue 16): a long garbage sluice.dev/action value against the real API server. The
 * refusal is quoted into the ActionRefused condition; the CRD bounds a condition message at 32768 characters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { createApp, createRollout, requestAction, routedSpec, setImage, waitForRollout } from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('garbage-action');
let controller: ControllerProcess;

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});
afterAll(async () => controller?.stop());

describe('given a canary paused at 20%', () => {
  // Defect (planner/plan.ts quotes the whole refused value into the ActionRefused condition). Seen: every status
  // write is a 422 "status.conditions[4].message: Too long: may not be more than 32768 bytes". With a 40 000
  // character value every status write is refused by the API server (message too long), so the refusal is never
  // recorded, the annotation is never removed (that waits for the status write), and every reconcile fails the
  // same way: nothing the controller decides for this Rollout (an analysis abort included) can be recorded until a
  // person finds and replaces the annotation.
  it('when a 40 000 character garbage action is set, it is refused and removed, and the Rollout carries on', async () => {
    await createApp(ns.name, 'web', { replicas: 2, route: true });
    await createRollout(ns.name, 'web', {
      ...routedSpec('web'),
      strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } },
    });
    await waitForRollout(ns.name, 'web', 'Healthy', (r) => r.status?.phase === 'Healthy');
    await setImage(ns.name, 'web', 'example.invalid/app:v2');
    await waitForRollout(ns.name, 'web', 'paused at 20%', (r) => r.status?.phase === 'Paused');

    await requestAction(ns.name, 'web', `undo:${'9'.repeat(40_000)}`);
    const after = await waitForRollout(
      ns.name,
      'web',
      'the garbage refused and removed',
      (r) =>
        r.metadata.annotations?.['sluice.dev/action'] === undefined &&
        r.status?.conditions?.some((c) => c.type === 'ActionRefused' && c.status === 'True') === true,
      30_000,
    );
    expect(after.status?.phase).toBe('Paused');
  });
});
