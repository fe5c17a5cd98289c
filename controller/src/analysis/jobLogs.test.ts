import { describe, expect, it } from 'vitest';
import { logTail, maskCredentials, stripControl } from './jobLogs.ts';

describe("the tail of a failed pod's log", () => {
  it('keeps the last 20 lines, marking the cut', () => {
    const log = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const tail = logTail(log);
    expect(tail.split('\n')).toHaveLength(20);
    expect(tail.startsWith('…line 80\n')).toBe(true);
    expect(tail.endsWith('line 99')).toBe(true);
  });

  it('keeps at most the byte bound, from the end, never splitting a character', () => {
    const log = `${'ä'.repeat(3000)}\nEND`;
    const tail = logTail(log, { lines: 20, bytes: 101 });
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(101);
    expect(tail.endsWith('\nEND')).toBe(true);
    expect(tail).not.toContain('\uFFFD');
  });

  it('strips terminal escapes and control characters, keeping tabs and newlines', () => {
    expect(stripControl('\u001b[31mFAIL\u001b[0m\tcheckout\r\nnext\u0000\u0007\u009b')).toBe('FAIL\tcheckout\nnext');
    // A carriage return alone would let a line overwrite the one before in a terminal.
    expect(logTail('ok\rFAKE PASS')).toBe('okFAKE PASS');
  });

  it('masks what looks like a credential', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlc2lnbmF0dXJl';
    const masked = maskCredentials(
      [
        'password=hunter2',
        'API_KEY: "abc123"',
        'Authorization: Bearer s3cr3t-token',
        `token ${jwt}`,
        'GET https://user:pa55@example.test/x',
        '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----',
      ].join('\n'),
    );
    for (const secret of ['hunter2', 'abc123', 's3cr3t-token', jwt, 'pa55', 'MIIE'])
      expect(masked).not.toContain(secret);
    expect(masked).toContain('password=[redacted]');
    expect(masked).toContain('https://user:[redacted]@example.test/x');
  });

  it('says nothing for a log of blanks', () => {
    expect(logTail('\n\n  \n')).toBe('');
  });
});
