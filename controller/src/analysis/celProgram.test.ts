import { describe, expect, it } from 'vitest';
import { compileCondition, comprehensionDepth, maxComprehensionDepth, staticCostProblem } from './celProgram.ts';

function parsed(expression: string) {
  const compiled = compileCondition(expression);
  if (!compiled.ok) throw new Error(compiled.error);
  return compiled.run;
}

describe('comprehensionDepth', () => {
  it.each<[string, number]>([
    ['result < 0.05', 0],
    ['result.all(x, x < 1)', 1],
    ['result.filter(x, x > 1).size() < 3', 1],
    ['result.all(s, s.all(x, x < 1))', 2],
    ['result.map(s, s.exists(x, x > 1)).all(b, !b)', 2],
    ['result.all(x, x < 1) && result.exists(x, x > 0)', 1],
  ])('%s nests %i deep', (expression, depth) => {
    expect(comprehensionDepth(parsed(expression).ast)).toBe(depth);
  });
});

describe('static cost', () => {
  const threeDeep = 'result.all(a, result.all(b, result.all(c, a + b + c > -1.0)))';

  it(`refuses more than ${maxComprehensionDepth} nested comprehensions when compiling, saying what to do instead`, () => {
    const compiled = compileCondition(threeDeep);
    expect(compiled.ok).toBe(false);
    expect(!compiled.ok && compiled.error).toMatch(
      /nests 3 comprehensions .* at most 2 .* compare against an aggregate/,
    );
  });

  it('accepts every sample of every series', () => {
    expect(compileCondition('result.all(s, s.all(x, x < 0.05))').ok).toBe(true);
  });

  it('refuses an expression too large to be a condition at parse time', () => {
    const huge = Array.from({ length: 1_500 }, (_, i) => `result != ${i}.0`).join(' && ');
    const compiled = compileCondition(huge);
    expect(!compiled.ok && compiled.error).toMatch(/Exceeded maxAstNodes/);
  });

  it('finds nothing to say about a cheap expression', () => {
    expect(staticCostProblem(parsed('result.all(x, x < 1)'))).toBeUndefined();
  });
});
