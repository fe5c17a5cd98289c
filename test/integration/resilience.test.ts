/**
 * Stories about the controller itself: killed mid-canary it resumes at the same step; with two replicas only the
 * leader writes and the other takes over; idle, it sends no write; a canary that never becomes ready misses its
 * progress deadline; the replica-ratio router follows the weight with pods.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import {
  createApp,
  createRollout,
  eventMessages,
  patchTemplate,
  replicaSetsOf,
  requestAction,
  setImage,
  waitForRollout,
} from './rolloutStory.ts';
import { stepIndices, stepsRanOnce, watchRollout } from './rolloutWatch.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('resilience');
const running: ControllerProcess[] = [];
const start = async (opts: Parameters<typeof startController>[0]) => {
  const c = await startController(opts);
  running.push(c);
  return c;
};
beforeAll(() => installSluiceCrds(adminKubeConfig()));
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

const writeVerbs = ['create', 'update', 'patch', 'delete'];
async function writes(c: ControllerProcess): Promise<number> {
  let n = 0;
  for (const verb of writeVerbs) n += await c.metric('sluice_kube_api_requests_total', { verb });
  return n;
}

describe('the controller process', () => {
  it('resumes at the same step after SIGKILL, without repeating or skipping a step', async () => {
    await createApp(ns.name, 'kill', { replicas: 2, route: false });
    await createRollout(ns.name, 'kill', {
      workloadRef: { name: 'kill' },
      strategy: {
        canary: { steps: [{ setWeight: 25 }, { pause: { duration: '3s' } }, { setWeight: 50 }, { pause: {} }] },
      },
    });
    const first = await start({ namespace: ns.name, name: 'first' });
    await waitForRollout(ns.name, 'kill', 'Healthy', (r) => r.status?.phase === 'Healthy');
    const history = await watchRollout(ns.name, 'kill');
    await setImage(ns.name, 'kill', 'example.invalid/app:v2');
    await waitForRollout(ns.name, 'kill', 'in the 3s pause', (r) => r.status?.currentStepIndex === 1);
    await first.kill();

    await start({ namespace: ns.name, name: 'second' });
    const done = await waitForRollout(
      ns.name,
      'kill',
      'paused at the last step',
      (r) => r.status?.currentStepIndex === 3 && r.status.phase === 'Paused',
    );
    await history.stop();
    expect(done.status?.weights?.canary).toBeGreaterThan(0);
    // Every status the Rollout passed through across the kill: a second process that started the canary over
    // would have written step 0 (or 1) again on its way to step 3, which polling between the two may not see.
    const canary = history.versions.filter(
      (v) =>
        v.status !== undefined &&
        v.status.canaryRevision === done.status?.canaryRevision &&
        v.status.canaryRevision !== v.status.stableRevision,
    );
    const indices = stepIndices(canary);
    expect(stepsRanOnce(indices, 3), `step indices ${JSON.stringify(indices)}`).toBe(true);
    // Events are written right after the status they report: give the last one a moment to land.
    const completed = await waitFor(
      async () => {
        const got = (await eventMessages(ns.name, 'kill', 'StepCompleted')).sort();
        return got.some((m) => m.startsWith('step 3/4')) ? got : undefined;
      },
      { timeoutMs: 10_000, what: 'the StepCompleted Event of step 3' },
    );
    // Steps 2 and 3 were done by the second process, once each. Step 1's Event may be missing: the first
    // process was killed right after its status write, and an Event is written after the status it reports.
    expect(completed.filter((m) => !m.startsWith('step 1/4'))).toEqual([
      'step 2/4 (pause 3s) done',
      'step 3/4 (setWeight 50%) done',
    ]);
    expect(new Set(completed).size).toBe(completed.length); // no step repeated
  });

  it('with two replicas only the leader writes, and the other takes over when it dies', async () => {
    const electionArgs = (name: string) => [
      '--leader-elect=true',
      '--leader-election-namespace',
      ns.name,
      '--lease-duration',
      '4s',
      '--renew-deadline',
      '3s',
      '--retry-period',
      '500ms',
      '--pod-name',
      name,
    ];
    const a = await start({ namespace: ns.name, name: 'a', extraArgs: electionArgs('a') });
    const b = await start({ namespace: ns.name, name: 'b', extraArgs: electionArgs('b') });
    const leader = async (c: ControllerProcess) => c.metric('sluice_leader');
    const [la, lb] = [await leader(a), await leader(b)];
    expect(la + lb).toBe(1);
    const [lead, follow] = la === 1 ? [a, b] : [b, a];

    await createApp(ns.name, 'ha', { replicas: 1, route: false });
    await createRollout(ns.name, 'ha', {
      workloadRef: { name: 'ha' },
      strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } },
    });
    await waitForRollout(ns.name, 'ha', 'Healthy', (r) => r.status?.phase === 'Healthy');
    expect(await writes(follow)).toBe(0);
    expect(await writes(lead)).toBeGreaterThan(0);

    const killedAt = Date.now();
    await lead.kill();
    await setImage(ns.name, 'ha', 'example.invalid/app:v2');
    await waitForRollout(ns.name, 'ha', 'the follower to run the canary', (r) => r.status?.phase === 'Paused', 30_000);
    expect(await leader(follow)).toBe(1);
    expect(Date.now() - killedAt).toBeLessThan(20_000);
  });

  it('sends no write for a minute when 50 Healthy rollouts do not change', { timeout: 240_000 }, async () => {
    for (let i = 0; i < 50; i++) {
      await createApp(ns.name, `idle-${i}`, { replicas: 1, route: false });
      await createRollout(ns.name, `idle-${i}`, {
        workloadRef: { name: `idle-${i}` },
        strategy: { canary: { steps: [{ setWeight: 50 }] } },
      });
    }
    const c = await start({ namespace: ns.name, name: 'idle' });
    for (let i = 0; i < 50; i++)
      await waitForRollout(ns.name, `idle-${i}`, `idle-${i} Healthy`, (r) => r.status?.phase === 'Healthy');
    await new Promise((r) => setTimeout(r, 3_000)); // let the last takeovers and their echoes settle
    const before = await writes(c);
    expect(before).toBeGreaterThan(0); // the counter counts: bringing 50 rollouts up took writes
    await new Promise((r) => setTimeout(r, 60_000));
    expect(await writes(c)).toBe(before);
  });

  it('marks a canary whose pods never become ready Degraded at the progress deadline, and aborts when asked', async () => {
    await createApp(ns.name, 'stuck', { replicas: 1, route: false });
    await createRollout(ns.name, 'stuck', {
      workloadRef: { name: 'stuck' },
      progressDeadlineSeconds: 3,
      progressDeadlineAbort: true,
      strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } },
    });
    await start({ namespace: ns.name, name: 'deadline' });
    await waitForRollout(ns.name, 'stuck', 'Healthy', (r) => r.status?.phase === 'Healthy');
    // No node matches: the canary's pods stay Pending and never become ready.
    await patchTemplate(ns.name, 'stuck', { spec: { nodeSelector: { 'sluice.dev/test': 'no-such-node' } } });
    const r = await waitForRollout(ns.name, 'stuck', 'Degraded', (x) => x.status?.phase === 'Degraded', 30_000);
    expect(r.status?.message).toMatch(
      /^aborted: progress deadline exceeded: step 1\/2 \(setWeight 50%\) made no progress for 3s/,
    );
    expect(r.status?.abort).toBe(true);
  });

  it('follows the weight with pods under the replica-ratio router', async () => {
    await createApp(ns.name, 'ratio', { replicas: 4, route: false });
    await createRollout(ns.name, 'ratio', {
      workloadRef: { name: 'ratio' },
      strategy: { canary: { steps: [{ setWeight: 25 }, { pause: {} }, { setWeight: 75 }, { pause: {} }] } },
    });
    await start({ namespace: ns.name, name: 'ratio' });
    const healthy = await waitForRollout(ns.name, 'ratio', 'Healthy', (r) => r.status?.phase === 'Healthy');
    await setImage(ns.name, 'ratio', 'example.invalid/app:v2');
    const at25 = await waitForRollout(
      ns.name,
      'ratio',
      'paused at 25%',
      (r) => r.status?.phase === 'Paused' && r.status.currentStepIndex === 1,
    );
    const canary = () =>
      replicaSetsOf(ns.name, 'ratio').then((s) => s.find((x) => x.revision === at25.status?.canaryRevision)?.replicas);
    const stable = () =>
      replicaSetsOf(ns.name, 'ratio').then(
        (s) => s.find((x) => x.revision === healthy.status?.stableRevision)?.replicas,
      );
    expect(await canary()).toBe(1);
    expect(await stable()).toBe(4);
    expect(at25.status?.weights).toEqual({ canary: 20, stable: 80 });
    await requestAction(ns.name, 'ratio', 'promote'); // what kubectl annotate does
    await waitForRollout(
      ns.name,
      'ratio',
      'paused at 75%',
      (r) => r.status?.phase === 'Paused' && r.status.currentStepIndex === 3,
    );
    expect(await canary()).toBe(3);
    expect(await stable()).toBe(4);
  });
});
