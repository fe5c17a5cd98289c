import { describe, expect, it } from 'vitest';
import { InternTable } from './internTable.ts';

describe('InternTable', () => {
  it('keeps one entry per distinct string, however often it comes', () => {
    const table = new InternTable();
    for (let i = 0; i < 1_000; i++) expect(table.intern(`team-${i % 3}`)).toBe(`team-${i % 3}`);
    expect(table.size).toBe(3);
  });

  it('never holds more than its bound, however many unique strings a tenant writes', () => {
    const table = new InternTable({ maxEntries: 100 });
    let largest = 0;
    for (let i = 0; i < 10_000; i++) {
      expect(table.intern(`unique-label-value-${i}`)).toBe(`unique-label-value-${i}`);
      largest = Math.max(largest, table.size);
    }
    expect(largest).toBe(100);
    // Full tables start again: the strings that repeat are found again afterwards.
    table.intern('shop');
    const before = table.size;
    table.intern('shop');
    expect(table.size).toBe(before);
  });

  it('leaves long strings out of the table', () => {
    const table = new InternTable({ maxLength: 16 });
    const blob = JSON.stringify({ selector: { app: 'checkout', tier: 'web' } });
    expect(table.intern(blob)).toBe(blob);
    expect(table.size).toBe(0);
  });

  it('interns the string values of an object at any depth, in place, and leaves it equal', () => {
    const table = new InternTable();
    const obj = {
      metadata: { namespace: 'shop', uid: 'u-1', resourceVersion: '7', labels: { app: 'checkout' } },
      spec: { containers: [{ name: 'app', image: 'shop/checkout:1.2.3', args: ['--port', '8080'] }], replicas: 3 },
      status: null,
    };
    const copy = structuredClone(obj);
    expect(table.internValues(obj)).toBe(obj);
    expect(obj).toEqual(copy);
    // uid and resourceVersion are unique to each object: not worth a slot.
    expect(table.size).toBe(6);
  });

  it('walks a deeply nested object without overflowing the stack, and leaves frozen objects alone', () => {
    const table = new InternTable();
    let deep: Record<string, unknown> = { leaf: 'bottom' };
    for (let i = 0; i < 200_000; i++) deep = { next: deep };
    expect(() => table.internValues(deep)).not.toThrow();
    expect(table.size).toBe(1);
    const frozen = Object.freeze({ name: 'frozen-name' });
    expect(() => table.internValues({ inner: frozen })).not.toThrow();
    expect(table.size).toBe(1);
  });

  it('starts again empty when its strings together would pass the character bound', () => {
    const table = new InternTable({ maxChars: 100 });
    for (let i = 0; i < 9; i++) table.intern(`value-${i}`.padEnd(10, '.'));
    expect(table.size).toBe(9);
    table.intern('x'.repeat(20)); // 90 + 20 > 100
    expect(table.size).toBe(1);
  });
});
