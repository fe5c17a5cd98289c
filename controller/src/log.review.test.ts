/**
 * Review of issue 20's logging change (8557da5, 2e61135): pino's redaction (fast-redact) was replaced by
 * hideSecrets, a walk of the fields run as pino's formatters.log, and a patched logger.child.
 */
import { describe, expect, it } from 'vitest';
import { redactedValue, type Logger } from './log.ts';
import { captureLog } from './log.test-support.ts';

describe('review: a log call on a cyclic value', () => {
  // review: hideIn walks an array at the same depth as its holder (levels is not decremented for arrays) and walks
  // `headers` at any depth, with no record of what it has seen: an array that holds itself (or holds an array that
  // holds it), or a `headers` that leads back to itself, recurses until the stack overflows, and the RangeError
  // escapes the log call. pino's own stringify printed such a value as "[Circular]". The log calls that take
  // whatever came back from a library (`{ err }` in the worker loop, a hook's failure, unhandledRejection) then throw
  // out of the catch that was handling the failure: the reconcile's error is replaced by a stack overflow, and the
  // unhandledRejection handler throwing takes the process down.
  it('logs an array that holds itself, as before, instead of throwing a stack overflow', () => {
    const { log, lines } = captureLog();
    const loop: unknown[] = ['a'];
    loop.push(loop);
    expect(() =>
      log.warn({ err: Object.assign(new Error('watch failed'), { path: loop }) }, 'watch restarted'),
    ).not.toThrow();
    expect(() => log.info({ loop }, 'a list')).not.toThrow();
    expect(lines).toHaveLength(2);
  });

  it('logs headers that lead back to themselves, instead of throwing a stack overflow', () => {
    const { log, lines } = captureLog();
    const headers: Record<string, unknown> = { authorization: 'Bearer s3cr3t' };
    headers.headers = headers;
    expect(() => log.info({ request: { headers } }, 'a request')).not.toThrow();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ request: { headers: { authorization: redactedValue } } });
  });
});

describe('review: a secret interpolated into the message', () => {
  // review: pino applied its redaction to objects interpolated into the message too (%j, %o, %O: its formatOpts
  // stringify is the redactor when `redact` is set). formatters.log only sees the merge object, so
  // `log.info('provider %j', provider)` now prints the provider's token, which it hid before. No call in controller/src
  // does it today, but log.ts's contract ("fields whose values never reach a log line") is what every caller relies on.
  const provider = { url: 'http://unleash', token: 's3cr3t' };
  it.each([
    ['%j', (log: Logger) => log.info('unleash provider %j', provider)],
    ['%o', (log: Logger) => log.info('unleash provider %o', provider)],
    ['%O', (log: Logger) => log.info('unleash provider %O', provider)],
    ['%j after the fields', (log: Logger) => log.info({ step: 2 }, 'unleash provider %j', provider)],
  ])('hides a token in an object interpolated with %s', (_directive, call) => {
    const { log, lines } = captureLog();
    call(log);
    expect(JSON.stringify(lines[0])).not.toContain('s3cr3t');
    expect(lines[0]!.msg).toContain(redactedValue);
  });
});

describe('review: an error whose secret is hidden', () => {
  // review: copyOf turns an Error holding a secret into a plain object before pino's err serializer sees it, so the
  // serializer reads the type from its constructor, Object: the line says "type":"Object" instead of TypeError or
  // ApiException (alerts and queries on err.type miss exactly the errors that carried a credential), and an
  // AggregateError's errors (not enumerable, not copied) are dropped from the line.
  it('keeps the error type and the errors of an AggregateError', () => {
    const { log, lines } = captureLog();
    log.error({ err: Object.assign(new TypeError('bad header'), { token: 's3cr3t' }) }, 'a call failed');
    const inner = new Error('HTTP 401 from unleash');
    log.error({ err: Object.assign(new AggregateError([inner], 'every flag call failed'), { token: 's3cr3t' }) }, 'x');
    expect(JSON.stringify(lines)).not.toContain('s3cr3t');
    expect(lines[0]!.err).toMatchObject({ type: 'TypeError', message: 'bad header', token: redactedValue });
    expect(lines[1]!.err).toMatchObject({ type: 'AggregateError', token: redactedValue });
    expect(JSON.stringify(lines[1]!.err)).toContain('HTTP 401 from unleash');
  });
});
