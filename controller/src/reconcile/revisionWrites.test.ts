import type { V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { revisionOf } from '../planner/revision.ts';
import { numberOfNew, templateOf } from './revisionWrites.ts';

const rs = (number: string | undefined, labels: Record<string, string> = {}): V1ReplicaSet => ({
  metadata: {
    name: 'checkout-x',
    ...(number === undefined ? {} : { annotations: { 'sluice.dev/revision-number': number } }),
  },
  spec: {
    selector: {},
    template: {
      metadata: { labels: { app: 'checkout', ...labels }, annotations: { team: 'shop' } },
      spec: { containers: [{ name: 'app', image: 'shop/checkout:v1' }] },
    },
  },
});

describe("an undo's pod template", () => {
  it("is the ReplicaSet's without Sluice's labels (and a Deployment's pod-template-hash): the same revision again", () => {
    const built = rs('1', { 'sluice.dev/rollout': 'checkout', 'sluice.dev/revision': 'abc', 'pod-template-hash': 'h' });
    const template = templateOf(built);
    expect(template?.metadata?.labels).toEqual({ app: 'checkout' });
    expect(template?.metadata?.annotations).toEqual({ team: 'shop' });
    expect(revisionOf(template)).toBe(revisionOf(rs('1').spec!.template));
    expect(built.spec?.template?.metadata?.labels?.['sluice.dev/revision']).toBe('abc'); // the cached object is untouched
  });
});

describe('the number of a new ReplicaSet', () => {
  it("is the plan's for the current template, else one above the highest", () => {
    const existing = [rs('2'), rs('5'), rs(undefined)];
    expect(numberOfNew(existing, { revision: 'b', number: 9 }, 'b')).toBe(9);
    expect(numberOfNew(existing, { revision: 'b', number: 9 }, 'c')).toBe(6);
    expect(numberOfNew([], undefined, 'a')).toBe(1);
  });
});
