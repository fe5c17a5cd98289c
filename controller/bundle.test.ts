import { describe, expect, it } from 'vitest';
import { asciiOnly } from './bundle.ts';

describe('asciiOnly, the bundle post-pass that makes the text ASCII', () => {
  // review: the post-pass rewrote every non-ASCII character of the output as \uXXXX, wherever it was. rolldown's
  // charset 'ascii' leaves one kind of code alone because it cannot escape it without changing it: a template's
  // raw text. String.raw`é` is "é" but String.raw`\u00e9` is the six characters "\u00e9", so a dependency with a
  // non-ASCII String.raw pattern (or any tagged template reading .raw) changed meaning in the image only, silently.
  it('escapes the license comments and leaves the raw text of a template as it was', () => {
    const code = '/*! formdata-polyfill. MIT License. Jimmy Wärting */\nexport const a = String.raw`é\\d`;\n';
    const out = asciiOnly(code);
    expect(out).toContain('Jimmy W\\u00e4rting');
    expect(out).toContain('String.raw`é\\d`');
  });

  it('escapes line comments, and a line separator ends one as before (what follows it is code, left as it is)', () => {
    const code = 'const a = 1; //! Wärting\u2028const b = `ü`; // ö\n';
    expect(asciiOnly(code)).toBe('const a = 1; //! W\\u00e4rting\u2028const b = `ü`; // \\u00f6\n');
  });
});
