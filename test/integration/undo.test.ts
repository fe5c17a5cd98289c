/**
 * Undo stories against the real control plane: `kubectl sluice undo` puts an old pod template back in the Deployment
 * (written with the Deployment's resourceVersion), a rollback outside spec.rollbackWindow runs every step, and a
 * target that does not exist changes nothing and says what to do. The window with analysis is undoAnalysis.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../controller/src/api/types.ts';
import { useController } from './controllerProcess.ts';
import {
  clients,
  createApp,
  createRollout,
  eventMessages,
  eventReasons,
  kubectlSluice,
  requestAction,
  routeCanaryWeight,
  routedSpec,
  setImage,
  waitForRollout,
} from './rolloutStory.ts';
import { useNamespace } from './support.ts';

const ns = useNamespace('undo');
useController(ns);

const sluice = (...args: string[]) => kubectlSluice(ns.name, ...args);
const image = async (name: string) =>
  (await clients().apps.readNamespacedDeployment({ namespace: ns.name, name })).spec?.template.spec?.containers[0]
    ?.image;
const healthyOn = (name: string, revision: string | undefined) =>
  waitForRollout(ns.name, name, `${name} Healthy on ${revision}`, (r) => {
    return r.status?.phase === 'Healthy' && r.status.stableRevision === revision;
  });

/** Ships `image` and promotes it past its manual pause; returns the revision it became. */
async function release(name: string, tag: string): Promise<string> {
  const before = (await waitForRollout(ns.name, name, 'Healthy', (r) => r.status?.phase === 'Healthy')).status;
  await setImage(ns.name, name, `example.invalid/app:${tag}`);
  const paused = await waitForRollout(ns.name, name, `${tag} paused`, (r) => {
    return r.status?.phase === 'Paused' && r.status.canaryRevision !== before?.stableRevision;
  });
  await sluice('promote', name, '--full');
  await healthyOn(name, paused.status?.canaryRevision);
  return paused.status!.canaryRevision!;
}

const spec = (name: string, revisions: number) => ({
  ...routedSpec(name),
  rollbackWindow: { revisions },
  strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }], scaleDownDelaySeconds: 0 } },
});

describe('given a Rollout released three times, with a rollback window of one revision', () => {
  it('when undone to revision 1 (two releases back), the old template is back and runs every step', async () => {
    await createApp(ns.name, 'far', { replicas: 2, route: true });
    await createRollout(ns.name, 'far', spec('far', 1));
    const first = (await waitForRollout(ns.name, 'far', 'Healthy', (r) => r.status?.phase === 'Healthy')).status!;
    await release('far', 'v2');
    const v3 = await release('far', 'v3');
    expect(await sluice('history', 'far')).toMatch(
      /^REVISION.*\n3\s+\S+\s+2\/2\s+stable\n2\s.*was stable\n1\s.*was stable/,
    );

    expect(await sluice('undo', 'far', '--to-revision', '1')).toMatch(
      /rollout .*\/far: undo to revision 1 requested \(sluice.dev\/action=undo:1\)/,
    );
    // The ordinary canary path: the steps run from the first, and it waits at the manual pause at 20%.
    const paused = await waitForRollout(ns.name, 'far', 'the old revision paused at 20%', (r) => {
      return r.status?.canaryRevision === first.stableRevision && r.status?.phase === 'Paused';
    });
    expect(paused.status).toMatchObject({ stableRevision: v3, currentStepIndex: 1 });
    expect(paused.status?.rollbackWithinWindow).toBeUndefined();
    expect(paused.status?.undo).toBeUndefined(); // carried out: the Deployment has the template
    expect(await routeCanaryWeight(ns.name, 'far')).toBe(20);
    expect(await image('far')).toBe('example.invalid/app:v1');
    expect(paused.metadata.annotations?.['sluice.dev/action']).toBeUndefined();
    const reasons = await eventReasons(ns.name, 'far');
    expect(reasons).toEqual(expect.arrayContaining(['UndoRequested', 'CanaryStarted']));
    expect(reasons).not.toContain('RollbackWithinWindow');
    // The revision that came back is the newest: it is number 4 now, as a Deployment would number it.
    expect(await sluice('history', 'far')).toMatch(/\n4\s+\S+\s+1\/1\s+canary, was stable\n3\s+\S+\s+2\/2\s+stable/);
  });
});

describe('given a Rollout with two revisions', () => {
  it('when asked to undo to a revision that does not exist, or to the current one, nothing changes and it says what to do', async () => {
    await createApp(ns.name, 'bad', { replicas: 2, route: true });
    await createRollout(ns.name, 'bad', spec('bad', 2));
    await waitForRollout(ns.name, 'bad', 'Healthy', (r) => r.status?.phase === 'Healthy');
    const v2 = await release('bad', 'v2');

    const refused = (r: Rollout, said: RegExp) =>
      r.status?.conditions?.some((c) => c.type === 'ActionRefused' && c.status === 'True' && said.test(c.message)) ===
        true && r.metadata.annotations?.['sluice.dev/action'] === undefined;
    for (const [request, said] of [
      ['undo:9', /no revision 9 \(kept: 2, 1\); kubectl sluice history bad lists the revisions kept/],
      ['undo:2', /revision 2 is the current one/],
      ['undo:latest', /undo to "latest": the revision is a number as kubectl sluice history lists them/],
    ] as const) {
      await requestAction(ns.name, 'bad', request);
      const after = await waitForRollout(ns.name, 'bad', `${request} refused`, (r) => refused(r, said));
      const condition = after.status!.conditions!.find((c) => c.type === 'ActionRefused')!;
      expect(condition.message).toMatch(/^metadata\.annotations\[sluice\.dev\/action\]: /);
      expect(after.status).toMatchObject({ phase: 'Healthy', stableRevision: v2, canaryRevision: v2 });
      expect(after.status?.undo).toBeUndefined();
      expect(await image('bad')).toBe('example.invalid/app:v2');
    }
    // status records the decision before its traffic move (execute.ts): wait the one write that follows
    await expect.poll(() => routeCanaryWeight(ns.name, 'bad'), { timeout: 10_000 }).toBe(0);
    await expect
      .poll(async () => (await eventMessages(ns.name, 'bad', 'UndoRefused')).join('\n'), { timeout: 5_000 })
      .toMatch(/undo:9: there is no revision 9.*nothing was changed/);
  });
});
