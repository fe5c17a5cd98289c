import { describe, expect, it } from 'vitest';
import { barWidth, detailHash, formatValue, phaseClass, phaseText, routeOf, stepText, visibleRange } from './format.ts';

describe('format', () => {
  it('colours each phase, and an unknown one grey', () => {
    expect(['Progressing', 'Paused', 'Healthy', 'Degraded', ''].map(phaseClass)).toEqual([
      'phase-progressing',
      'phase-paused',
      'phase-healthy',
      'phase-degraded',
      'phase-unknown',
    ]);
    expect(phaseText({ phase: '', paused: false, aborted: false })).toBe('Pending');
    expect(phaseText({ phase: 'Paused', paused: true, aborted: true })).toBe('Paused (aborted)');
  });

  it('writes the step as n/m and keeps bars within 0..100', () => {
    expect(stepText({ step: { current: 2, total: 5 } })).toBe('2/5');
    expect([barWidth(-5), barWidth(33.4), barWidth(250), barWidth(NaN)]).toEqual([0, 33, 100, 0]);
  });

  it('shortens measured values and falls back to the text', () => {
    expect([
      formatValue(0.012345, '0.012345'),
      formatValue(1234567, undefined),
      formatValue(null, '[1,2]'),
      formatValue(null, undefined),
    ]).toEqual(['0.01235', '1.23e+6', '[1,2]', '–']);
  });

  it('routes between the list and one rollout, names with any character', () => {
    expect(routeOf('')).toEqual({ view: 'list' });
    expect(routeOf('#/')).toEqual({ view: 'list' });
    expect(routeOf(detailHash('shop', 'check out'))).toEqual({ view: 'detail', namespace: 'shop', name: 'check out' });
  });

  it('draws only the rows in view of a 1,000-row list', () => {
    expect(visibleRange(0, 360, 36, 1_000)).toEqual({ first: 0, last: 18 });
    expect(visibleRange(36_000 - 360, 360, 36, 1_000)).toEqual({ first: 982, last: 1_000 });
    expect(visibleRange(0, 360, 36, 0)).toEqual({ first: 0, last: 0 });
  });
});
