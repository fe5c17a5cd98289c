import { describe, expect, it } from 'vitest';
import type { Rollout } from '../api/types.ts';
import { adoptionRefused, recordedSelector } from './services.ts';

const rollout = {
  metadata: { name: 'shop', namespace: 'team-a' },
  spec: { strategy: { blueGreen: { activeService: 'shop', previewService: 'shop-preview' } } },
} as unknown as Rollout;

describe('adopting an existing Service', () => {
  it('takes a Service that selects pods by label and belongs to no other Rollout', () => {
    expect(
      adoptionRefused(rollout, { metadata: { name: 'shop' }, spec: { selector: { app: 'shop' } } }),
    ).toBeUndefined();
    expect(
      adoptionRefused(rollout, { metadata: { name: 'shop', labels: { 'sluice.dev/rollout': 'shop' } }, spec: {} }),
    ).toBeUndefined();
  });

  it("refuses another Rollout's Service, naming it", () => {
    expect(
      adoptionRefused(rollout, {
        metadata: { name: 'cart-stable', labels: { 'sluice.dev/rollout': 'cart' } },
        spec: { selector: { app: 'cart' } },
      }),
    ).toMatch(/Service cart-stable belongs to Rollout cart/);
  });

  it("refuses ExternalName and selectorless Services (the API server's own kubernetes Service is one)", () => {
    expect(adoptionRefused(rollout, { metadata: { name: 'kubernetes' }, spec: { ports: [{ port: 443 }] } })).toMatch(
      /has no pod selector/,
    );
    expect(
      adoptionRefused(rollout, {
        metadata: { name: 'ext' },
        spec: { type: 'ExternalName', externalName: 'x.example' },
      }),
    ).toMatch(/has no pod selector/);
  });
});

describe('the selector recorded at adoption', () => {
  it('reads a flat map of strings, and nothing else', () => {
    expect(recordedSelector('{"app":"shop","tier":"web"}')).toEqual({ app: 'shop', tier: 'web' });
    expect(recordedSelector('{}')).toEqual({});
    for (const bad of ['not json', '[]', 'null', '"app"', '{"app":{"nested":"x"}}', '{"app":1}'])
      expect(recordedSelector(bad), bad).toBeUndefined();
  });
});
