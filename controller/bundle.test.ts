import { describe, expect, it } from 'vitest';
import * as bundle from './bundle.ts';

// The post-pass the bundle gets after rolldown (charset 'ascii' leaves the kept license comments alone), named as
// the fix exports it; the current code does it inline over the whole text.
const asciiOnly = (bundle as Record<string, unknown>).asciiOnly as ((code: string) => string) | undefined;

describe('the bundle post-pass that makes the text ASCII', () => {
  // review: the post-pass rewrote every non-ASCII character of the output as \uXXXX, wherever it was. rolldown's
  // charset 'ascii' leaves one kind of code alone because it cannot escape it without changing it: a template's
  // raw text. String.raw`é` is "é" but String.raw`\u00e9` is the six characters "\u00e9", so a dependency with a
  // non-ASCII String.raw pattern (or any tagged template reading .raw) changed meaning in the image only, silently.
  it('escapes the license comments and leaves the raw text of a template as it was', () => {
    const code = '/*! formdata-polyfill. MIT License. Jimmy Wärting */\nexport const a = String.raw`é\\d`;\n';
    const out = asciiOnly?.(code);
    expect(out).toContain('Jimmy W\\u00e4rting');
    expect(out).toContain('String.raw`é\\d`');
  });
});
