/**
 * The tail of a failed Job pod's log, made fit for a status message: the last lines only, bounded in bytes, control
 * characters (terminal escapes, NULs, carriage returns that would overwrite the line before) taken out, and what
 * looks like a credential replaced. The pod's log is the tenant's program's output: it may print anything, a
 * Secret it was given among it. The exact values of the Secrets the measurement read are redacted by the engine
 * (measure.ts); the pod's own Secrets Sluice never reads, so what looks like one is masked here by its shape.
 */

export const logTailLimits = { lines: 20, bytes: 2048 } as const;

// C0 controls but tab and newline, DEL, and C1 controls: ESC [ ... sequences lose their ESC and become harmless text.
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;
// CSI sequences whole (colours, cursor moves), before their ESC alone would be stripped and leave "[31m".
// eslint-disable-next-line no-control-regex
const ansiSequences = /\u001B\[[0-?]*[ -/]*[@-~]/g;

// Bidi overrides/embeddings/isolates, zero-width characters and the BOM: they reorder or hide the text a terminal
// shows ("Trojan source"), so a status message would read differently from what it says.
const invisibleFormatting = /[\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/g;
/** Unicode line and paragraph separators: a line break by another name. */
const unicodeLineBreaks = /[\u2028\u2029]/g;

/** "password=...", "token: ...", "Authorization: Bearer ...": the value after a credential's name. */
const namedCredential =
  /((?:pass(?:word|wd)?|secret|token|api[-_]?key|access[-_]?key|auth(?:orization)?|credentials?|private[-_]?key)["']?\s*[:=]\s*["']?)(?:(?:bearer|basic)\s+)?[^\s"',;&]+/gi;
/** A JWT (a service account token, an OIDC token) wherever it appears. */
const jsonWebToken = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g;
/** user:password@ in a URL. */
const urlPassword = /(\/\/[^\s:/@]+:)[^\s@/]+@/g;
/** A PEM private key block, or what of it survived the cut. */
const pemKey = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g;

/** Masks what looks like a credential in `text`. */
export function maskCredentials(text: string): string {
  return text
    .replace(pemKey, '[redacted private key]')
    .replace(jsonWebToken, '[redacted]')
    .replace(urlPassword, '$1[redacted]@')
    .replace(namedCredential, '$1[redacted]');
}

/** Strips control characters, terminal escapes and invisible formatting, keeping tabs and newlines. */
export function stripControl(text: string): string {
  return text
    .replace(ansiSequences, '')
    .replace(/\r\n/g, '\n')
    .replace(unicodeLineBreaks, '\n')
    .replace(controlCharacters, '')
    .replace(invisibleFormatting, '');
}

/**
 * The last `lines` lines of `log` within `bytes` bytes of UTF-8, cleaned. A cut is marked with "…" at the start,
 * and never splits a character. Empty when the log has nothing but blanks.
 */
export function logTail(log: string, limits: { lines: number; bytes: number } = logTailLimits): string {
  const cleaned = maskCredentials(stripControl(log)).replace(/\s+$/, '');
  let lines = cleaned.split('\n');
  let cut = false;
  if (lines.length > limits.lines) {
    lines = lines.slice(-limits.lines);
    cut = true;
  }
  let text = lines.join('\n');
  if (Buffer.byteLength(text) > limits.bytes) {
    // From the end, by characters, so that a multi-byte character is kept whole or not at all.
    const chars = [...text];
    let size = 0;
    let start = chars.length;
    while (start > 0 && size + Buffer.byteLength(chars[start - 1]!) <= limits.bytes - 3) {
      start--;
      size += Buffer.byteLength(chars[start]!);
    }
    text = chars.slice(start).join('');
    cut = true;
  }
  if (text.trim() === '') return '';
  return cut ? `…${text}` : text;
}
