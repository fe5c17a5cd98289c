import { describe, expect, it } from 'vitest';
import { thresholdsOf } from './thresholds.ts';

describe('thresholdsOf', () => {
  it('reads one comparison of result with a number', () => {
    expect(thresholdsOf('result < 0.05', 'success')).toEqual([{ verdict: 'success', op: '<', value: 0.05 }]);
    expect(thresholdsOf('result[0] >= 1e3', 'failure')).toEqual([{ verdict: 'failure', op: '>=', value: 1000 }]);
    expect(thresholdsOf('(result <= -2)', 'success')).toEqual([{ verdict: 'success', op: '<=', value: -2 }]);
  });

  it('turns a number written first around', () => {
    expect(thresholdsOf('0.1 > result', 'success')).toEqual([{ verdict: 'success', op: '<', value: 0.1 }]);
  });

  it('reads a band joined with &&', () => {
    expect(thresholdsOf('result >= 0.9 && result <= 1.1', 'success')).toEqual([
      { verdict: 'success', op: '>=', value: 0.9 },
      { verdict: 'success', op: '<=', value: 1.1 },
    ]);
  });

  it('draws nothing for what it cannot read for sure', () => {
    expect(thresholdsOf(undefined, 'success')).toEqual([]);
    expect(thresholdsOf('result < 0.05 || result > 10', 'success')).toEqual([]);
    expect(thresholdsOf('result < 0.05 && size(result) > 0', 'success')).toEqual([]);
    expect(thresholdsOf('max(result) < 3', 'failure')).toEqual([]);
    expect(thresholdsOf('result == 0', 'success')).toEqual([]);
    expect(thresholdsOf('', 'success')).toEqual([]);
  });
});
