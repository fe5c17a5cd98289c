import { describe, expect, it } from 'vitest';
import { actionAnnotation, readActionRequest, undoTarget } from './controls.ts';

describe('readActionRequest', () => {
  it('finds no request without the annotation', () => {
    expect(readActionRequest(undefined)).toEqual({ kind: 'none' });
    expect(readActionRequest({ 'other.io/x': 'promote' })).toEqual({ kind: 'none' });
  });

  it.each(['promote', 'promote-full', 'abort', 'retry', 'undo'] as const)('reads %s', (action) => {
    expect(readActionRequest({ [actionAnnotation]: action })).toEqual({ kind: 'action', action });
  });

  it('tolerates the whitespace a shell may leave', () => {
    expect(readActionRequest({ [actionAnnotation]: ' abort\n' })).toEqual({ kind: 'action', action: 'abort' });
  });

  it('names the annotation and the valid actions for anything else', () => {
    expect(readActionRequest({ [actionAnnotation]: 'promote --full' })).toEqual({
      kind: 'invalid',
      field: 'metadata.annotations[sluice.dev/action]',
      message: 'unknown action "promote --full": use one of promote, promote-full, abort, retry, undo, undo:<revision>',
    });
    expect(readActionRequest({ [actionAnnotation]: 'toString' }).kind).toBe('invalid');
  });
});

describe('an undo request', () => {
  it('names the previous revision, or revision N with undo:N', () => {
    expect(undoTarget('undo')).toBe('previous');
    const to3 = readActionRequest({ [actionAnnotation]: 'undo:3' });
    expect(to3).toEqual({ kind: 'action', action: 'undo:3' });
    expect(to3.kind === 'action' && undoTarget(to3.action)).toBe(3);
    expect(undoTarget('promote')).toBeUndefined();
  });

  it.each(['undo:', 'undo:0', 'undo:-1', 'undo:abc', 'undo:1e3', 'undo:0x10', 'undo:3.5', 'undo:9999999999'])(
    'refuses %s, naming the annotation and what a revision looks like',
    (value) => {
      const request = readActionRequest({ [actionAnnotation]: value });
      expect(request).toMatchObject({ kind: 'invalid', field: 'metadata.annotations[sluice.dev/action]' });
      expect(request.kind === 'invalid' && request.message).toMatch(/kubectl sluice history/);
    },
  );
});
