import { describe, expect, it } from 'vitest';
import { outdatedCrdMessage, prunedSpecFields } from './specWrite.ts';

describe('reading a spec write back from the API server answer', () => {
  it('given an answer holding the fields as written, including paused: false, then nothing was pruned', () => {
    const answer = { spec: { paused: false, restartAt: '2026-11-30T12:00:00Z', replicas: 3 } };
    expect(prunedSpecFields({ paused: false }, answer)).toEqual([]);
    expect(prunedSpecFields({ restartAt: '2026-11-30T12:00:00Z' }, answer)).toEqual([]);
  });

  it('given an answer without the field, or with another value, then that field is named', () => {
    expect(prunedSpecFields({ restartAt: '2026-11-30T12:00:00Z' }, { spec: { paused: true } })).toEqual([
      'spec.restartAt',
    ]);
    expect(
      prunedSpecFields({ restartAt: '2026-11-30T12:00:00Z' }, { spec: { restartAt: '2026-01-01T00:00:00Z' } }),
    ).toEqual(['spec.restartAt']);
    expect(prunedSpecFields({ paused: true }, {})).toEqual(['spec.paused']);
  });

  it('says the CRDs are out of date and how to update them', () => {
    const message = outdatedCrdMessage('shop/web', ['spec.restartAt']);
    expect(message).toMatch(/spec\.restartAt/);
    expect(message).toMatch(/CustomResourceDefinition/);
    expect(message).toContain('kubectl apply --server-side -k crds/');
  });
});
