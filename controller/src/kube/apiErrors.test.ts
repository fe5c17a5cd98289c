import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { isConflict, isForbidden, isGone, isInvalid, isNotFound, statusCode } from './apiErrors.ts';
import { NotLeaderError } from './writeFence.ts';

const apiException = (code: number) => new ApiException(code, `HTTP-Code: ${code}`, {}, {});

describe('Kubernetes API errors', () => {
  it('reads the status of client-node ApiExceptions', () => {
    expect(statusCode(apiException(404))).toBe(404);
    expect(isNotFound(apiException(404))).toBe(true);
    expect(isConflict(apiException(409))).toBe(true);
    expect(isForbidden(apiException(403))).toBe(true);
    expect(isInvalid(apiException(422))).toBe(true);
    expect(isGone(apiException(410))).toBe(true);
    expect(isNotFound(apiException(409))).toBe(false);
  });

  it('reads errors that carry code or statusCode, and watch ERROR Status objects', () => {
    expect(isConflict(Object.assign(new Error('conflict'), { code: 409 }))).toBe(true);
    expect(isNotFound({ statusCode: 404 })).toBe(true);
    expect(isGone({ kind: 'Status', code: 410, reason: 'Expired' })).toBe(true);
  });

  it('looks through the causes of wrapped errors, a few levels deep', () => {
    const wrapped = new Error('could not scale', {
      cause: new TypeError('fetch failed', { cause: apiException(422) }),
    });
    expect(isInvalid(wrapped)).toBe(true);
    let deep: unknown = apiException(404);
    for (let i = 0; i < 5; i++) deep = new Error(`wrapper ${i}`, { cause: deep });
    expect(statusCode(deep)).toBeUndefined();
  });

  it('an error that is no HTTP answer has no status', () => {
    expect(statusCode(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBeUndefined();
    expect(statusCode(new NotLeaderError())).toBeUndefined();
    expect(statusCode(Object.assign(new Error('exit'), { code: 1 }))).toBeUndefined();
    expect(statusCode(undefined)).toBeUndefined();
    expect(statusCode('404')).toBeUndefined();
    expect(isNotFound(new Error('not found'))).toBe(false);
  });

  it('the outermost status wins over one it wraps', () => {
    expect(statusCode(Object.assign(new Error('outer'), { code: 500, cause: apiException(404) }))).toBe(500);
  });
});
