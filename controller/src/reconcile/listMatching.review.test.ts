/** Review of listMatching: an indexed cache must answer as an unindexed one does. */
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../api/types.ts';
import { ObjectStore, type KubeObject } from '../kube/objectStore.ts';
import { indexRollout, listMatching, type ObjectCache } from './caches.ts';

const rollout = (namespace: string, name: string, deployment: string): Rollout & KubeObject =>
  ({ metadata: { namespace, name, resourceVersion: '1' }, spec: { workloadRef: { name: deployment } } }) as never;

function cacheOf<T extends KubeObject>(objects: T[], indexBy?: (o: T) => string | undefined): ObjectCache<T> {
  const store = new ObjectStore<T>(indexBy);
  for (const o of objects) store.upsert(o);
  return {
    get: (ns, n) => store.get(ns, n),
    list: (ns) => store.list(ns),
    listIndexed: (ns, v) => store.listIndexed(ns, v),
  };
}

describe('listMatching, review', () => {
  // review: ObjectCache.list(undefined) means every namespace (a controller watching all of them), but the store's
  // listIndexed(undefined) reads the cluster-scope bucket ('') only. listMatching promises the same answer with or
  // without an index; with one, a lookup without a namespace finds nothing, so a caller reaching it (an event of an
  // object without metadata.namespace) silently wakes no Rollout while the unindexed cache wakes them all.
  it('given no namespace, then the indexed cache finds what the unindexed one finds', () => {
    const rollouts = [rollout('a', 'orders', 'orders'), rollout('b', 'orders', 'orders')];
    const runs = (r: Rollout) => r.spec.workloadRef?.name === 'orders';
    const names = (list: Rollout[]) => list.map((r) => `${r.metadata.namespace}/${r.metadata.name}`).sort();
    expect(names(listMatching(cacheOf(rollouts, indexRollout), undefined, 'orders', runs))).toEqual(
      names(listMatching(cacheOf(rollouts), undefined, 'orders', runs)),
    );
  });
});
