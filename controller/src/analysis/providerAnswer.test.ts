import { describe, expect, it } from 'vitest';
import type { JsonValue } from './provider.ts';
import { fromJson, holdsNonFinite } from './providerAnswer.ts';

describe('holdsNonFinite', () => {
  it.each<[string, JsonValue, boolean]>([
    ['a finite object', { availability: 0.999, errors: [0, 1] }, false],
    ['an infinity in a field', { availability: Infinity }, true],
    ['NaN in a nested list', [[1], [NaN]], true],
    ['-Inf beside a string', [-Infinity, 'checkout'], true],
    ['strings and booleans only', ['up', true, null], false],
  ])('%s', (_what, value, holds) => {
    expect(holdsNonFinite(value)).toBe(holds);
  });

  it('walks a deeply nested value without overflowing the stack', () => {
    let deep: JsonValue = [Infinity];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(holdsNonFinite(deep)).toBe(true);
  });

  it('counts a value too large to walk as holding one (never a pass)', () => {
    expect(holdsNonFinite(Array.from({ length: 300_000 }, () => 'x'))).toBe(true);
  });
});

describe('fromJson', () => {
  it('reads null, [] and a list of nulls only as no data', () => {
    for (const value of [null, [], [null, null]]) expect(fromJson(value)).toEqual({ kind: 'empty' });
    expect(fromJson([null, 'down'])).toEqual({ kind: 'json', value: [null, 'down'] });
  });

  it('reads a flat list of numbers as numbers, and anything else as JSON', () => {
    expect(fromJson([1, 2])).toEqual({ kind: 'vector', values: [1, 2] });
    expect(fromJson({ a: 1 })).toEqual({ kind: 'json', value: { a: 1 } });
  });
});
