/** Review of the store's index (indexBy): listIndexed against filtering list(). */
import { describe, expect, it } from 'vitest';
import { ObjectStore, type KubeObject } from './objectStore.ts';

const owned = (name: string, rv: string, owner: string): KubeObject => ({
  metadata: { namespace: 'a', name, resourceVersion: rv, labels: { owner } },
});
const ownerOf = (o: KubeObject) => (o.metadata?.['labels'] as Record<string, string>)['owner'];

describe('ObjectStore index, review', () => {
  // review: upsert takes an object out of its index value's set and puts it back even when the value did not
  // change, so every status update of a ReplicaSet moves it to the end of listIndexed (and, for a Rollout's only
  // ReplicaSet, deletes and rebuilds the set and the namespace's map). ownedReplicaSets' order then follows the last
  // status update instead of the cache's order: with two ReplicaSets of one revision (one a tenant made, carrying
  // the labels and the Rollout's uid), the planner's `find` (first) and the executor's Map (last) pick by that order,
  // which now flips with each update. listIndexed must equal filtering list(), order included.
  it('given an update that keeps the index value, then listIndexed keeps the order list() has', () => {
    const store = new ObjectStore<KubeObject>(ownerOf);
    store.upsert(owned('rs-1', '1', 'orders'));
    store.upsert(owned('rs-2', '2', 'orders'));
    store.upsert(owned('rs-1', '3', 'orders'));
    const fromList = store
      .list('a')
      .filter((o) => ownerOf(o) === 'orders')
      .map((o) => o.metadata?.name);
    expect(store.listIndexed('a', 'orders')?.map((o) => o.metadata?.name)).toEqual(fromList);
  });
});
