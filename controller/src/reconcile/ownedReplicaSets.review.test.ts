/**
 * Review of commit 7ea8137 (ownedReplicaSets: one ReplicaSet per revision). A tenant who may create ReplicaSets in
 * the Rollout's namespace can give one the Rollout's labels and an owner reference to it. Sluice builds every
 * ReplicaSet it runs under one name (workload/names.ts replicaSetName: `<rollout>-<revision>`, workload/objects.ts
 * buildReplicaSet), so any other name is not Sluice's: the planner must not count it as a revision, and the executor
 * must not scale, renumber, undo from or prune it.
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

function replicaSet(name: string, labels: Record<string, string>, image: string): V1ReplicaSet {
  return {
    metadata: {
      name,
      namespace: 'shop',
      creationTimestamp: '2026-11-29T10:00:00Z' as unknown as Date,
      labels: { [rolloutLabel]: 'checkout', ...labels },
      ownerReferences: [{ apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', name: 'checkout', uid: 'ro-1' }],
    },
    spec: {
      replicas: 3,
      selector: { matchLabels: {} },
      template: { metadata: { labels }, spec: { containers: [{ name: 'app', image }] } },
    },
  };
}

function owned(sets: V1ReplicaSet[]): string[] {
  const caches = { replicaSets: { get: () => undefined, list: () => sets } } as unknown as Caches;
  return ownedReplicaSets(caches, rollout).map((rs) => rs.metadata!.name!);
}

describe('review: ownedReplicaSets and ReplicaSets Sluice did not make', () => {
  // review: with Sluice's own ReplicaSet of a revision missing (not created yet: the tenant read the Deployment's new
  // template and computed its revision, a 10-digit hash anyone can compute; or deleted by hand), ownedReplicaSets
  // keeps the tenant's "checkout-abc-x" as revision abc. The executor then sees the revision as present and never
  // creates its own (execute.ts `current.get(revision)`), scales the tenant's object up as the canary, the analysis
  // measures its pods (whatever image its template names) and promotion makes them stable, while the Deployment
  // says otherwise; later the prune deletes it. The commit says the others "are not Sluice's to scale or delete",
  // but only when Sluice's own is there.
  it("never takes a ReplicaSet Sluice did not name as a revision's, even when Sluice's own is missing", () => {
    const tenants = replicaSet('checkout-abc-x', { [revisionLabel]: 'abc' }, 'evil.example.com/shop:latest');
    expect(owned([tenants])).toEqual([]);
  });

  // review: a ReplicaSet with the Rollout label and owner reference but no revision label is taken as revision ''
  // (observe.ts `?? ''`): the planner counts it as an old revision and the executor scales it to 0
  // (execute.ts scale-down loop, `wanted.get(undefined) ?? 0`) and may prune it: Sluice scales down and deletes a
  // ReplicaSet it never made.
  it('never takes a ReplicaSet without a revision label', () => {
    const ours = replicaSet('checkout-abc', { [revisionLabel]: 'abc' }, 'shop/checkout:v1');
    const unlabelled = replicaSet('checkout-batch', {}, 'shop/batch:v1');
    expect(owned([unlabelled, ours])).toEqual(['checkout-abc']);
  });
});
