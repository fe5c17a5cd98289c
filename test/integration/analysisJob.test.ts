/**
 * Stories of a canary gated by a smoke-test Job: the real controller creates real Jobs that
 * kube-controller-manager's Job controller runs, and kwok ends their pods with the exit code their
 * `sluice.dev/test-exit` label asks for (test/cluster/kwokJobs.ts); kwok serves the pods' logs.
 */
import { BatchV1Api } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { jobLabels } from '../../controller/src/analysis/jobIdentity.ts';
import type { Rollout } from '../../controller/src/api/types.ts';
import { testDelayAnnotation, testExitLabel } from '../cluster/kwokJobs.ts';
import { waitFor } from '../support/wait.ts';
import { useControllerPerTest } from './controllerProcess.ts';
import {
  createAnalysisTemplate,
  createApp,
  createRollout,
  routeCanaryWeight,
  routedSpec,
  setImage,
  waitForRollout,
} from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('job-story');
const controller = useControllerPerTest();
beforeAll(async () => installSluiceCrds(adminKubeConfig()));

/** An AnalysisTemplate whose one metric runs a smoke-test Job that exits with `exit` after `delay`. */
async function smokeTemplate(name: string, exit: '0' | '1', delay = '1s'): Promise<void> {
  await createAnalysisTemplate(ns.name, name, [
    {
      name: 'smoke',
      provider: {
        job: {
          timeout: '2m',
          metadata: { labels: { team: 'shop' } },
          spec: {
            template: {
              metadata: { labels: { [testExitLabel]: exit }, annotations: { [testDelayAnnotation]: delay } },
              spec: {
                containers: [{ name: 'smoke', image: 'registry.example/smoke:1', args: ['http://app-canary/healthz'] }],
              },
            },
          },
        },
      },
    },
  ]);
}

/** A Rollout of a new Deployment whose canary goes 20% -> smoke test -> 50%. */
async function rolloutWithSmokeTest(app: string, template: string): Promise<void> {
  await createApp(ns.name, app, { replicas: 2, route: true });
  await createRollout(ns.name, app, {
    ...routedSpec(app),
    strategy: {
      canary: {
        steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: template }] } }, { setWeight: 50 }],
      },
    },
  });
  await waitForRollout(ns.name, app, 'Healthy', (r) => r.status?.phase === 'Healthy');
}

const jobsOf = async (rollout: string) =>
  (
    await adminKubeConfig()
      .makeApiClient(BatchV1Api)
      .listNamespacedJob({ namespace: ns.name, labelSelector: `${jobLabels.rollout}=${rollout}` })
  ).items;

const promoted = (before: string | undefined) => (r: Rollout) =>
  r.status?.phase === 'Healthy' && r.status.stableRevision !== undefined && r.status.stableRevision !== before;

describe('given a Rollout whose analysis step runs a smoke-test Job', () => {
  it('when the Job succeeds, the canary is promoted and the Job is gone afterwards', async () => {
    await controller({ namespace: ns.name });
    await smokeTemplate('smoke-pass', '0');
    await rolloutWithSmokeTest('good', 'smoke-pass');
    const before = (await waitForRollout(ns.name, 'good', 'Healthy', () => true)).status?.stableRevision;
    await setImage(ns.name, 'good', 'example.invalid/app:v2');
    const done = await waitForRollout(ns.name, 'good', 'promoted', promoted(before), 90_000);
    expect(done.status?.weights?.canary ?? 0).toBe(0);
    await waitFor(async () => (await jobsOf('good')).length === 0, { timeoutMs: 15_000, what: 'the Job deleted' });
  });

  it("when the Job fails, the rollout aborts, traffic returns to stable and the status carries the pod's log tail", async () => {
    await controller({ namespace: ns.name });
    await smokeTemplate('smoke-fail', '1');
    await rolloutWithSmokeTest('bad', 'smoke-fail');
    await setImage(ns.name, 'bad', 'example.invalid/app:v2');
    const aborted = await waitForRollout(ns.name, 'bad', 'aborted', (r) => r.status?.abort === true, 90_000);
    // status records the decision before its traffic move (execute.ts): wait the one write that follows
    await expect.poll(() => routeCanaryWeight(ns.name, 'bad'), { timeout: 10_000 }).toBe(0);
    const measurement = aborted.status?.analysis?.runs[0]?.metrics[0]?.measurements?.at(-1);
    expect(measurement?.phase).toBe('Failed');
    expect(measurement?.message).toMatch(/exited with code 1; log tail:\nsmoke test: GET/);
    expect(measurement?.message).toContain('FAIL: expected 200, got 500');
    expect(measurement?.message).not.toContain('not-a-real-token');
    expect(aborted.status?.message).toMatch(/smoke/);
    await waitFor(async () => (await jobsOf('bad')).length === 0, { timeoutMs: 15_000, what: 'the Job deleted' });
  });

  it('a controller killed while the Job runs adopts it on restart instead of creating a second one', async () => {
    const first = await controller({ namespace: ns.name, name: 'sluice-1' });
    await smokeTemplate('smoke-slow', '0', '12s');
    await rolloutWithSmokeTest('slow', 'smoke-slow');
    const before = (await waitForRollout(ns.name, 'slow', 'Healthy', () => true)).status?.stableRevision;
    await setImage(ns.name, 'slow', 'example.invalid/app:v2');
    const job = await waitFor(async () => (await jobsOf('slow'))[0], { timeoutMs: 60_000, what: 'the smoke Job' });
    await first.kill();
    const uids = new Set([job.metadata?.uid]);
    await controller({ namespace: ns.name, name: 'sluice-2' });
    await waitFor(
      async () => {
        for (const j of await jobsOf('slow')) uids.add(j.metadata?.uid);
        return promoted(before)(await waitForRollout(ns.name, 'slow', 'status', () => true));
      },
      { timeoutMs: 90_000, intervalMs: 250, what: 'promoted after the restart' },
    );
    expect([...uids]).toEqual([job.metadata?.uid]);
    await waitFor(async () => (await jobsOf('slow')).length === 0, { timeoutMs: 15_000, what: 'the Job deleted' });
  });
});
