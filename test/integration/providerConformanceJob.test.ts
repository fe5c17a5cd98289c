/**
 * The provider conformance suite (analysis/conformance.test-support.ts) for the job provider, against the local
 * control plane: real Jobs, run by kube-controller-manager's Job controller, whose pods kwok ends with the exit code
 * their `sluice.dev/test-exit` label asks for (test/cluster/kwokJobs.ts) and whose logs kwok serves. A pod that must
 * not finish (the slow scenario) selects a node that does not exist and stays Pending. The error scenario is a Job
 * the API server refuses (a container without an image).
 * Beyond the suite: every Job is gone after its measurement, the failure's message carries the log's tail, cleaned,
 * and a replica that is not the leader creates nothing (the fence is the controller's own, in its HTTP layer).
 */
import { BatchV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { providerConformance, type Scenario } from '../../controller/src/analysis/conformance.test-support.ts';
import { jobMetricProvider } from '../../controller/src/analysis/job.ts';
import { takeMeasurement } from '../../controller/src/analysis/measure.ts';
import type { Metric } from '../../controller/src/api/types.ts';
import { instrumentKubeConfig } from '../../controller/src/kube/apiMetrics.ts';
import { kubeJobApi } from '../../controller/src/kube/jobClient.ts';
import { leaderFence } from '../../controller/src/kube/writeFence.ts';
import { testDelayAnnotation, testExitLabel } from '../cluster/kwokJobs.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('job-conformance');
const poll = { pollMs: { first: 200, max: 1_000 } };

function jobSpec(exit: '0' | '1', pod: Record<string, unknown> = {}): Metric['provider'] {
  return {
    job: {
      timeout: '60s',
      spec: {
        template: {
          metadata: { labels: { [testExitLabel]: exit }, annotations: { [testDelayAnnotation]: '1s' } },
          spec: { containers: [{ name: 'smoke', image: 'registry.example/smoke:1' }], ...pod },
        },
      },
    },
  };
}

const notApplicable = (why: string) => Promise.resolve({ notApplicable: why });

function scenario(s: Scenario): Promise<Metric['provider'] | { notApplicable: string }> {
  switch (s) {
    case 'pass':
      return Promise.resolve(jobSpec('0'));
    case 'fail':
      return Promise.resolve(jobSpec('1'));
    case 'error':
      // The API server refuses it (spec.template.spec.containers[0].image: Required value): the Job cannot be created.
      return Promise.resolve({ job: { spec: { template: { spec: { containers: [{ name: 'smoke' }] } } } } });
    case 'slow':
      // Never scheduled, so never finished: the engine stops waiting at the 2 s timeout.
      return Promise.resolve({
        job: {
          ...jobSpec('0').job!,
          timeout: '2s',
          spec: {
            template: {
              spec: {
                containers: [{ name: 'smoke', image: 'i' }],
                nodeSelector: { 'sluice.dev/no-such-node': 'true' },
              },
            },
          },
        },
      });
    case 'empty':
      return notApplicable('a Job succeeds or fails: it has no answer that could be empty');
    case 'nan':
    case 'inf':
      return notApplicable('a Job gives a verdict, not a number that could be NaN or infinite');
    case 'notANumber':
      return notApplicable('a Job gives a verdict, not a value for the conditions to compare');
  }
}

providerConformance('job', {
  providers: () => ({ job: jobMetricProvider(kubeJobApi(adminKubeConfig(), adminKubeConfig()), poll) }),
  provider: scenario,
  get namespace() {
    return ns.name;
  },
  testTimeoutMs: 45_000,
});

const jobsLeft = async () =>
  (await adminKubeConfig().makeApiClient(BatchV1Api).listNamespacedJob({ namespace: ns.name })).items;

async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('not within time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function measure(provider: Metric['provider'], kc = adminKubeConfig(), id = `story/${Date.now()}`) {
  const metric: Metric = { name: 'smoke', successCondition: 'true', provider };
  return takeMeasurement(
    {
      metric,
      args: { values: new Map(), secrets: [] },
      namespace: ns.name,
      field: `AnalysisTemplate ${ns.name}/smoke metrics[smoke]`,
      startedAt: new Date(),
      rollout: { name: 'checkout', uid: undefined },
      measurementId: `step-1/rev/${id}/smoke/0`,
    },
    {
      providers: { job: jobMetricProvider(kubeJobApi(kc, kc), poll) },
      readSecret: () => undefined,
      clock: () => new Date(),
    },
  );
}

describe('job measurements on the real Job controller', () => {
  it("a failed Job's measurement carries its pod's log tail, cleaned, and the Job is deleted with its pods", async () => {
    const m = await measure(jobSpec('1'));
    expect(m.phase).toBe('Failed');
    expect(m.message).toMatch(/failed \(BackoffLimitExceeded: Job has reached the specified backoff limit\)/);
    expect(m.message).toMatch(
      /container smoke exited with code 1; log tail:\nsmoke test: GET http:\/\/checkout-canary\/healthz/,
    );
    expect(m.message).toContain('FAIL: expected 200, got 500');
    expect(m.message).not.toContain('not-a-real-token');
    expect(m.message).not.toContain('\u001b');
    await eventually(async () => (await jobsLeft()).length === 0);
  });

  it('a Job still running at the timeout is deleted', async () => {
    const slow = (await scenario('slow')) as Metric['provider'];
    expect((await measure(slow)).phase).toBe('Error');
    await eventually(async () => (await jobsLeft()).length === 0);
  });

  it('a replica that is not the leader creates no Job: the write is refused before it leaves', async () => {
    const follower = instrumentKubeConfig(adminKubeConfig(), () => undefined, {
      fence: leaderFence({ isLeader: () => false, leadershipLost: () => AbortSignal.abort() }),
    });
    const m = await measure(jobSpec('0'), follower);
    expect(m).toMatchObject({ phase: 'Error', message: expect.stringMatching(/not the leader/) as unknown });
    expect(await jobsLeft()).toEqual([]);
  });
});
