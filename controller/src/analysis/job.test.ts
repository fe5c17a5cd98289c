/**
 * The job provider's logic against an in-memory JobApi that plays the Job controller (each read may move the Job
 * on). The real API server and Job controller run in test/integration/providerConformanceJob.test.ts.
 */
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { jobMetricProvider, type JobApi } from './job.ts';
import { jobMetadata, jobName } from './jobIdentity.ts';
import { failedPod, jobOutcome } from './jobStatus.ts';
import { owner, request } from './job.test-support.ts';

const name = jobName(owner);

const condition = (type: string, reason = type, message?: string) => ({
  type,
  status: 'True',
  reason,
  ...(message === undefined ? {} : { message }),
});

/** A cluster of one namespace: jobs by name; `progress` moves a Job on at each read. */
function cluster(progress: (job: V1Job, reads: number) => void = () => undefined) {
  const jobs = new Map<string, V1Job>();
  const calls: string[] = [];
  let reads = 0;
  let uids = 0;
  const pods: V1Pod[] = [];
  const api: JobApi = {
    create: (job) => {
      calls.push('create');
      if (jobs.has(job.metadata!.name!)) return Promise.reject(Object.assign(new Error('exists'), { code: 409 }));
      const made = { ...job, metadata: { ...job.metadata, uid: `job-uid-${++uids}` }, status: {} };
      jobs.set(job.metadata!.name!, made);
      return Promise.resolve(made);
    },
    read: (_ns, n) => {
      calls.push('read');
      const job = jobs.get(n);
      if (job !== undefined) progress(job, ++reads);
      return Promise.resolve(job === undefined ? undefined : structuredClone(job));
    },
    delete: (_ns, n, uid) => {
      calls.push(`delete ${uid}`);
      if (jobs.get(n)?.metadata?.uid === uid) jobs.delete(n);
      return Promise.resolve();
    },
    pods: () => {
      calls.push('pods');
      return Promise.resolve(pods);
    },
    log: (_ns, pod, container, limits) => {
      calls.push(`log ${pod}/${container} ${limits.tailLines}`);
      return Promise.resolve(
        'connecting to checkout-canary\nGET /healthz -> 500\npassword=hunter2\n\u001b[31mFAIL\u001b[0m\n',
      );
    },
  };
  return { api, jobs, calls, pods };
}

const spec = { spec: { template: { spec: { containers: [{ name: 'smoke', image: 'curl' }] } } } };
const fast = { pollMs: { first: 1, max: 4 } };

describe('the job provider', () => {
  it('runs the Job until it completes, answers Successful, and deletes it', async () => {
    const c = cluster((job, reads) => {
      if (reads >= 3) job.status = { conditions: [condition('SuccessCriteriaMet'), condition('Complete')] };
    });
    const answer = await jobMetricProvider(c.api, fast).measure(spec, request());
    expect(answer).toMatchObject({ kind: 'verdict', phase: 'Successful', message: `Job shop/${name} completed` });
    expect(c.calls.filter((x) => x === 'create')).toHaveLength(1);
    expect(c.calls.at(-1)).toBe('delete job-uid-1');
    expect(c.jobs.size).toBe(0);
  });

  it("answers Failed with the failed pod's exit code and its log's tail, cleaned", async () => {
    const c = cluster((job) => {
      job.status = {
        conditions: [condition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit')],
      };
    });
    c.pods.push({
      metadata: { name: `${name}-abcde`, creationTimestamp: new Date() },
      spec: { containers: [{ name: 'smoke' }] },
      status: {
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'smoke',
            image: 'curl',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 7 } },
          },
        ],
      },
    });
    const answer = await jobMetricProvider(c.api, fast).measure(spec, request());
    expect(answer).toMatchObject({ kind: 'verdict', phase: 'Failed', value: 'BackoffLimitExceeded' });
    const message = (answer as { message: string }).message;
    expect(message).toContain(
      `Job shop/${name} failed (BackoffLimitExceeded: Job has reached the specified backoff limit)`,
    );
    expect(message).toContain(
      `pod ${name}-abcde container smoke exited with code 7; log tail:\nconnecting to checkout-canary`,
    );
    expect(message).toContain('GET /healthz -> 500');
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('\u001b');
    expect(message.length).toBeLessThanOrEqual(1024);
    expect(c.calls).toContain(`log ${name}-abcde/smoke 20`);
    expect(c.jobs.size).toBe(0);
  });

  it('adopts the Job a previous attempt of the same measurement left (a controller restart) instead of making a second', async () => {
    const c = cluster((job, reads) => {
      if (reads >= 2) job.status = { conditions: [condition('Complete')] };
    });
    c.jobs.set(name, { metadata: { ...jobMetadata(owner, undefined), uid: 'left-running' }, status: {} });
    const answer = await jobMetricProvider(c.api, fast).measure(spec, request());
    expect(answer).toMatchObject({ kind: 'verdict', phase: 'Successful' });
    expect(c.calls).not.toContain('create');
    expect(c.calls.at(-1)).toBe('delete left-running');
  });

  it("never adopts, waits for or deletes someone else's Job of that name", async () => {
    const c = cluster();
    c.jobs.set(name, { metadata: { name, namespace: 'shop', uid: 'theirs', labels: { app: 'batch' } }, status: {} });
    const answer = await jobMetricProvider(c.api, fast).measure(spec, request());
    expect(answer).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/exists and is not this measurement's/) as unknown,
    });
    expect(c.calls).toEqual(['read']);
    expect(c.jobs.get(name)?.metadata?.uid).toBe('theirs');
  });

  it("checks a Job that appeared between its read and its create the same way (409): someone else's is an Error", async () => {
    const c = cluster();
    const create = c.api.create;
    c.api.create = (job) => {
      c.jobs.set(name, { metadata: { name, namespace: 'shop', uid: 'theirs' } });
      return create(job);
    };
    expect(await jobMetricProvider(c.api, fast).measure(spec, request())).toMatchObject({ kind: 'error' });
    expect(c.calls.filter((x) => x.startsWith('delete'))).toEqual([]);
  });

  it('stops waiting when the engine aborts (its timeout) and deletes the Job', async () => {
    const c = cluster();
    const abort = new AbortController();
    const measuring = jobMetricProvider(c.api, { pollMs: { first: 5, max: 5 } }).measure(spec, request(abort.signal));
    await new Promise((resolve) => setTimeout(resolve, 30));
    abort.abort();
    expect(await measuring).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/stopped waiting/) as unknown,
    });
    expect(c.jobs.size).toBe(0);
  });

  it('is an Error, creating nothing, for a template it refuses', async () => {
    const c = cluster();
    const bad = { spec: { template: { spec: { hostNetwork: true, containers: [] } } } };
    expect(await jobMetricProvider(c.api, fast).measure(bad, request())).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/hostNetwork/) as unknown,
    });
    expect(c.calls).toEqual([]);
  });

  it('is an Error when the Job cannot be created, and when reads keep failing (then it still deletes the Job)', async () => {
    const refused = cluster();
    refused.api.create = () => Promise.reject(Object.assign(new Error('jobs.batch is forbidden'), { code: 403 }));
    expect(await jobMetricProvider(refused.api, fast).measure(spec, request())).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/creating Job shop\/.* failed \(403: jobs.batch is forbidden\)/) as unknown,
    });
    const flaky = cluster();
    const read = flaky.api.read;
    let n = 0;
    flaky.api.read = (ns, job) =>
      ++n === 1 ? read(ns, job) : Promise.reject(Object.assign(new Error('jobs.batch is forbidden'), { code: 403 }));
    expect(await jobMetricProvider(flaky.api, fast).measure(spec, request())).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/failed 3 times in a row \(403: jobs.batch is forbidden\)/) as unknown,
    });
    expect(flaky.jobs.size).toBe(0);
    // An API server that does not answer is waited out until the measurement's timeout (the signal), then the Job goes.
    const down = cluster();
    const readDown = down.api.read;
    let m = 0;
    down.api.read = (ns, job) => (++m === 1 ? readDown(ns, job) : Promise.reject(new Error('connection reset')));
    const timeout = new AbortController();
    setTimeout(() => timeout.abort(), 50);
    expect(await jobMetricProvider(down.api, fast).measure(spec, request(timeout.signal))).toMatchObject({
      kind: 'error',
      message: 'stopped waiting for the Job at the measurement timeout',
    });
    expect(m).toBeGreaterThan(4);
    expect(down.jobs.size).toBe(0);
  });
});

