/**
 * Review: a Job measurement sleeps for up to an hour while its Job runs; it must not hold the slots every other
 * provider's measurement needs.
 */
import { describe, expect, it } from 'vitest';
import { jobMetricProvider } from '../analysis/job.ts';
import type { Measurement } from '../api/types.ts';
import { BackgroundWork, type BackgroundTask } from './background.ts';
import { jobMeasurementPool, measurementTask, withJobPool } from './backgroundTasks.ts';
import { due, job, readsNothing, rolloutIn } from './backgroundTasks.test-support.ts';

const tick = () => new Promise((r) => setImmediate(r));

const rollout = rolloutIn;
const deps = {
  providers: { job: jobMetricProvider(readsNothing) },
  readSecrets: () => Promise.resolve(() => undefined),
  clock: () => new Date(),
};

describe('review: Job measurements and the background slots', () => {
  // review: controller.ts gives all measurements one pool (8 slots, 2 per namespace by default): four namespaces with
  // two long Jobs each held every slot for up to an hour, and every other tenant's Prometheus/web measurement
  // waited behind them (no data: a stalled canary, or its analysis timing out). Job measurements get a pool of their
  // own, bounded apart, so they can neither starve other providers nor grow without limit.
  it('a job measurement runs in a pool of its own, and a full Job pool does not delay another provider', async () => {
    const hanging = (t: BackgroundTask<Measurement>): BackgroundTask<Measurement> => ({
      ...t,
      run: () => new Promise<Measurement>(() => undefined),
    });
    const jobTask = (ns: string) => hanging(measurementTask(`${ns}/checkout`, rollout(ns), due({ job }), deps));
    expect((jobTask('a') as { pool?: string }).pool).toBe('job');

    const options = {
      concurrency: 2,
      perNamespace: 1,
      wake: () => undefined,
      pools: { job: { concurrency: 2, perNamespace: 1 } },
    };
    const bg = new BackgroundWork<Measurement>(options);
    for (const ns of ['a', 'b', 'c']) bg.submit(jobTask(ns));
    await tick();
    // The third namespace's Job waits for a Job slot ...
    expect(bg.state('c/checkout', `uid-c/measure/${due({ job }).id}`)).toEqual({ kind: 'waiting' });
    // ... and a query measurement of a fourth namespace starts at once.
    let started = false;
    bg.submit({
      key: 'd/checkout',
      id: 'prometheus',
      namespace: 'd',
      deadlineMs: 60_000,
      run: () => {
        started = true;
        return new Promise<Measurement>(() => undefined);
      },
      onFailure: () => ({ phase: 'Error' }) as Measurement,
    });
    await tick();
    expect(started).toBe(true);
    bg.close();
  });

  it("the controller's options give Job measurements a bounded pool of their own, fair between namespaces", () => {
    const options = withJobPool({ concurrency: 8, perNamespace: 2, wake: () => undefined });
    expect(options).toMatchObject({ concurrency: 8, perNamespace: 2 });
    expect(options.pools?.[jobMeasurementPool]).toEqual({ concurrency: 32, perNamespace: 2 });
  });
});
