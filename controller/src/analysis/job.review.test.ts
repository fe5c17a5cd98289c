/**
 * Review of the job provider against a flaky network: the in-memory JobApi of job.test.ts, reduced.
 */
import type { V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { jobMetricProvider, type JobApi } from './job.ts';
import { jobName } from './jobIdentity.ts';
import { owner, request } from './job.test-support.ts';

const name = jobName(owner);
const complete = { conditions: [{ type: 'Complete', status: 'True', reason: 'Complete' }] };

const spec = { spec: { template: { spec: { containers: [{ name: 'smoke', image: 'curl' }] } } } };
const fast = { pollMs: { first: 1, max: 4 } };

describe('review: the job provider on a flaky network', () => {
  // review: a create whose answer is lost (a 503 / a reset after the API server stored the Job) made the measurement
  // an Error and left the Job running, never deleted by Sluice (only the ttl after it finishes): an orphan pod per
  // blip, and the measurement wasted. The Job is this measurement's (name, label, annotation, owner): it must be
  // adopted, waited for and deleted like one that was created with an answer.
  it('adopts the Job a create stored before its answer was lost, and deletes it at the end', async () => {
    const jobs = new Map<string, V1Job>();
    const calls: string[] = [];
    const api: JobApi = {
      create: (job) => {
        calls.push('create');
        jobs.set(job.metadata!.name!, { ...job, metadata: { ...job.metadata, uid: 'job-uid-1' }, status: complete });
        return Promise.reject(Object.assign(new Error('stream closed: connection reset'), { code: 503 }));
      },
      read: (_ns, n) => {
        calls.push('read');
        return Promise.resolve(structuredClone(jobs.get(n)));
      },
      delete: (_ns, n, uid) => {
        calls.push(`delete ${uid}`);
        if (jobs.get(n)?.metadata?.uid === uid) jobs.delete(n);
        return Promise.resolve();
      },
      pods: () => Promise.resolve([]),
      log: () => Promise.resolve(''),
    };
    const answer = await jobMetricProvider(api, fast).measure(spec, request());
    expect(answer).toMatchObject({ kind: 'verdict', phase: 'Successful', message: `Job shop/${name} completed` });
    expect(calls.filter((c) => c === 'create')).toHaveLength(1);
    expect(jobs.size).toBe(0);
  });

  // review: a create that failed before the API server stored anything (a 429 storm, say) must stay an Error with no
  // Job left, and the read-back must not turn a real refusal into anything else.
  it('a create refused outright is an Error naming the refusal, and leaves no Job', async () => {
    const api: JobApi = {
      create: () => Promise.reject(Object.assign(new Error('forbidden: exceeded quota: pods=10'), { code: 403 })),
      read: () => Promise.resolve(undefined),
      delete: () => Promise.reject(new Error('nothing to delete')),
      pods: () => Promise.resolve([]),
      log: () => Promise.resolve(''),
    };
    const answer = await jobMetricProvider(api, fast).measure(spec, request());
    expect(answer).toMatchObject({ kind: 'error' });
    expect((answer as { message: string }).message).toContain('exceeded quota');
  });

  // review: the controller's own ServiceAccount must reach the template check from the provider's options (the
  // controller knows who it runs as; the template check alone cannot).
  it("refuses a Job that would run as the controller's own ServiceAccount, and creates nothing", async () => {
    const calls: string[] = [];
    const api: JobApi = {
      create: () => {
        calls.push('create');
        return Promise.reject(new Error('must not be created'));
      },
      read: () => Promise.resolve(undefined),
      delete: () => Promise.resolve(),
      pods: () => Promise.resolve([]),
      log: () => Promise.resolve(''),
    };
    const options = { ...fast, controllerServiceAccount: { namespace: 'shop', name: 'sluice' } };
    const asSluice = {
      spec: { template: { spec: { serviceAccountName: 'sluice', containers: [{ name: 'smoke', image: 'curl' }] } } },
    };
    const answer = await jobMetricProvider(api, options).measure(asSluice, request());
    expect(answer).toMatchObject({ kind: 'error', message: expect.stringMatching(/serviceAccountName/) as unknown });
    expect(calls).toEqual([]);
  });

  // review: three failed reads in a row ended the measurement as an Error, and deleted the Job: once the polls are
  // 10 s apart that is a 30-second API blip (a control-plane upgrade, a 429 storm), and every running Job measurement
  // of every Rollout turned into an Error, its check thrown away. A busy or restarting API server is waited out until
  // the measurement's timeout; a refusal (403) still ends it.
  it('waits out an API server that answers 429/5xx or not at all while the Job runs', async () => {
    let reads = 0;
    const jobs = new Map<string, V1Job>();
    const api: JobApi = {
      create: (job) => {
        const made = { ...job, metadata: { ...job.metadata, uid: 'job-uid-1' }, status: {} };
        jobs.set(job.metadata!.name!, made);
        return Promise.resolve(made);
      },
      read: (_ns, n) => {
        reads += 1;
        if (reads === 1) return Promise.resolve(undefined); // ensureJob: not there yet
        if (reads <= 4) return Promise.reject(Object.assign(new Error('Too Many Requests'), { code: 429 }));
        if (reads <= 7) return Promise.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
        if (reads <= 9) return Promise.reject(Object.assign(new Error('etcdserver: leader changed'), { code: 503 }));
        return Promise.resolve({ ...jobs.get(n)!, status: complete });
      },
      delete: (_ns, n) => {
        jobs.delete(n);
        return Promise.resolve();
      },
      pods: () => Promise.resolve([]),
      log: () => Promise.resolve(''),
    };
    const answer = await jobMetricProvider(api, fast).measure(spec, request());
    expect(answer).toMatchObject({ kind: 'verdict', phase: 'Successful' });
    expect(jobs.size).toBe(0);

    let forbidden = 0;
    const refused: JobApi = {
      ...api,
      read: (_ns, n) => {
        forbidden += 1;
        if (forbidden === 1) return Promise.resolve(undefined);
        void n;
        return Promise.reject(Object.assign(new Error('jobs.batch is forbidden'), { code: 403 }));
      },
    };
    const denied = await jobMetricProvider(refused, fast).measure(spec, request());
    expect(denied).toMatchObject({ kind: 'error', message: expect.stringMatching(/403/) as unknown });
  });
});
