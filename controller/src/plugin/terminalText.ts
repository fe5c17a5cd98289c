/**
 * Makes text from the cluster safe to print on a terminal. Rollout status, conditions and Events are written by
 * anyone with the right RBAC (or copied from a metric, a webhook, an Unleash answer), and a terminal obeys what it
 * prints: an escape sequence can clear the screen, rewrite earlier lines, retitle the window or, on some terminals,
 * answer back as typed input; a CR or a newline inside a message can overwrite or fake a line of `status` output
 * ("Phase: Healthy"). So every string the plugin did not write itself goes through `printable` first.
 */

// Whole escape sequences, so that no "[31m" is left behind: CSI (ESC [ or 8-bit 0x9B, parameters, one final
// byte), OSC/DCS/SOS/PM/APC strings up to their terminator (BEL or ESC \ or 0x9C), and two-byte ESC sequences.
const escapeSequence = new RegExp(
  [
    '(?:\\u001b\\[|\\u009b)[\\u0030-\\u003f]*[\\u0020-\\u002f]*[\\u0040-\\u007e]?',
    '(?:\\u001b[\\]PX^_]|[\\u0090\\u0098\\u009d-\\u009f])[^\\u0007\\u001b\\u009c]*(?:\\u0007|\\u001b\\\\|\\u009c)?',
    '\\u001b[\\u0020-\\u007e]?',
  ].join('|'),
  'gu',
);

// What is left of C0 and C1, DEL, line and paragraph separators, and the bidirectional overrides that can make a
// line read differently from what it holds.
// eslint-disable-next-line no-control-regex
const controlCharacter = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/**
 * `text` with escape sequences removed, and every other control character removed too, except tabs and line breaks,
 * which become a space: a value stays on the one line that the layout gives it.
 */
export function printable(text: string): string {
  return text
    .replace(escapeSequence, '')
    .replace(controlCharacter, (c) =>
      c === '\t' || c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029' ? ' ' : '',
    );
}

/** Rows under a header, each column as wide as its widest cell, three spaces apart, as kubectl lays out a list. */
export function columns(head: readonly string[], rows: readonly string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [head, ...rows]
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}
