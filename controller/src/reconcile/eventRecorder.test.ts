import type { CoreV1Event } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../api/types.ts';
import { EventRecorder } from './eventRecorder.ts';

const rollout = (name: string): Rollout =>
  ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: 'shop', uid: `uid-${name}` },
    spec: {},
  }) as unknown as Rollout;
const step = (reason: string) => ({ type: 'Normal' as const, reason, message: `${reason} happened` });

/** The API server's side: each create waits until the test lets it answer, so order and overlap can be seen. */
function apiServer(answer: (body: CoreV1Event, attempt: number) => 'ok' | number | 'network' = () => 'ok') {
  const written: string[] = [];
  const attempts = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const core = {
    async createNamespacedEvent({ body }: { namespace: string; body: CoreV1Event }) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      const n = (attempts.get(body.metadata.name!) ?? 0) + 1;
      attempts.set(body.metadata.name!, n);
      const outcome = answer(body, n);
      if (outcome === 'network') throw new TypeError('fetch failed');
      if (typeof outcome === 'number') throw Object.assign(new Error(`HTTP ${outcome}`), { code: outcome });
      written.push(`${body.involvedObject.name}:${body.reason}`);
      return body;
    },
  };
  return { core, written, attempts, maxInFlight: () => maxInFlight };
}

describe('EventRecorder', () => {
  it("writes each rollout's Events in the order they were recorded, several rollouts at once", async () => {
    const api = apiServer();
    const recorder = new EventRecorder({ core: api.core, reportingInstance: 'sluice-0', concurrency: 3 });
    for (const name of ['a', 'b', 'c', 'd'])
      for (const reason of ['CanaryStarted', 'StepCompleted', 'Promoted']) recorder.record(rollout(name), step(reason));
    expect(recorder.pending).toBe(12);
    await recorder.stop(5_000);
    expect(recorder.pending).toBe(0);
    for (const name of ['a', 'b', 'c', 'd']) {
      expect(api.written.filter((w) => w.startsWith(`${name}:`))).toEqual([
        `${name}:CanaryStarted`,
        `${name}:StepCompleted`,
        `${name}:Promoted`,
      ]);
    }
    expect(api.maxInFlight()).toBe(3);
  });

  it('builds a core/v1 Event about the Rollout, reported by this pod', async () => {
    const bodies: CoreV1Event[] = [];
    const recorder = new EventRecorder({
      core: {
        createNamespacedEvent: ({ body }) => {
          bodies.push(body);
          return Promise.resolve(body);
        },
      },
      reportingInstance: 'sluice-0',
    });
    recorder.record(rollout('checkout'), { type: 'Warning', reason: 'Aborted', message: 'x'.repeat(2_000) });
    await recorder.stop(1_000);
    expect(bodies[0]).toMatchObject({
      metadata: { namespace: 'shop' },
      involvedObject: {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'Rollout',
        name: 'checkout',
        namespace: 'shop',
        uid: 'uid-checkout',
      },
      type: 'Warning',
      reason: 'Aborted',
      reportingComponent: 'sluice.dev/controller',
      reportingInstance: 'sluice-0',
      count: 1,
    });
    expect(bodies[0]!.metadata.name).toMatch(/^checkout\.[0-9a-f]+$/);
    expect(bodies[0]!.message).toHaveLength(1024);
  });

  it('retries an Event the API server could not take, and drops one it refused', async () => {
    const dropped: string[] = [];
    const api = apiServer((body, attempt) => {
      if (body.reason === 'Flaky') return attempt < 3 ? (attempt === 1 ? 'network' : 503) : 'ok';
      if (body.reason === 'Refused') return 403;
      return 'ok';
    });
    const recorder = new EventRecorder({
      core: api.core,
      reportingInstance: 'p',
      retryDelaysMs: [1, 1, 1],
      onDropped: (e, why) => dropped.push(`${e.reason}: ${why}`),
    });
    recorder.record(rollout('a'), step('Flaky'));
    recorder.record(rollout('a'), step('Refused'));
    recorder.record(rollout('a'), step('After'));
    await recorder.stop(5_000);
    expect(api.written).toEqual(['a:Flaky', 'a:After']);
    expect(dropped).toEqual(['Refused: refused (403)']);
  });

  it('counts an Event as written when a retry finds that the attempt it retried had landed', async () => {
    const dropped: string[] = [];
    const api = apiServer((_body, attempt) => (attempt === 1 ? 'network' : 409));
    const recorder = new EventRecorder({
      core: api.core,
      reportingInstance: 'p',
      retryDelaysMs: [1],
      onDropped: (e) => dropped.push(e.reason!),
    });
    recorder.record(rollout('a'), step('Landed'));
    await recorder.stop(5_000);
    expect(dropped).toEqual([]);
    expect(recorder.pending).toBe(0);
  });

  it('goes on when the drop reporter throws', async () => {
    const api = apiServer((body) => (body.reason === 'Refused' ? 403 : 'ok'));
    const recorder = new EventRecorder({
      core: api.core,
      reportingInstance: 'p',
      onDropped: () => {
        throw new Error('logger broke');
      },
    });
    recorder.record(rollout('a'), step('Refused'));
    recorder.record(rollout('a'), step('Next'));
    await recorder.stop(5_000);
    expect(api.written).toEqual(['a:Next']);
    expect(recorder.pending).toBe(0);
  });

  it('gives up on an Event after its retries, and goes on with the next', async () => {
    const dropped: string[] = [];
    const api = apiServer((body) => (body.reason === 'Never' ? 'network' : 'ok'));
    const recorder = new EventRecorder({
      core: api.core,
      reportingInstance: 'p',
      retryDelaysMs: [1, 1],
      onDropped: (e, why) => dropped.push(`${e.reason}: ${why}`),
    });
    recorder.record(rollout('a'), step('Never'));
    recorder.record(rollout('a'), step('Next'));
    await recorder.stop(5_000);
    expect(dropped).toEqual(['Never: not written after 3 attempts']);
    expect(api.written).toEqual(['a:Next']);
  });

  it('keeps at most `capacity` Events waiting and drops the newest beyond that, and takes none once stopping', async () => {
    const dropped: string[] = [];
    const api = apiServer();
    const recorder = new EventRecorder({
      core: api.core,
      reportingInstance: 'p',
      capacity: 2,
      onDropped: (e, why) => dropped.push(`${e.reason}: ${why}`),
    });
    recorder.record(rollout('a'), step('One'));
    recorder.record(rollout('b'), step('Two'));
    recorder.record(rollout('c'), step('Three'));
    const stopping = recorder.stop(5_000);
    recorder.record(rollout('d'), step('Four'));
    await stopping;
    expect(api.written.sort()).toEqual(['a:One', 'b:Two']);
    expect(dropped).toEqual(['Three: 2 Events are already waiting', 'Four: the controller is stopping']);
  });

  it('stops waiting for the API server after the timeout', async () => {
    const recorder = new EventRecorder({
      core: { createNamespacedEvent: () => new Promise(() => undefined) },
      reportingInstance: 'p',
    });
    recorder.record(rollout('a'), step('Stuck'));
    const started = performance.now();
    await recorder.stop(50);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(recorder.pending).toBe(1);
  });
});
