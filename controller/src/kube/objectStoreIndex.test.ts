/**
 * The store's one index (indexBy): what listIndexed returns must always equal filtering list() by the index value,
 * through upserts that change the value, deletes, relists and namespaces that share values.
 */
import { describe, expect, it } from 'vitest';
import { ObjectStore, type KubeObject } from './objectStore.ts';

const owned = (namespace: string, name: string, rv: string, owner?: string): KubeObject => ({
  metadata: { namespace, name, resourceVersion: rv, labels: owner === undefined ? {} : { owner } },
});
const ownerOf = (o: KubeObject) => (o.metadata?.['labels'] as Record<string, string>)['owner'];
const names = (objects: KubeObject[] | undefined) => objects?.map((o) => o.metadata?.name).sort();
/** The answer without the index: every object of the namespace with that value. */
const filtered = (store: ObjectStore<KubeObject>, ns: string, value: string) =>
  names(store.list(ns).filter((o) => ownerOf(o) === value));

describe('ObjectStore with an index', () => {
  it('given objects of several owners in two namespaces, then each owner finds exactly its own, per namespace', () => {
    const store = new ObjectStore<KubeObject>(ownerOf);
    store.upsert(owned('a', 'rs-1', '1', 'orders'));
    store.upsert(owned('a', 'rs-2', '2', 'orders'));
    store.upsert(owned('a', 'rs-3', '3', 'cart'));
    store.upsert(owned('b', 'rs-1', '4', 'orders'));
    store.upsert(owned('a', 'plain', '5'));
    expect(names(store.listIndexed('a', 'orders'))).toEqual(['rs-1', 'rs-2']);
    expect(names(store.listIndexed('a', 'cart'))).toEqual(['rs-3']);
    expect(names(store.listIndexed('b', 'orders'))).toEqual(['rs-1']);
    expect(store.listIndexed('b', 'cart')).toEqual([]);
    expect(store.listIndexed('c', 'orders')).toEqual([]);
  });

  it('given an object whose value changes, then it moves to the new value and its newest version is returned', () => {
    const store = new ObjectStore<KubeObject>(ownerOf);
    store.upsert(owned('a', 'rs-1', '1', 'orders'));
    store.upsert(owned('a', 'rs-1', '2', 'cart'));
    expect(store.listIndexed('a', 'orders')).toEqual([]);
    expect(store.listIndexed('a', 'cart')?.map((o) => o.metadata?.resourceVersion)).toEqual(['2']);
    // The label removed: in no value's list, still in the cache.
    store.upsert(owned('a', 'rs-1', '3'));
    expect(store.listIndexed('a', 'cart')).toEqual([]);
    expect(store.get('a', 'rs-1')?.metadata?.resourceVersion).toBe('3');
  });

  it('given a delete whose object carries other labels than the cached one, then the cached one leaves the index', () => {
    const store = new ObjectStore<KubeObject>(ownerOf);
    store.upsert(owned('a', 'rs-1', '1', 'orders'));
    // A DELETED event carries the object as it was last; the cache's copy is what was indexed.
    expect(store.remove(owned('a', 'rs-1', '9', 'cart'))).toBe(true);
    expect(store.listIndexed('a', 'orders')).toEqual([]);
    expect(store.remove(owned('a', 'rs-1', '9', 'orders'))).toBe(false);
  });

  it('given a relist, then the index holds what the list holds and nothing removed', () => {
    const store = new ObjectStore<KubeObject>(ownerOf);
    store.upsert(owned('a', 'rs-1', '1', 'orders'));
    store.upsert(owned('a', 'rs-2', '2', 'orders'));
    store.replace([owned('a', 'rs-2', '3', 'cart'), owned('a', 'rs-4', '4', 'orders')]);
    expect(names(store.listIndexed('a', 'orders'))).toEqual(['rs-4']);
    expect(names(store.listIndexed('a', 'cart'))).toEqual(['rs-2']);
  });

  it('given a long random sequence of upserts and removes, then listIndexed always equals filtering list()', () => {
    const store = new ObjectStore<KubeObject>(ownerOf);
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const owners = ['orders', 'cart', 'pay', undefined];
    for (let i = 0; i < 5_000; i++) {
      const ns = ['a', 'b'][random(2)]!;
      const name = `rs-${random(20)}`;
      if (random(4) === 0) store.remove(owned(ns, name, String(i)));
      else store.upsert(owned(ns, name, String(i), owners[random(owners.length)]));
      if (i % 50 === 0)
        for (const n of ['a', 'b'])
          for (const o of ['orders', 'cart', 'pay'])
            expect(names(store.listIndexed(n, o))).toEqual(filtered(store, n, o));
    }
  });

  it('given no index, then listIndexed says so (undefined), not "none"', () => {
    const store = new ObjectStore<KubeObject>();
    store.upsert(owned('a', 'rs-1', '1', 'orders'));
    expect(store.listIndexed('a', 'orders')).toBeUndefined();
  });
});
