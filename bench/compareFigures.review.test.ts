/** Review of --compare sluice: what the run prints and writes beside its table. */
import { describe, expect, it } from 'vitest';
import { compareNotes, compareNotesFor } from './compareFigures.ts';

describe('the notes of a compared run, review', () => {
  // review: `--compare sluice` printed and wrote (compare.notes in the JSON) the side-by-side run's notes, which say
  // that both controllers ran ("both controllers at the same QPS and burst", "one at a time", how Argo's RSS after GC
  // was read): a results file of Sluice alone claimed an Argo run that never happened.
  it("given Sluice's side alone, then no note speaks of Argo or of a second controller", () => {
    for (const note of compareNotesFor(false)) expect(note).not.toMatch(/Argo|both controllers|one at a time/);
    expect(compareNotesFor(false).length).toBeGreaterThan(0);
  });

  it('given both sides, then the notes are those of the side-by-side run', () => {
    expect(compareNotesFor(true)).toEqual(compareNotes);
  });
});
