import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../api/types.ts';
import type { ExecuteContext } from './execute.ts';
import { applyPodDisruptionBudget } from './pdb.ts';

const rollout = {
  metadata: { name: 'shop', namespace: 'team-a', uid: 'uid-shop' },
  spec: { workloadRef: { name: 'shop' }, strategy: { canary: { steps: [{ setWeight: 50 }] } } },
} as unknown as Rollout;

function cluster(cached: V1PodDisruptionBudget | undefined, createFails?: number) {
  const calls: { verb: string; body: unknown }[] = [];
  const record = (verb: string) => (p: { body: unknown }) => {
    calls.push({ verb, body: p.body });
    return createFails !== undefined && verb === 'create'
      ? Promise.reject(Object.assign(new Error('exists'), { code: createFails }))
      : Promise.resolve({});
  };
  const ctx = {
    rollout,
    fence: () => {},
    caches: { podDisruptionBudgets: { get: () => cached, list: () => (cached ? [cached] : []) } },
    clients: {
      policy: {
        createNamespacedPodDisruptionBudget: record('create'),
        patchNamespacedPodDisruptionBudget: record('patch'),
        deleteNamespacedPodDisruptionBudget: record('delete'),
      },
    },
  } as unknown as ExecuteContext;
  return { ctx, calls };
}

const ours = (spec: V1PodDisruptionBudget['spec']): V1PodDisruptionBudget => ({
  metadata: {
    name: 'shop',
    uid: 'pdb-1',
    ownerReferences: [{ apiVersion: 'x', kind: 'Rollout', name: 'shop', uid: 'uid-shop' }],
  },
  spec,
});

describe("a Rollout's PodDisruptionBudget", () => {
  it('is created owned by the Rollout, selecting the pods of every revision', async () => {
    const { ctx, calls } = cluster(undefined);
    await applyPodDisruptionBudget(ctx, { minAvailable: '75%' });
    expect(calls).toEqual([
      {
        verb: 'create',
        body: expect.objectContaining({
          metadata: expect.objectContaining({ name: 'shop', labels: { 'sluice.dev/rollout': 'shop' } }) as object,
          spec: { selector: { matchLabels: { 'sluice.dev/rollout': 'shop' } }, minAvailable: '75%' },
        }) as object,
      },
    ]);
  });

  it('is patched to the new budget, the other field removed, and left alone when equal', async () => {
    const changed = cluster(ours({ minAvailable: 2 }));
    await applyPodDisruptionBudget(changed.ctx, { maxUnavailable: 1 });
    expect(changed.calls).toEqual([{ verb: 'patch', body: { spec: { minAvailable: null, maxUnavailable: 1 } } }]);
    const same = cluster(ours({ minAvailable: 2 }));
    await applyPodDisruptionBudget(same.ctx, { minAvailable: 2 });
    expect(same.calls).toEqual([]);
  });

  it('is deleted (on its uid) when spec.pdb goes, and one that is not the Rollout’s is never touched', async () => {
    const gone = cluster(ours({ minAvailable: 2 }));
    await applyPodDisruptionBudget(gone.ctx, undefined);
    expect(gone.calls).toEqual([{ verb: 'delete', body: { preconditions: { uid: 'pdb-1' } } }]);
    const theirs = cluster({ metadata: { name: 'shop', uid: 'x' }, spec: { minAvailable: 1 } });
    await applyPodDisruptionBudget(theirs.ctx, undefined);
    await expect(applyPodDisruptionBudget(theirs.ctx, { minAvailable: 2 })).rejects.toThrow(
      /^spec\.pdb: PodDisruptionBudget shop exists and is not this Rollout's/,
    );
    expect(theirs.calls).toEqual([]);
    const unlabelled = cluster(undefined, 409);
    await expect(applyPodDisruptionBudget(unlabelled.ctx, { minAvailable: 2 })).rejects.toThrow(/not this Rollout's/);
  });
});
