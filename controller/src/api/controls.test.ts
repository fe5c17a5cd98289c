import { describe, expect, it } from 'vitest';
import { actionAnnotation, readActionRequest } from './controls.ts';

describe('readActionRequest', () => {
  it('finds no request without the annotation', () => {
    expect(readActionRequest(undefined)).toEqual({ kind: 'none' });
    expect(readActionRequest({ 'other.io/x': 'promote' })).toEqual({ kind: 'none' });
  });

  it.each(['promote', 'promote-full', 'abort', 'retry'] as const)('reads %s', (action) => {
    expect(readActionRequest({ [actionAnnotation]: action })).toEqual({ kind: 'action', action });
  });

  it('tolerates the whitespace a shell may leave', () => {
    expect(readActionRequest({ [actionAnnotation]: ' abort\n' })).toEqual({ kind: 'action', action: 'abort' });
  });

  it('names the annotation and the valid actions for anything else', () => {
    expect(readActionRequest({ [actionAnnotation]: 'promote --full' })).toEqual({
      kind: 'invalid',
      field: 'metadata.annotations[sluice.dev/action]',
      message: 'unknown action "promote --full": use one of promote, promote-full, abort, retry',
    });
    expect(readActionRequest({ [actionAnnotation]: 'toString' }).kind).toBe('invalid');
  });
});
