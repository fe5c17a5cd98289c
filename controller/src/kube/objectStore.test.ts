import { describe, expect, it } from 'vitest';
import { ObjectStore, type KubeObject } from './objectStore.ts';
import { keyOf } from './objectKey.ts';

const cm = (
  namespace: string | undefined,
  name: string,
  rv: string,
  data: Record<string, string> = {},
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, resourceVersion: rv, ...(namespace === undefined ? {} : { namespace }) },
  data,
});

describe('ObjectStore', () => {
  it('finds objects by namespace and name, and lists one namespace or all', () => {
    const store = new ObjectStore<KubeObject>();
    store.upsert(cm('a', 'one', '1'));
    store.upsert(cm('a', 'two', '2'));
    store.upsert(cm('b', 'one', '3'));
    store.upsert(cm(undefined, 'cluster-wide', '4'));
    expect(store.get('a', 'one')?.metadata?.resourceVersion).toBe('1');
    expect(store.get('b', 'one')?.metadata?.resourceVersion).toBe('3');
    expect(store.get(undefined, 'cluster-wide')?.metadata?.resourceVersion).toBe('4');
    expect(store.get('c', 'one')).toBeUndefined();
    expect(
      store
        .list('a')
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['one', 'two']);
    expect(store.list('nothing-here')).toEqual([]);
    expect(store.list()).toHaveLength(4);
    expect(store.size).toBe(4);
  });

  it('reports an upsert as a change only when the resourceVersion differs', () => {
    const store = new ObjectStore<KubeObject>();
    expect(store.upsert(cm('a', 'one', '1'))).toBe(true);
    expect(store.upsert(cm('a', 'one', '1'))).toBe(false);
    expect(store.upsert(cm('a', 'one', '2', { k: 'v' }))).toBe(true);
    expect(store.get('a', 'one')?.data).toEqual({ k: 'v' });
    expect(store.size).toBe(1);
  });

  it('treats a missing resourceVersion as a change, since nothing proves it is the same', () => {
    const store = new ObjectStore<KubeObject>();
    const noRv: KubeObject = { metadata: { name: 'x', namespace: 'a' } };
    store.upsert(noRv);
    expect(store.upsert({ metadata: { name: 'x', namespace: 'a' } })).toBe(true);
  });

  it('removes objects and says whether they were there', () => {
    const store = new ObjectStore<KubeObject>();
    store.upsert(cm('a', 'one', '1'));
    expect(store.remove(cm('a', 'one', '9'))).toBe(true);
    expect(store.remove(cm('a', 'one', '9'))).toBe(false);
    expect(store.get('a', 'one')).toBeUndefined();
    expect(store.size).toBe(0);
    expect(store.list()).toEqual([]);
  });

  it('replaces its content with a fresh list and names every added, changed and vanished key', () => {
    const store = new ObjectStore<KubeObject>();
    store.replace([cm('a', 'same', '1'), cm('a', 'edited', '2'), cm('a', 'gone', '3'), cm(undefined, 'gone-too', '4')]);
    const changed = store.replace([cm('a', 'same', '1'), cm('a', 'edited', '5'), cm('b', 'new', '6')]);
    // Each as it is now, or as it was last when it vanished.
    expect(changed.map((o) => `${keyOf(o)}@${o.metadata?.resourceVersion}`).sort()).toEqual([
      'a/edited@5',
      'a/gone@3',
      'b/new@6',
      'gone-too@4',
    ]);
    expect(
      store
        .list()
        .map((o) => `${o.metadata?.namespace}/${o.metadata?.name}@${o.metadata?.resourceVersion}`)
        .sort(),
    ).toEqual(['a/edited@5', 'a/same@1', 'b/new@6']);
    expect(store.replace([])).toHaveLength(3);
    expect(store.size).toBe(0);
  });

  it('refuses an object without a name', () => {
    expect(() => new ObjectStore<KubeObject>().upsert({ metadata: {} })).toThrow(/metadata.name/);
  });
});
