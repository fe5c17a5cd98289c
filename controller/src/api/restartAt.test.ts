import { describe, expect, it } from 'vitest';
import { parseRestartAt, restartPending, restartTimeFor } from './restartAt.ts';
import { validateRollout } from './validate.ts';
import type { Rollout } from './types.ts';

describe('parseRestartAt', () => {
  it('reads RFC 3339 times with a zone, fractions of a second included', () => {
    expect(parseRestartAt('2026-11-30T12:00:00Z')).toEqual({ kind: 'time', ms: Date.parse('2026-11-30T12:00:00Z') });
    expect(parseRestartAt('2026-11-30T14:00:00.250+02:00')).toEqual({
      kind: 'time',
      ms: Date.parse('2026-11-30T12:00:00.250Z'),
    });
  });

  it.each([
    ['garbage', 'is not an RFC 3339 time'],
    ['2026-11-30', 'is not an RFC 3339 time'],
    ['2026-11-30T12:00:00', 'is not an RFC 3339 time'], // no zone: whose noon?
    ['2026-11-30 12:00:00Z', 'is not an RFC 3339 time'],
    ['2026-02-31T12:00:00Z', 'is not a date and time of the calendar'], // Date.parse would say March 3
    ['2026-11-30T24:00:00Z', 'is not a date and time of the calendar'],
    ['2026-13-01T00:00:00Z', 'is not a date and time of the calendar'],
  ])('refuses %j: it %s', (value, why) => {
    const read = parseRestartAt(value);
    expect(read.kind).toBe('invalid');
    expect(read.kind === 'invalid' ? read.message : '').toContain(why);
  });
});

describe('validateRollout: spec.restartAt', () => {
  const rollout = (restartAt: string): Rollout => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout', namespace: 'shop' },
    spec: { workloadRef: { name: 'checkout' }, restartAt, strategy: { canary: { steps: [{ setWeight: 50 }] } } },
  });
  const none = { analysisTemplate: () => undefined, clusterAnalysisTemplate: () => undefined };

  it('names the field and says what to write for a value the API server did not refuse (an older CRD)', () => {
    const errors = validateRollout(rollout('yesterday'), none);
    expect(errors.map((e) => [e.field, e.code])).toEqual([['spec.restartAt', 'InvalidTime']]);
    expect(errors[0]!.message).toMatch(/^"yesterday" is not an RFC 3339 time: write .* such as 2026-01-02T15:04:05Z/);
    expect(validateRollout(rollout('2026-11-30T12:00:00Z'), none)).toEqual([]);
  });
});

describe('restartTimeFor (kubectl sluice restart)', () => {
  it('writes now rounded up to the whole second, which parseRestartAt reads back', () => {
    expect(restartTimeFor(new Date('2026-11-30T11:40:59.300Z'))).toBe('2026-11-30T11:41:00Z');
    expect(restartTimeFor(new Date('2026-11-30T11:40:59.000Z'))).toBe('2026-11-30T11:40:59Z');
    expect(parseRestartAt(restartTimeFor(new Date('2026-11-30T23:59:59.999Z')))).toEqual({
      kind: 'time',
      ms: Date.parse('2026-12-01T00:00:00Z'),
    });
  });
});

describe('whether a restart is pending', () => {
  const at = '2026-01-02T15:04:05Z';
  it('is pending until done, done on the stable revision of then, and pending again once another is stable', () => {
    expect(restartPending(undefined, { restartedAt: at })).toBe(false);
    expect(restartPending(at, undefined)).toBe(true);
    expect(restartPending(at, { restartedAt: at, restartedRevision: 'b', stableRevision: 'b' })).toBe(false);
    expect(restartPending(at, { restartedAt: at, restartedRevision: 'b', stableRevision: 'a' })).toBe(true);
    // Recorded before restartedRevision was: done, as it was read then.
    expect(restartPending(at, { restartedAt: at, stableRevision: 'a' })).toBe(false);
  });
});
