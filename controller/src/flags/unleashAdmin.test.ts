import { describe, expect, it } from 'vitest';
import { describeFailure } from './unleashAdmin.ts';

const flag = { name: 'checkout-v2', project: 'shop', environment: 'production' };
const url = 'http://unleash:4242';
const token = '*:*.s3cret';
const answered = (status: number, body: unknown, text = JSON.stringify(body)) => ({
  answered: true as const,
  answer: { status, body, text },
});

describe('describeFailure', () => {
  it('401: the admin token was refused; says which Secret to check', () => {
    expect(
      describeFailure(
        flag,
        'setting the rollout of',
        url,
        answered(401, { message: 'You must log in to use Unleash.' }),
        [token],
      ),
    ).toEqual({
      ok: false,
      kind: 'auth',
      message:
        'Unleash refused the admin token (401) while setting the rollout of flag checkout-v2 in project shop, environment production: ' +
        'check the Secret behind SLUICE_UNLEASH_ADMIN_TOKEN',
    });
  });

  it("403: gives Unleash's reason and the permission the token needs", () => {
    const failure = describeFailure(
      flag,
      'enabling',
      url,
      answered(403, { message: 'invalid token: expected a different token type for this endpoint' }),
      [token],
    );
    expect(failure.kind).toBe('auth');
    expect(failure.message).toBe(
      'Unleash denied enabling flag checkout-v2 in project shop, environment production (403: invalid token: expected a different token type for this endpoint): ' +
        'SLUICE_UNLEASH_ADMIN_TOKEN must be an admin API token allowed to change project shop in environment production',
    );
  });

  it('404: no such flag; says what to create or correct', () => {
    const failure = describeFailure(
      flag,
      'reading',
      url,
      answered(404, { name: 'NotFoundError', message: 'There\'s no feature named "checkout-v2" in project "shop".' }),
      [token],
    );
    expect(failure).toEqual({
      ok: false,
      kind: 'notFound',
      message:
        'Unleash found no flag checkout-v2 in project shop, environment production (404: There\'s no feature named "checkout-v2" in project "shop".): ' +
        "create the flag in Unleash, or correct the setFlag step's name, project or environment",
    });
  });

  it('no answer: unreachable, naming the server and the flag', () => {
    expect(
      describeFailure(flag, 'reading', url, { answered: false, reason: 'connection refused (ECONNREFUSED)' }, [token]),
    ).toEqual({
      ok: false,
      kind: 'unreachable',
      message:
        'Unleash at http://unleash:4242 is unreachable (connection refused (ECONNREFUSED)) while reading flag checkout-v2 in project shop, environment production; Sluice will retry',
    });
  });

  it("other statuses: Unleash's words, cut short and whitespace folded, from JSON or text", () => {
    const long = `proxy\n\n error ${'x'.repeat(400)}`;
    const failure = describeFailure(flag, 'reading', url, answered(502, undefined, long), [token]);
    expect(failure.kind).toBe('http');
    expect(failure.message).toMatch(
      /^Unleash answered 502 while reading flag checkout-v2 in project shop, environment production: proxy error x+…$/,
    );
    expect(failure.message.length).toBeLessThan(300);
  });

  it('never repeats the token, even when the server echoes it', () => {
    const failure = describeFailure(
      flag,
      'reading',
      url,
      answered(400, { message: `bad header Authorization: ${token}` }),
      [token],
    );
    expect(failure.message).not.toContain(token);
    expect(failure.message).toContain('bad header Authorization: [redacted]');
  });
});