describe("reading a Job's conditions", () => {
  const job = (...types: string[]): V1Job => ({ status: { conditions: types.map((t) => condition(t)) } });
  it('takes FailureTarget and SuccessCriteriaMet as the outcome before the pods have terminated', () => {
    expect(jobOutcome(job('FailureTarget')).phase).toBe('Failed');
    expect(jobOutcome(job('SuccessCriteriaMet')).phase).toBe('Successful');
    expect(jobOutcome(job('Failed')).phase).toBe('Failed');
    expect(jobOutcome(job('Complete')).phase).toBe('Successful');
  });
  it('is still running with no terminal condition, or with one that is not True', () => {
    expect(jobOutcome(job()).phase).toBe('Running');
    expect(jobOutcome({ status: { conditions: [{ type: 'Complete', status: 'False' }] } }).phase).toBe('Running');
    expect(jobOutcome({}).phase).toBe('Running');
  });
  it('reads failing first, should both ever show', () => {
    expect(jobOutcome(job('Complete', 'Failed')).phase).toBe('Failed');
  });
  it('picks the latest failed pod and its container that exited non-zero', () => {
    const pod = (name: string, at: number, phase: string): V1Pod => ({
      metadata: { name, creationTimestamp: new Date(at) },
      spec: { containers: [{ name: 'a' }, { name: 'b' }] },
      status: {
        phase,
        containerStatuses: [
          { name: 'a', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } },
          { name: 'b', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 2 } } },
        ],
      },
    });
    expect(failedPod([pod('old', 1, 'Failed'), pod('new', 2, 'Failed'), pod('newest', 3, 'Running')])).toEqual({
      name: 'new',
      container: 'b',
    });
    expect(failedPod([pod('p', 1, 'Running')])).toBeUndefined();
  });
});

describe('a Job that reaches its deadline', () => {
  const deadline = (job: V1Job) => {
    job.status = {
      conditions: [condition('Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline')],
    };
  };
  it('is an Error when the deadline is the timeout Sluice set (a late answer)', async () => {
    const c = cluster(deadline);
    expect(await jobMetricProvider(c.api, fast).measure({ ...spec, timeout: '30s' }, request())).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/did not finish within 30s/) as unknown,
    });
    expect(c.jobs.size).toBe(0);
  });
  it("is Failed when the template's own shorter deadline ran out (the check's own budget)", async () => {
    const c = cluster(deadline);
    const own = { ...spec, timeout: '30s', spec: { ...spec.spec, activeDeadlineSeconds: 5 } };
    expect(await jobMetricProvider(c.api, fast).measure(own, request())).toMatchObject({
      kind: 'verdict',
      phase: 'Failed',
    });
  });
});
