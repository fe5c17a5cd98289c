import { describe, expect, it } from 'vitest';
import { formatWeight, parseWeight } from './backendWeight.ts';

describe('a TrafficSplit backend weight', () => {
  it.each([
    [90, 90],
    [0, 0],
    ['500m', 0.5],
    ['1', 1],
    ['1.5k', 1500],
    ['2Ki', 2048],
    ['1e2', 100],
    ['.5', 0.5],
  ] as const)('reads %j as %d', (value, weight) => {
    expect(parseWeight(value)).toBe(weight);
  });

  it.each([[-1], ['-1'], ['ten'], ['1x'], [''], [Infinity], [null], [undefined], [{}], ['1'.repeat(65)], ['9e999']])(
    'refuses %j',
    (value) => {
      expect(parseWeight(value)).toBeUndefined();
    },
  );

  it('is written as a Quantity string in v1alpha1 and as an integer from v1alpha2 on', () => {
    expect(formatWeight('v1alpha1', 90)).toBe('90');
    expect(formatWeight('v1alpha2', 90)).toBe(90);
    expect(formatWeight('v1alpha4', 0)).toBe(0);
  });
});
