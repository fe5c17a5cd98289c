/**
 * The stories every weight router tells against the real API server, with the router object in between: a canary
 * at 10% then 50% then promoted, the weights read back from the object at each step; an abort that puts the weight
 * to 0 in the reconcile that records it; and a hand-edited object that lost the canary backend, which is
 * InvalidSpec naming the field while the object is left exactly as the user left it.
 */
import { expect, it } from 'vitest';
import type { RolloutSpec } from '../../controller/src/api/types.ts';
import {
  createApp,
  createRollout,
  getRollout,
  requestAction,
  setImage,
  waitForInvalidSpec,
  waitForRollout,
} from './rolloutStory.ts';

/** One router's side of the stories: its object and how to read and break it. */
export interface RoutedStory {
  /** The spec field that names the router object, which an InvalidSpec about it must name. */
  field: string;
  trafficRouting(name: string): RolloutSpec['trafficRouting'];
  /** Creates the user's router object for app `name`, at 100% on `<name>-stable`. */
  createRouterObject(namespace: string, name: string): Promise<void>;
  /** The canary's share in the router object now, in whole percent. */
  canaryWeight(namespace: string, name: string): Promise<number>;
  /** The user's hand edit: removes the `<name>-canary` backend. */
  dropCanaryBackend(namespace: string, name: string): Promise<void>;
  /** The object's spec and resourceVersion, to show that nothing wrote to it. */
  snapshot(namespace: string, name: string): Promise<{ spec: unknown; resourceVersion: string }>;
}

const canarySteps = [{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }, { pause: {} }];

async function routedRollout(namespace: string, name: string, story: RoutedStory, steps: object[] = canarySteps) {
  await createApp(namespace, name, { replicas: 2, route: false });
  await story.createRouterObject(namespace, name);
  await createRollout(namespace, name, {
    workloadRef: { name },
    service: { port: 80 },
    trafficRouting: story.trafficRouting(name),
    strategy: { canary: { steps } },
  });
  const healthy = await waitForRollout(namespace, name, `${name} Healthy`, (r) => r.status?.phase === 'Healthy');
  return healthy.status!.stableRevision!;
}

const pausedAt = (namespace: string, name: string, index: number) =>
  waitForRollout(
    namespace,
    name,
    `paused at step ${index + 1}`,
    (r) => r.status?.phase === 'Paused' && r.status.currentStepIndex === index,
  );

/** A promote request once the previous one is handled (the controller removes the annotation when it acts). */
async function promote(namespace: string, name: string): Promise<void> {
  await expect
    .poll(async () => (await getRollout(namespace, name)).metadata.annotations?.['sluice.dev/action'], {
      timeout: 10_000,
    })
    .toBeUndefined();
  await requestAction(namespace, name, 'promote');
}

export function routerStories(ns: { readonly name: string }, story: RoutedStory): void {
  it('when the image changes, the object reads 10% then 50%, and promotion puts it back to 0%', async () => {
    const stable = await routedRollout(ns.name, 'web', story);
    expect(await story.canaryWeight(ns.name, 'web')).toBe(0);

    await setImage(ns.name, 'web', 'example.invalid/app:v2');
    const at10 = await pausedAt(ns.name, 'web', 1);
    expect(at10.status?.weights).toEqual({ canary: 10, stable: 90 });
    expect(await story.canaryWeight(ns.name, 'web')).toBe(10);

    await promote(ns.name, 'web');
    const at50 = await pausedAt(ns.name, 'web', 3);
    expect(at50.status?.weights).toEqual({ canary: 50, stable: 50 });
    expect(await story.canaryWeight(ns.name, 'web')).toBe(50);

    await promote(ns.name, 'web');
    const done = await waitForRollout(
      ns.name,
      'web',
      'Healthy on the new revision',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === at50.status?.canaryRevision,
    );
    expect(done.status?.stableRevision).not.toBe(stable);
    expect(done.status?.weights).toEqual({ canary: 0, stable: 100 });
    // status records the decision before its traffic move (execute.ts): wait the one write that follows
    await expect.poll(() => story.canaryWeight(ns.name, 'web'), { timeout: 10_000 }).toBe(0);
  });

  it('when aborted at 50%, the object reads 0% right after the abort is recorded', async () => {
    await routedRollout(ns.name, 'shop', story, [{ setWeight: 50 }, { pause: {} }]);
    await setImage(ns.name, 'shop', 'example.invalid/app:v2');
    await pausedAt(ns.name, 'shop', 1);
    expect(await story.canaryWeight(ns.name, 'shop')).toBe(50);

    const requested = performance.now();
    await requestAction(ns.name, 'shop', 'abort');
    await waitForRollout(ns.name, 'shop', 'shop aborted', (r) => r.status?.abort === true, 10_000);
    // The abort is recorded in status first and the router object is the next write: it comes one write later,
    // not after a wait. How long the abort took to be recorded is what one write takes here (more when loaded).
    const oneWriteMs = performance.now() - requested;
    await expect
      .poll(() => story.canaryWeight(ns.name, 'shop'), { timeout: Math.max(1_000, 2 * oneWriteMs), interval: 20 })
      .toBe(0);
    const after = await waitForRollout(ns.name, 'shop', 'Degraded', (r) => r.status?.phase === 'Degraded');
    expect(after.status?.weights).toEqual({ canary: 0, stable: 100 });
  });

  it('when the user removes the canary backend mid-canary, it is InvalidSpec naming the field and the object is left alone', async () => {
    await routedRollout(ns.name, 'cart', story);
    await setImage(ns.name, 'cart', 'example.invalid/app:v2');
    await pausedAt(ns.name, 'cart', 1);

    await story.dropCanaryBackend(ns.name, 'cart');
    const edited = await story.snapshot(ns.name, 'cart');
    const invalid = await waitForInvalidSpec(ns.name, 'cart', 30_000);
    const condition = invalid.status!.conditions!.find((c) => c.type === 'InvalidSpec')!;
    expect(condition.message).toContain(story.field);
    expect(condition.message).toContain('cart-canary');
    expect(invalid.status?.phase).toBe('Degraded');
    // A promote asks for a reconcile that would move traffic if anything did: the object must not change.
    await requestAction(ns.name, 'cart', 'promote');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await story.snapshot(ns.name, 'cart')).toEqual(edited);
    expect((await getRollout(ns.name, 'cart')).status?.currentStepIndex).toBe(1);
  });
}
