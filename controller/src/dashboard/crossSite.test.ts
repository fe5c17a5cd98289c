import { describe, expect, it } from 'vitest';
import { bearerToken, checkSameOrigin } from './crossSite.ts';

describe('checkSameOrigin', () => {
  it('lets a same-origin fetch through and stops every other site the browser names', () => {
    expect(checkSameOrigin({ 'sec-fetch-site': 'same-origin', origin: 'http://dash:3100', host: 'dash:3100' })).toEqual(
      { ok: true },
    );
    for (const site of ['cross-site', 'same-site', 'none']) {
      expect(checkSameOrigin({ 'sec-fetch-site': site, host: 'dash:3100' })).toEqual({
        ok: false,
        reason: `the request came from another site (Sec-Fetch-Site: ${site})`,
      });
    }
  });

  it('compares Origin with Host when the browser sends no Fetch Metadata', () => {
    expect(checkSameOrigin({ origin: 'https://sluice.example.com', host: 'sluice.example.com' })).toEqual({ ok: true });
    expect(checkSameOrigin({ origin: 'https://evil.example', host: 'sluice.example.com' }).ok).toBe(false);
    expect(checkSameOrigin({ origin: 'null', host: 'sluice.example.com' }).ok).toBe(false);
    expect(checkSameOrigin({ origin: 'https://sluice.example.com' }).ok).toBe(false);
  });

  it('lets clients that are not browsers through: the token is then the only key', () => {
    expect(checkSameOrigin({ host: 'dash:3100' })).toEqual({ ok: true });
  });
});

describe('bearerToken', () => {
  it('reads the token of a Bearer header only', () => {
    expect(bearerToken('Bearer abc.def-ghi')).toBe('abc.def-ghi');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic YWxpY2U6cw==')).toBeUndefined();
    expect(bearerToken('Bearer ')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
