import { describe, expect, it } from 'vitest';
import { keyOf, objectKey, parseObjectKey } from './objectKey.ts';

describe('object keys', () => {
  it('are namespace/name for namespaced objects and name for cluster-scoped ones', () => {
    expect(objectKey('shop', 'checkout')).toBe('shop/checkout');
    expect(objectKey(undefined, 'error-rate')).toBe('error-rate');
    expect(objectKey('', 'error-rate')).toBe('error-rate');
  });

  it('come from an object as the API server returns it', () => {
    expect(keyOf({ metadata: { name: 'checkout', namespace: 'shop' } })).toBe('shop/checkout');
    expect(keyOf({ metadata: { name: 'error-rate' } })).toBe('error-rate');
    expect(() => keyOf({ metadata: { namespace: 'shop' } })).toThrow(/metadata.name/);
    expect(() => keyOf({})).toThrow(/metadata.name/);
  });

  it('parse back to the namespace and name they were made of', () => {
    expect(parseObjectKey('shop/checkout')).toEqual({ namespace: 'shop', name: 'checkout' });
    expect(parseObjectKey('error-rate')).toEqual({ namespace: undefined, name: 'error-rate' });
    for (const [ns, name] of [
      ['a', 'b'],
      [undefined, 'c'],
      ['kube-system', 'x.y-z'],
    ] as const) {
      expect(parseObjectKey(objectKey(ns, name))).toEqual({ namespace: ns, name });
    }
  });
});
