import { describe, expect, it } from 'vitest';
import { durationPattern, formatDuration, isDuration, longerThan, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['500ms', 500],
    ['30s', 30_000],
    ['1m', 60_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['2m0.5s', 120_500],
    ['250us', 0.25],
    ['1500ns', 0.0015],
    ['1h1m1s1ms', 3_661_001],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '30', '1d', '-1s', '1.s', '.5s', '1 m', '1m ', 's', '1µs', '5S'])(
    'refuses %j and says how to write one',
    (text) => {
      expect(() => parseDuration(text)).toThrow(
        /is not a duration: write a number and a unit .* like 30s, 1m, 1h30m or 500ms/,
      );
    },
  );

  it('names the field the string came from', () => {
    expect(() => parseDuration('5 minutes', 'spec.strategy.canary.steps[1].pause.duration')).toThrow(
      expect.objectContaining({
        name: 'DurationError',
        field: 'spec.strategy.canary.steps[1].pause.duration',
        message: expect.stringMatching(
          /^spec\.strategy\.canary\.steps\[1\]\.pause\.duration: "5 minutes" is not a duration/,
        ) as unknown,
      }),
    );
  });

  it('agrees with the schema pattern on what is a duration', () => {
    const pattern = new RegExp(durationPattern);
    for (const text of ['0', '1h', '1h30m', '10.25s', '1x', '', 'h1']) {
      expect(isDuration(text)).toBe(pattern.test(text));
    }
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [30_000, '30s'],
    [5_400_000, '1h30m'],
    [120_500, '2m500ms'],
    [0.25, '250us'],
    [90_061_001, '25h1m1s1ms'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 999, 1000, 61_000, 3_600_000, 3_723_004, 0.001]) {
      expect(parseDuration(formatDuration(ms))).toBeCloseTo(ms, 9);
    }
  });

  it('refuses negative and infinite durations', () => {
    expect(() => formatDuration(-1)).toThrow(RangeError);
    expect(() => formatDuration(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('longerThan', () => {
  it('says by how much a duration is over its bound, and nothing at or under it', () => {
    expect(longerThan('61s', '60s')).toBe('61s is longer than the 60s allowed');
    expect(longerThan('1m', '60s')).toBeUndefined();
    expect(longerThan('721h', '720h')).toBe('721h is longer than the 720h allowed');
    expect(longerThan('not a duration', '60s')).toBeUndefined();
  });
});
