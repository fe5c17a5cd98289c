import { describe, expect, it } from 'vitest';
import type { Rollout } from '../api/types.ts';
import { evictPod } from './evictions.ts';
import type { Clients } from './execute.ts';

const rollout = { metadata: { name: 'checkout', namespace: 'shop' } } as Rollout;

function cluster(answer: { code: number; body?: string } | undefined) {
  const asked: unknown[] = [];
  const clients = {
    core: {
      createNamespacedPodEviction: (request: unknown) => {
        asked.push(request);
        return answer === undefined ? Promise.resolve({}) : Promise.reject(Object.assign(new Error('no'), answer));
      },
    },
  } as unknown as Clients;
  return { clients, asked };
}

describe('evictPod', () => {
  it('asks the Eviction API, with the uid as precondition, behind the fence', async () => {
    const { clients, asked } = cluster(undefined);
    const fenced: string[] = [];
    await evictPod({ rollout, clients, fence: () => fenced.push('checked') }, { name: 'checkout-a-1', uid: 'u1' });
    expect(fenced).toEqual(['checked']);
    expect(asked).toEqual([
      {
        namespace: 'shop',
        name: 'checkout-a-1',
        body: {
          metadata: { name: 'checkout-a-1', namespace: 'shop' },
          deleteOptions: { preconditions: { uid: 'u1' } },
        },
      },
    ]);
  });

  it('takes 429 (a PodDisruptionBudget says not now), 404 and 409 as nothing to report', async () => {
    for (const code of [429, 404, 409]) {
      const { clients } = cluster({ code });
      await expect(evictPod({ rollout, clients, fence: () => {} }, { name: 'p', uid: 'u' })).resolves.toBeUndefined();
    }
  });

  it('reports anything else (a pod under two budgets gets 500), and sends nothing when not the leader', async () => {
    const { clients, asked } = cluster({ code: 500 });
    await expect(evictPod({ rollout, clients, fence: () => {} }, { name: 'p', uid: 'u' })).rejects.toThrow('no');
    const notLeader = new Error('not the leader');
    await expect(
      evictPod(
        {
          rollout,
          clients,
          fence: () => {
            throw notLeader;
          },
        },
        { name: 'p', uid: 'u' },
      ),
    ).rejects.toBe(notLeader);
    expect(asked).toHaveLength(1);
  });

  it('tells each answer as the API server said it: a refusing budget by name, a failure by its status', async () => {
    const heard: unknown[] = [];
    const answered = (a: unknown) => heard.push(a);
    const refused = JSON.stringify({
      kind: 'Status',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: {
        causes: [
          {
            reason: 'DisruptionBudget',
            message: 'The disruption budget checkout needs 4 healthy pods and has 4 currently',
          },
        ],
      },
    });
    await evictPod(
      { rollout, clients: cluster({ code: 429, body: refused }).clients, fence: () => {} },
      { name: 'p', uid: 'u' },
      answered,
    );
    await evictPod(
      { rollout, clients: cluster(undefined).clients, fence: () => {} },
      { name: 'q', uid: 'v' },
      answered,
    );
    await expect(
      evictPod(
        { rollout, clients: cluster({ code: 403 }).clients, fence: () => {} },
        { name: 'r', uid: 'w' },
        answered,
      ),
    ).rejects.toThrow('no');
    expect(heard).toEqual([
      {
        pod: 'p',
        uid: 'u',
        code: 429,
        message:
          "Cannot evict pod as it would violate the pod's disruption budget. The disruption budget checkout needs 4 healthy pods and has 4 currently",
      },
      { pod: 'q', uid: 'v', code: 201, message: 'evicted' },
      { pod: 'r', uid: 'w', code: 403, message: 'no' },
    ]);
  });
});
