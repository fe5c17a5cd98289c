/**
 * Argo conditions translated to CEL judge Sluice's `result` as Argo judged its own: Argo's result for a vector is
 * always a list, Sluice's is a number for one value. Each case evaluates the CEL on both shapes.
 */
import { describe, expect, it } from 'vitest';
import { evaluateHere } from '../analysis/celProgram.ts';
import { argoConditionToCel, UntranslatableError } from './argoExpr.ts';

const judge = (expr: string, result: number | number[]) => evaluateHere(argoConditionToCel(expr), result);

describe('argoConditionToCel', () => {
  it.each([
    ['result[0] >= 0.95', 0.96, [0.96, 0.1], true],
    ['result[0] >= 0.95', 0.9, [0.9, 1], false],
    ['result[0] < 0.01 && result[0] > 0', 0.005, [0.005], true],
    ['result[0] < 0.01 and result[0] > 0', 0, [0], false],
    ['len(result) > 0', 3, [1, 2], true],
    ['len(result) == 1', 3, [1], true],
    ['isNaN(result[0])', Number.NaN, [Number.NaN], true],
    ['not isNaN(result[0])', 1, [1], true],
    ['all(result, # > 0.9)', 0.95, [0.95, 0.99], true],
    ['all(result, {# > 0.9})', 0.5, [0.95, 0.5], false],
    ['any(result, # > 0.9)', 0.95, [0.1, 0.95], true],
    ['none(result, # > 0.9)', 0.5, [0.1, 0.2], true],
    ['result[0] * 100 >= 99 || result[0] == 0', 0.995, [0.995], true],
    ['not (result[0] > 5) && -1 < result[0]', 3, [3], true],
  ] as const)('%s', (expr, single, list, expected) => {
    expect(judge(expr, single)).toEqual({
      value: single === list[0] || typeof single === 'number' ? expected : expected,
    });
    expect(judge(expr, [...list])).toEqual({ value: expected });
  });

  it('counts a lone value as one, where Argo counted a one-element list', () => {
    expect(judge('len(result) == 2', 3)).toEqual({ value: false });
    expect(judge('len(result) == 2', [1, 2])).toEqual({ value: true });
  });

  it('keeps a scalar result a number, as in Argo', () => {
    expect(argoConditionToCel('result < 0.3')).toBe('result < 0.3');
  });

  it.each([
    ['result[0] in [1, 2]', 'unexpected "in"'],
    ['default(result[0], 0) < 1', 'the function default() has no CEL translation'],
    ['result.ok == true', 'the operator "." has no CEL translation here'],
    ['result[0]', 'it does not give true or false'],
    ['result[0] > "a"', '> between number and string has no faithful CEL translation'],
    ['result[0] ** 2 > 1', 'the operator "**" has no CEL translation here'],
    ['all(result, all(result, # > 1))', 'all() inside another all() or any()'],
    ['result[0] < 1e999', 'the number 1e999 is too large for CEL'],
    ['result[99999999999999999999] > 1', 'result is indexed by a constant whole number only'],
    ['constructor(result, # > 1)', 'the function constructor() has no CEL translation'],
    ['toString(result, # > 1)', 'the function toString() has no CEL translation'],
  ])('refuses %s: %s', (expr, why) => {
    expect(() => argoConditionToCel(expr)).toThrow(new UntranslatableError(why));
  });
});
