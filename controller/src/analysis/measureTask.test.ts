import { describe, expect, it } from 'vitest';
import { secretRefs } from './measureTask.ts';

describe('secretRefs', () => {
  it('finds every secretKeyRef at any depth', () => {
    const spec = {
      args: [
        { name: 'token', valueFrom: { secretKeyRef: { name: 'prom', key: 'token' } } },
        { name: 'service', value: 'checkout' },
      ],
      metrics: [
        {
          provider: {
            prometheus: {
              headers: [{ name: 'X-Scope-OrgID', valueFrom: { secretKeyRef: { name: 'tenant', key: 'id' } } }],
            },
          },
        },
      ],
    };
    expect(secretRefs([spec])).toEqual([
      { name: 'prom', key: 'token' },
      { name: 'tenant', key: 'id' },
    ]);
    expect(secretRefs([{ args: [] }])).toEqual([]);
  });
});
