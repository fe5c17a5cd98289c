import { describe, expect, it } from 'vitest';
import { SharedValues } from './sharedValues.ts';

const podSpec = (image: string) => ({ containers: [{ name: 'app', image, ports: [{ containerPort: 8080 }] }] });

describe('SharedValues', () => {
  it('gives the copy it already holds for an equal value, and keeps a different value apart', () => {
    const table = new SharedValues();
    const first = table.share(podSpec('shop/checkout:1'));
    expect(table.share(podSpec('shop/checkout:1'))).toBe(first);
    const other = podSpec('shop/checkout:2');
    expect(table.share(other)).toBe(other);
    expect(table.size).toBe(2);
  });

  it('tells values apart that differ only in a nested field or in their fields order', () => {
    const table = new SharedValues();
    const a = table.share({ spec: { replicas: 1, paused: false } });
    expect(table.share({ spec: { replicas: 1, paused: true } })).not.toBe(a);
    // The API server writes one order: another order is another value here, never a wrong copy.
    expect(table.share({ spec: { paused: false, replicas: 1 } })).not.toBe(a);
  });

  it('never holds more entries than its bound', () => {
    const table = new SharedValues(10);
    const held = [];
    for (let i = 0; i < 100; i++) {
      held.push(table.share(podSpec(`image-${i}`)));
      expect(table.size).toBeLessThanOrEqual(10);
    }
  });
});
