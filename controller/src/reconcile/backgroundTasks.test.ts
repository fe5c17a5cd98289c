import { describe, expect, it } from 'vitest';
import { jobMetricProvider, type JobApi } from '../analysis/job.ts';
import type { Measurement } from '../api/types.ts';
import { measurementTask } from './backgroundTasks.ts';
import { due, job, readsNothing, rolloutIn } from './backgroundTasks.test-support.ts';

const rollout = rolloutIn('shop');

describe('a measurement as background work', () => {
  it("is given its provider's own timeout, a long Job's included, plus slack", () => {
    const deps = {
      providers: { job: jobMetricProvider(readsNothing) },
      readSecrets: () => Promise.resolve(() => undefined),
      clock: () => new Date(),
    };
    expect(measurementTask('shop/checkout', rollout, due({ job: { ...job, timeout: '45m' } }), deps).deadlineMs).toBe(
      45 * 60_000 + 10_000,
    );
    expect(measurementTask('shop/checkout', rollout, due({ job }), deps).deadlineMs).toBe(10 * 60_000 + 10_000);
  });

  it("does not read the Secrets a Job's pods read themselves (Sluice needs no right to them)", async () => {
    const asked: string[] = [];
    const withEnv = {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'smoke',
                image: 'curl',
                env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'db', key: 'pw' } } }],
              },
            ],
          },
        },
      },
    };
    const api: JobApi = {
      create: () => Promise.reject(Object.assign(new Error('forbidden'), { code: 403 })),
      read: () => Promise.resolve(undefined),
      delete: () => Promise.resolve(),
      pods: () => Promise.resolve([]),
      log: () => Promise.resolve(''),
    };
    const task = measurementTask('shop/checkout', rollout, due({ job: withEnv }), {
      providers: { job: jobMetricProvider(api) },
      readSecrets: (_ns, refs) => {
        asked.push(...refs.map((r) => r.name));
        return Promise.resolve(() => undefined);
      },
      clock: () => new Date(),
    });
    const m: Measurement = await task.run(new AbortController().signal);
    expect(asked).toEqual([]);
    expect(m).toMatchObject({
      phase: 'Error',
      message: expect.stringMatching(/creating Job shop\/sluice-checkout-/) as unknown,
    });
  });
});
