/**
 * Given two ReplicaSets that both claim one revision of a Rollout (a tenant can create the second: same labels, an
 * owner reference to the Rollout), the planner and the executor must mean the same one. Both read the Rollout's
 * ReplicaSets through ownedReplicaSets, so it keeps exactly one per revision, whatever order the cache lists them in.
 */
import type { V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../api/types.ts';
import { revisionLabel, rolloutLabel } from '../workload/names.ts';
import type { Caches } from './caches.ts';
import { ownedReplicaSets } from './observe.ts';

const rollout: Rollout = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'checkout', namespace: 'shop', uid: 'ro-1' },
  spec: { workloadRef: { name: 'checkout' }, strategy: { canary: { steps: [{ setWeight: 50 }] } } },
};

function replicaSet(name: string, revision: string, created: string): V1ReplicaSet {
  return {
    metadata: {
      name,
      namespace: 'shop',
      creationTimestamp: created as unknown as Date, // the informers keep the API server's string
      labels: { [rolloutLabel]: 'checkout', [revisionLabel]: revision },
      ownerReferences: [{ apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', name: 'checkout', uid: 'ro-1' }],
    },
    spec: { replicas: 2, selector: { matchLabels: {} } },
  };
}

function owned(sets: V1ReplicaSet[]): string[] {
  const caches = { replicaSets: { get: () => undefined, list: () => sets } } as unknown as Caches;
  return ownedReplicaSets(caches, rollout).map((rs) => rs.metadata!.name!);
}

describe('ownedReplicaSets', () => {
  const ours = replicaSet('checkout-abc', 'abc', '2026-11-30T10:00:00Z');
  const foreignOlder = replicaSet('checkout-abc-x', 'abc', '2026-11-29T10:00:00Z');
  const other = replicaSet('checkout-def', 'def', '2026-11-30T11:00:00Z');

  it('keeps the ReplicaSet Sluice names for a revision over an older one with the same labels, in either order', () => {
    expect(owned([ours, foreignOlder, other])).toEqual(['checkout-abc', 'checkout-def']);
    expect(owned([other, foreignOlder, ours])).toEqual(['checkout-def', 'checkout-abc']);
  });

  it("without the one Sluice names, keeps none of them: they are not Sluice's, whatever their age", () => {
    const newer = replicaSet('checkout-abc-y', 'abc', '2026-11-30T12:00:00Z');
    expect(owned([newer, foreignOlder])).toEqual([]);
    expect(owned([foreignOlder, newer, other])).toEqual(['checkout-def']);
  });

  it('returns every ReplicaSet, in the cache order, when no revision is claimed twice', () => {
    expect(owned([other, ours])).toEqual(['checkout-def', 'checkout-abc']);
  });

  it('leaves out a ReplicaSet owned by another Rollout of the same name', () => {
    const stranger = replicaSet('checkout-ghi', 'ghi', '2026-11-30T10:00:00Z');
    stranger.metadata!.ownerReferences![0]!.uid = 'ro-2';
    expect(owned([stranger, ours])).toEqual(['checkout-abc']);
  });
});
