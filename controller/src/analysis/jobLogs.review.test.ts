import { describe, expect, it } from 'vitest';
import { logTail } from './jobLogs.ts';

describe('review: a failed pod log tail in the status message', () => {
  // review: stripControl removed C0/C1 controls but not Unicode bidi overrides/isolates or zero-width characters: a
  // tenant's pod printed "\u202E" and kubectl/dashboards showed the Rollout's status message reordered ("Trojan
  // source"), so an on-call engineer reads a different text than is stored.
  it('drops bidi overrides, isolates and zero-width characters', () => {
    const tail = logTail('result: \u202Eliaf\u202C ok\u2066x\u2069 \u200Bzero\uFEFF\u2028next');
    expect(tail).not.toMatch(/[\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF\u2028\u2029]/);
    expect(tail).toContain('result: liaf ok');
  });
});
