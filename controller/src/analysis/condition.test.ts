import { afterAll, describe, expect, it } from 'vitest';
import { CelSandbox } from './celSandbox.ts';
import {
  celResult,
  compileCondition,
  judgeByConditions,
  maxConditionJsonChars,
  maxConditionSamples,
  type Conditions,
  type Judgeable,
  type MeasuredPhase,
  type PromData,
} from './condition.ts';

const scalar = (v: number): PromData => ({ kind: 'scalar', values: [v] });
const vector = (...values: number[]): PromData => ({ kind: 'vector', values });
const empty: PromData = { kind: 'empty' };

const both: Conditions = { successCondition: 'result < 0.05', failureCondition: 'result >= 0.10' };
const onlySuccess: Conditions = { successCondition: 'result < 0.05' };
const onlyFailure: Conditions = { failureCondition: 'result >= 0.10' };

describe('judgeByConditions', () => {
  it.each<[string, Conditions, PromData, MeasuredPhase]>([
    ['both, success holds', both, scalar(0.01), 'Successful'],
    ['both, failure holds', both, scalar(0.31), 'Failed'],
    ['both, neither holds', both, scalar(0.07), 'Inconclusive'],
    ['only success, holds', onlySuccess, scalar(0.01), 'Successful'],
    ['only success, does not hold', onlySuccess, scalar(0.07), 'Failed'],
    ['only failure, holds', onlyFailure, scalar(0.5), 'Failed'],
    ['only failure, does not hold', onlyFailure, scalar(0.01), 'Successful'],
    ['an integer-valued result against a double literal', { successCondition: 'result == 1' }, scalar(1), 'Successful'],
    ['a single-series vector is a number', onlySuccess, vector(0.01), 'Successful'],
    ['a list with all()', { successCondition: 'result.all(x, x < 0.05)' }, vector(0.01, 0.02), 'Successful'],
    ['a list with all(), one too high', { successCondition: 'result.all(x, x < 0.05)' }, vector(0.01, 0.2), 'Failed'],
    [
      'a range of one series is its samples',
      { successCondition: 'result.all(x, x < 1)' },
      { kind: 'matrix', series: [[0.1, 0.2]] },
      'Successful',
    ],
  ])('%s: %s', async (_what, conditions, data, phase) => {
    expect((await judgeByConditions(conditions, data)).phase).toBe(phase);
  });

  it('says which condition decided a failure', async () => {
    await expect(judgeByConditions(both, scalar(0.31))).resolves.toEqual({
      phase: 'Failed',
      message: 'failureCondition result >= 0.10',
      decidedBy: 'failureCondition',
    });
    await expect(judgeByConditions(onlySuccess, scalar(0.07))).resolves.toEqual({
      phase: 'Failed',
      message: 'successCondition result < 0.05 not met',
      decidedBy: 'successCondition',
    });
    const neither = await judgeByConditions(both, scalar(0.07));
    expect(neither.message).toBe('neither successCondition result < 0.05 nor failureCondition result >= 0.10 holds');
    expect(neither.decidedBy).toBeUndefined();
  });

  describe('no data is never a pass', () => {
    const permissive: Conditions[] = [
      both,
      onlySuccess,
      onlyFailure,
      { successCondition: 'true' },
      { successCondition: '!(result > 1)' },
      { successCondition: 'result != 0.5' },
      { failureCondition: 'false' },
      { successCondition: 'size(result) == 0' },
    ];
    const forLists: Conditions[] = [
      { successCondition: 'result.all(x, x < 0.05)', failureCondition: 'result.exists(x, x >= 0.10)' },
      { successCondition: 'result.exists(x, x < 0.05)' },
      { successCondition: 'true' },
      { failureCondition: 'result.exists(x, x >= 0.10)' },
      { successCondition: '!result.exists(x, x > 1)' },
    ];
    const noData: [string, PromData, Conditions[]][] = [
      ['empty', empty, [...permissive, ...forLists]],
      ['NaN', scalar(NaN), permissive],
      ['+Inf', scalar(Infinity), permissive.filter((c) => c !== both && c !== onlyFailure)],
      ['-Inf', scalar(-Infinity), permissive],
      ['a vector with one NaN', vector(0.01, NaN), forLists],
      ['a range with an infinity', { kind: 'matrix', series: [[0.01, -Infinity]] }, forLists],
    ];
    for (const [what, data, conditionSets] of noData) {
      it.each(conditionSets)(`${what} is not Successful with %j`, async (conditions) => {
        const verdict = await judgeByConditions(conditions, data);
        expect(verdict.phase).toBe('Inconclusive');
      });
    }

    it('an empty result is Inconclusive and says so', async () => {
      await expect(judgeByConditions(both, empty)).resolves.toEqual({
        phase: 'Inconclusive',
        message: 'the query returned no data; no data is never a pass',
        decidedBy: 'noData',
      });
    });

    it('a failureCondition that holds on +Inf still fails', async () => {
      expect((await judgeByConditions(both, scalar(Infinity))).phase).toBe('Failed');
    });

    it('NaN with a failureCondition that does not hold is Inconclusive', async () => {
      await expect(judgeByConditions(both, scalar(NaN))).resolves.toEqual({
        phase: 'Inconclusive',
        message: 'the result holds NaN or an infinity; such a value is never a pass',
        decidedBy: 'nonFinite',
      });
    });
  });

  it.each<[Conditions, string]>([
    [{ successCondition: 'result <' }, 'successCondition result < is not valid CEL: Unexpected token: EOF'],
    [{ successCondition: 'foo > 1' }, 'is not valid CEL: Unknown variable: foo'],
    [{ successCondition: '1 + 1' }, 'it gives int, not true or false'],
    [{ successCondition: 'result' }, 'must give true or false, gave 0.5'],
    [{ failureCondition: 'result >= "x"' }, 'could not be evaluated: no such overload'],
  ])('makes an expression problem an Error, not a crash: %j', async (conditions, message) => {
    const verdict = await judgeByConditions(conditions, scalar(0.5));
    expect(verdict.phase).toBe('Error');
    expect(verdict.message).toContain(message);
  });

  it('hints at list access when a list meets a number comparison', async () => {
    const verdict = await judgeByConditions(onlySuccess, vector(0.01, 0.02));
    expect(verdict).toEqual({
      phase: 'Error',
      message:
        'successCondition result < 0.05 could not be evaluated: no such overload: dyn<list<double>> < double (result is a list of 2: use result[0] or result.all(x, ...))',
    });
  });
});

