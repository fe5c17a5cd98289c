import { describe, expect, it } from 'vitest';
import { printable } from './terminalText.ts';

describe('printable', () => {
  it.each([
    ['colour and screen clearing', 'bad \u001b[31mred\u001b[0m \u001b[2J\u001b[Hend', 'bad red end'],
    ['a window title (OSC, BEL-terminated)', 'x\u001b]0;pwned\u0007y', 'xy'],
    ['a hyperlink (OSC, ST-terminated)', '\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\', 'click'],
    ['a device-control string', 'a\u001bPq#0;2;0;0;0\u001b\\b', 'ab'],
    ['8-bit C1 CSI and OSC', 'a\u009b2Jb\u009d0;t\u009cc', 'abc'],
    ['a two-byte escape (reset terminal)', 'a\u001bcb', 'ab'],
    ['a lone ESC at the end', 'a\u001b', 'a'],
    [
      'carriage return and newline that would fake a line',
      'fine\rPhase:        Healthy\nMessage: ok',
      'fine Phase:        Healthy Message: ok',
    ],
    ['BEL, backspace, NUL, DEL and other C0/C1', 'a\u0007b\u0008c\u0000d\u007fe\u0085f', 'abcdef'],
    ['bidirectional overrides', 'abc\u202edcba\u202c', 'abcdcba'],
    ['tabs', 'a\tb', 'a b'],
  ])('removes %s', (_what, hostile, shown) => {
    expect(printable(hostile)).toBe(shown);
  });

  it('leaves ordinary text, including non-ASCII, as it is', () => {
    const text = 'canary 20% → 50%: p99 latency 0.42s > 0.30s (Größe, 日本語) [ok]';
    expect(printable(text)).toBe(text);
  });
});
