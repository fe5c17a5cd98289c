import { describe, expect, it } from 'vitest';
import { hideSecrets, redactedValue, rolloutLogger } from './log.ts';
import { captureLog } from './log.test-support.ts';

describe('createLogger', () => {
  it('writes one JSON object per line with the component, a readable level and an ISO time', () => {
    const { log, lines } = captureLog();
    log.info({ rollouts: 3 }, 'watching rollouts');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ component: 'sluice', level: 'info', msg: 'watching rollouts', rollouts: 3 });
    expect(lines[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(lines[0]).not.toHaveProperty('pid');
  });

  it('drops lines below the configured level', () => {
    const { log, lines } = captureLog('warn');
    log.debug('noise');
    log.info('still noise');
    log.warn('lease lost');
    log.error('cannot reach the API server');
    expect(lines.map((l) => l.level)).toEqual(['warn', 'error']);
  });

  it('logs trace lines when asked to', () => {
    const { log, lines } = captureLog('trace');
    log.trace('watch event');
    expect(lines).toMatchObject([{ level: 'trace', msg: 'watch event' }]);
  });

  it('serializes an error with its message, stack and cause', () => {
    const { log, lines } = captureLog();
    log.error({ err: new Error('patch failed', { cause: new Error('409 Conflict') }) }, 'reconcile failed');
    const err = lines[0]!.err as Record<string, unknown>;
    expect(err.message).toMatch(/patch failed/);
    expect(err.stack).toMatch(/log\.test\.ts/);
    expect(JSON.stringify(err)).toMatch(/409 Conflict/);
  });
});

describe('createLogger redaction', () => {
  it.each([
    ['a top-level token', { token: 's3cr3t' }, ['token']],
    ['a nested token', { unleash: { apiToken: 's3cr3t', url: 'http://unleash' } }, ['unleash', 'apiToken']],
    ['a provider password', { prometheus: { password: 's3cr3t' } }, ['prometheus', 'password']],
    ['an authorization header', { headers: { authorization: 'Bearer s3cr3t' } }, ['headers', 'authorization']],
    ['a capitalized Authorization header', { headers: { Authorization: 's3cr3t' } }, ['headers', 'Authorization']],
    [
      'the headers of a request',
      { req: { headers: { authorization: 'Bearer s3cr3t', cookie: 's3cr3t' } } },
      ['req', 'headers', 'authorization'],
    ],
    ['a bearer token of a provider', { provider: { bearerToken: 's3cr3t' } }, ['provider', 'bearerToken']],
  ])('hides %s', (_what, fields, path) => {
    const { log, lines } = captureLog();
    log.info(fields, 'calling a provider');
    const raw = JSON.stringify(lines[0]);
    expect(raw).not.toContain('s3cr3t');
    let value: unknown = lines[0];
    for (const segment of path) value = (value as Record<string, unknown>)[segment];
    expect(value).toBe(redactedValue);
  });

  it('keeps fields that merely look similar', () => {
    const { log, lines } = captureLog();
    log.info(
      { tokenSecretName: 'unleash-admin', headers: { accept: 'application/json' } },
      'reading a secret reference',
    );
    expect(lines[0]).toMatchObject({ tokenSecretName: 'unleash-admin', headers: { accept: 'application/json' } });
  });

  it('hides secrets bound into a child logger too', () => {
    const { log, lines } = captureLog();
    log.child({ unleash: { token: 's3cr3t' } }).info('connected');
    log
      .child({ namespace: 'shop' })
      .child({ headers: { cookie: 's3cr3t' } })
      .info('a child of a child');
    expect(lines).toHaveLength(2);
    expect(JSON.stringify(lines)).not.toContain('s3cr3t');
    expect(lines[1]).toMatchObject({ namespace: 'shop', headers: { cookie: redactedValue } });
  });
});

describe('rolloutLogger', () => {
  it('puts the namespace, name and revision on every line', () => {
    const { log, lines } = captureLog();
    const rolloutLog = rolloutLogger(log, { namespace: 'shop', name: 'checkout', revision: '7f9c6d' });
    rolloutLog.info({ weight: 20 }, 'set canary weight');
    rolloutLog.warn('analysis inconclusive');
    for (const line of lines) {
      expect(line).toMatchObject({ component: 'sluice', namespace: 'shop', name: 'checkout', revision: '7f9c6d' });
    }
    expect(lines[0]).toMatchObject({ weight: 20, msg: 'set canary weight' });
  });

  it('leaves the revision out when it is not known yet', () => {
    const { log, lines } = captureLog();
    rolloutLogger(log, { namespace: 'shop', name: 'checkout' }).info('first reconcile');
    expect(lines[0]).toMatchObject({ namespace: 'shop', name: 'checkout' });
    expect(lines[0]).not.toHaveProperty('revision');
  });

  it('does not change the parent logger', () => {
    const { log, lines } = captureLog();
    rolloutLogger(log, { namespace: 'shop', name: 'checkout' });
    log.info('controller started');
    expect(lines[0]).not.toHaveProperty('namespace');
  });
});

describe('hideSecrets', () => {
  it('gives back the very object when it holds no secret, so that a plain line allocates nothing for it', () => {
    const fields = { namespace: 'shop', name: 'checkout', route: { weight: 20, headers: { accept: 'text/plain' } } };
    expect(hideSecrets(fields)).toBe(fields);
  });

  it("never edits the caller's object: the levels holding a secret are copied", () => {
    const fields = { provider: { url: 'http://prom', headers: { Authorization: 'Bearer s3cr3t' } }, other: { a: 1 } };
    const hidden = hideSecrets(fields);
    expect(hidden).toEqual({
      provider: { url: 'http://prom', headers: { Authorization: redactedValue } },
      other: { a: 1 },
    });
    expect(fields.provider.headers.Authorization).toBe('Bearer s3cr3t');
    expect(hidden.other).toBe(fields.other);
  });

  it('hides a secret carried by an error, and the line still has its message and stack', () => {
    const { log, lines } = captureLog();
    const cause = new Error('HTTP 401');
    const err = Object.assign(new Error('unleash refused the call', { cause }), { token: 's3cr3t' });
    log.error({ err }, 'flag step failed');
    expect(JSON.stringify(lines[0])).not.toContain('s3cr3t');
    expect(lines[0]!.err).toMatchObject({ message: 'unleash refused the call', token: redactedValue });
    expect(JSON.stringify(lines[0]!.err)).toContain('HTTP 401');
    expect((lines[0]!.err as { stack: string }).stack).toMatch(/log\.test\.ts/);
  });

  it('hides secrets in the objects of an array, which counts as no level', () => {
    const { log, lines } = captureLog();
    log.info({ providers: [{ password: 's3cr3t' }] }, 'providers');
    expect(JSON.stringify(lines[0])).not.toContain('s3cr3t');
  });
});