describe('celResult', () => {
  it.each<[PromData, unknown]>([
    [empty, undefined],
    [scalar(2), 2],
    [vector(1, 2), [1, 2]],
    [{ kind: 'matrix', series: [[1]] }, 1],
    [{ kind: 'matrix', series: [[1, 2]] }, [1, 2]],
    [{ kind: 'matrix', series: [[1], [2, 3]] }, [[1], [2, 3]]],
  ])('gives %j to CEL as %j', (data, value) => {
    expect(celResult(data)).toEqual(value);
  });
});

describe('compileCondition', () => {
  it('compiles an expression once', () => {
    expect(compileCondition('result > 42')).toBe(compileCondition('result > 42'));
  });
});

describe('the cost of a condition is bounded', () => {
  const sandbox = new CelSandbox({ deadlineMs: 150 });
  afterAll(() => sandbox.close());
  const range = (series: number, samples: number): PromData => ({
    kind: 'matrix',
    series: Array.from({ length: series }, (_, s) => Array.from({ length: samples }, (_, i) => (s + i) / 1_000)),
  });

  it('makes a condition that overruns an Error saying it was too expensive and what to do, and the event loop keeps ticking', async () => {
    let worstLag = 0;
    let last = performance.now();
    const probe = setInterval(() => {
      const now = performance.now();
      worstLag = Math.max(worstLag, now - last - 10);
      last = now;
    }, 10);
    const verdict = await judgeByConditions(
      { successCondition: 'result.all(a, result.all(b, a.size() + b.size() > 0))' },
      range(10_000, 1),
      sandbox,
    );
    clearInterval(probe);
    expect(verdict.phase).toBe('Error');
    expect(verdict.message).toMatch(
      /^successCondition .* was too expensive to evaluate and was stopped \(it ran longer than 150 ms\): compare an aggregate/,
    );
    // On the event loop this condition runs for about a minute; off it, the loop's worst lag is scheduling noise,
    // which on a loaded 2-core machine can reach a few hundred ms: a second tells the two apart with room to spare.
    expect(worstLag).toBeLessThan(1_000);
  }, 10_000);

  it('refuses three nested comprehensions before running them', async () => {
    const verdict = await judgeByConditions(
      { failureCondition: 'result.exists(a, a.exists(b, result.exists(c, c.size() > 0)))' },
      range(200, 3),
      sandbox,
    );
    expect(verdict.phase).toBe('Error');
    expect(verdict.message).toMatch(/failureCondition .* is not valid CEL: it nests 3 comprehensions/);
  });

  it(`hands no more than ${maxConditionSamples} samples to a condition`, async () => {
    const verdict = await judgeByConditions({ successCondition: 'true' }, range(600, 20), sandbox);
    expect(verdict).toEqual({
      phase: 'Error',
      message:
        'the query returned 12000 samples in 600 series, more than the 11000 a condition may judge: aggregate it (e.g. sum by or max by), or raise range.step',
    });
    await expect(judgeByConditions({ successCondition: 'true' }, range(550, 20), sandbox)).resolves.toEqual({
      phase: 'Successful',
      message: undefined,
      decidedBy: 'successCondition',
    });
  });
});

describe('a failureCondition alone', () => {
  const healthy: Conditions = { failureCondition: 'result == false' };
  it.each<[string, Judgeable, MeasuredPhase]>([
    ['passes true', { kind: 'json', value: true }, 'Successful'],
    ['fails false', { kind: 'json', value: false }, 'Failed'],
    ['passes a list of booleans', { kind: 'json', value: [true, true] }, 'Successful'],
    ['passes no string, which it cannot tell from a pass', { kind: 'json', value: 'false' }, 'Error'],
    ['passes no object', { kind: 'json', value: { healthy: 'false' } }, 'Error'],
  ])('%s', async (_what, data, phase) => {
    const verdict = await judgeByConditions(healthy, data);
    expect(verdict.phase, verdict.message).toBe(phase);
    if (phase === 'Error') expect(verdict.message).toMatch(/add a successCondition/);
  });
});

describe('a JSON result', () => {
  const long = (chars: number): Judgeable => ({ kind: 'json', value: 'x'.repeat(chars - 2) });

  it(`is handed to a condition only up to ${maxConditionJsonChars} characters of JSON`, async () => {
    await expect(
      judgeByConditions({ successCondition: 'size(result) > 0' }, long(maxConditionJsonChars + 1)),
    ).resolves.toEqual({
      phase: 'Error',
      message: `the result is ${maxConditionJsonChars + 1} characters of JSON, more than the ${maxConditionJsonChars} (64 KiB) a condition may judge: point jsonPath at the part of the answer the conditions need`,
    });
    const within = await judgeByConditions({ successCondition: 'size(result) > 0' }, long(maxConditionJsonChars));
    expect(within.phase).toBe('Successful');
  });
});
