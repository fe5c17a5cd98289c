import { describe, expect, it } from 'vitest';
import { WeightHistory } from './weightHistory.ts';

describe('WeightHistory', () => {
  it('records a point only when the weight changes', () => {
    let now = 1_000;
    const history = new WeightHistory({ now: () => now });
    history.record('shop/a', 0);
    now = 2_000;
    history.record('shop/a', 0);
    now = 3_000;
    history.record('shop/a', 20);
    expect(history.get('shop/a')).toEqual({ t: [1_000, 3_000], canary: [0, 20] });
    expect(history.get('shop/unknown')).toEqual({ t: [], canary: [] });
  });

  it('keeps at most maxPoints per rollout, the newest', () => {
    let now = 0;
    const history = new WeightHistory({ maxPoints: 3, now: () => now++ });
    for (const w of [0, 10, 20, 30, 40]) history.record('shop/a', w);
    expect(history.get('shop/a').canary).toEqual([20, 30, 40]);
  });

  it('forgets a deleted rollout, so 1,000 rollouts coming and going hold no more than those that exist', () => {
    const history = new WeightHistory();
    for (let i = 0; i < 1_000; i++) history.record(`shop/r${i}`, i % 100);
    for (let i = 0; i < 900; i++) history.forget(`shop/r${i}`);
    expect(history.size).toBe(100);
  });

  it('hands out copies that a caller cannot change', () => {
    const history = new WeightHistory();
    history.record('shop/a', 5);
    history.get('shop/a').canary.push(99);
    expect(history.get('shop/a').canary).toEqual([5]);
  });
});
