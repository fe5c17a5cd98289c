/** listMatching: the index narrows what is tested, never what is found (caches.ts). */
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../api/types.ts';
import { ObjectStore, type KubeObject } from '../kube/objectStore.ts';
import { indexReplicaSet, indexRollout, listMatching, type ObjectCache } from './caches.ts';

const rollout = (name: string, deployment: unknown): Rollout & KubeObject =>
  ({ metadata: { namespace: 'a', name, resourceVersion: '1' }, spec: { workloadRef: { name: deployment } } }) as never;

function cacheOf<T extends KubeObject>(objects: T[], indexBy?: (o: T) => string | undefined): ObjectCache<T> {
  const store = new ObjectStore<T>(indexBy);
  for (const o of objects) store.upsert(o);
  return {
    get: (ns, n) => store.get(ns, n),
    list: (ns) => store.list(ns),
    listIndexed: (ns, v) => store.listIndexed(ns, v),
  };
}

describe('listMatching', () => {
  const rollouts = [
    rollout('orders', 'orders'),
    rollout('orders-v2', 'orders'),
    rollout('cart', 'cart'),
    rollout('odd', 7),
  ];
  const runs = (d: string) => (r: Rollout) => r.spec.workloadRef?.name === d;

  it('given Rollouts indexed by their Deployment, then the same Rollouts as filtering the namespace', () => {
    const indexed = cacheOf(rollouts, indexRollout);
    const plain = cacheOf(rollouts);
    for (const d of ['orders', 'cart', 'none'])
      expect(listMatching(indexed, 'a', d, runs(d)).map((r) => r.metadata.name)).toEqual(
        listMatching(plain, 'a', d, runs(d)).map((r) => r.metadata.name),
      );
    expect(
      listMatching(indexed, 'a', 'orders', runs('orders'))
        .map((r) => r.metadata.name)
        .sort(),
    ).toEqual(['orders', 'orders-v2']);
  });

  it('given an index that offers an object the test refuses, then it is not returned', () => {
    const wrongIndex = cacheOf(rollouts, () => 'everything');
    expect(listMatching(wrongIndex, 'a', 'everything', runs('cart')).map((r) => r.metadata.name)).toEqual(['cart']);
  });

  it('given a workloadRef name that is not a string, or a ReplicaSet without the label, then it is in no index', () => {
    expect(indexRollout(rollout('odd', 7))).toBeUndefined();
    expect(indexReplicaSet({ metadata: { name: 'x', labels: { 'sluice.dev/rollout': 'orders' } } })).toBe('orders');
    expect(indexReplicaSet({ metadata: { name: 'x' } })).toBeUndefined();
  });

  // review: list(undefined) means every namespace; the store's listIndexed(undefined) read only the cluster-scope
  // bucket, so a lookup without a namespace found nothing with the index and everything without it.
  it('given no namespace, then the indexed cache finds what the unindexed one finds', () => {
    const inTwo = [
      rollout('orders', 'orders'),
      { ...rollout('orders', 'orders'), metadata: { namespace: 'b', name: 'orders', resourceVersion: '1' } },
    ];
    const names = (list: Rollout[]) => list.map((r) => `${r.metadata.namespace}/${r.metadata.name}`).sort();
    expect(names(listMatching(cacheOf(inTwo, indexRollout), undefined, 'orders', runs('orders')))).toEqual([
      'a/orders',
      'b/orders',
    ]);
    expect(names(listMatching(cacheOf(inTwo), undefined, 'orders', runs('orders')))).toEqual(['a/orders', 'b/orders']);
  });
});
