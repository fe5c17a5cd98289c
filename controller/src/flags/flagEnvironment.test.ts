import { describe, expect, it } from 'vitest';
import {
  chooseStrategy,
  parseEnvironment,
  parsePercent,
  sluiceStrategyTitle,
  stateOf,
  type EnvironmentView,
} from './flagEnvironment.ts';

/** Unleash's GET .../environments/{env} answer, as unleash-server 8 sends it. */
function answer(enabled: boolean, strategies: object[]) {
  return { name: 'checkout', environment: 'production', enabled, strategies };
}

const gradual = (id: string, rollout: string, more: object = {}) => ({
  id,
  name: 'flexibleRollout',
  featureName: 'checkout',
  title: null,
  parameters: { groupId: 'checkout', rollout, stickiness: 'default' },
  constraints: [],
  variants: [],
  sortOrder: 0,
  disabled: false,
  ...more,
});

describe('parseEnvironment', () => {
  it('reads enabled and the strategies in their sort order, with the rollout of gradual ones', () => {
    const view = parseEnvironment(
      answer(true, [
        gradual('b', '30', { sortOrder: 2 }),
        { id: 'a', name: 'default', parameters: {}, sortOrder: 1 },
        gradual('c', '5', { sortOrder: 3, disabled: true, title: 'mine' }),
      ]),
    );
    expect(view).toEqual({
      enabled: true,
      strategies: [
        { id: 'a', name: 'default', rollout: undefined, disabled: false, title: undefined },
        { id: 'b', name: 'flexibleRollout', rollout: 30, disabled: false, title: undefined },
        { id: 'c', name: 'flexibleRollout', rollout: 5, disabled: true, title: 'mine' },
      ],
    });
  });

  it('refuses an answer of another shape (a proxy page, another API)', () => {
    expect(parseEnvironment(undefined)).toBeUndefined();
    expect(parseEnvironment({ enabled: 'yes', strategies: [] })).toBeUndefined();
    expect(parseEnvironment({ enabled: true, strategies: [{ name: 'x' }] })).toBeUndefined();
  });
});

describe('parsePercent', () => {
  it("reads Unleash's text the way its SDKs do, kept to whole percentages 0..100", () => {
    expect(parsePercent('50')).toBe(50);
    expect(parsePercent(25)).toBe(25);
    expect(parsePercent('33.6')).toBe(34);
    expect(parsePercent('250')).toBe(100);
    expect(parsePercent('half')).toBe(0);
    expect(parsePercent('')).toBe(0);
    expect(parsePercent(undefined)).toBe(0);
  });
});

describe('chooseStrategy', () => {
  const view = (strategies: object[]): EnvironmentView => parseEnvironment(answer(false, strategies))!;

  it('existing: the first enabled gradual rollout, whoever added it', () => {
    const v = view([
      { id: 'd', name: 'default', parameters: {} },
      gradual('off', '1', { disabled: true }),
      gradual('user', '20'),
      gradual('later', '40'),
    ]);
    expect(chooseStrategy(v, { kind: 'existing' })?.id).toBe('user');
    expect(chooseStrategy(view([{ id: 'd', name: 'default', parameters: {} }]), { kind: 'existing' })).toBeUndefined();
  });

  it("own: only an enabled strategy Sluice added, never a user's", () => {
    expect(chooseStrategy(view([gradual('user', '20')]), { kind: 'own' })).toBeUndefined();
    expect(
      chooseStrategy(view([gradual('user', '20'), gradual('ours', '10', { title: sluiceStrategyTitle })]), {
        kind: 'own',
      })?.id,
    ).toBe('ours');
    expect(
      chooseStrategy(view([gradual('ours', '10', { title: sluiceStrategyTitle, disabled: true })]), { kind: 'own' }),
    ).toBeUndefined();
  });

  it("id: the one recorded, even disabled; Sluice's own once it has gone", () => {
    expect(chooseStrategy(view([gradual('user', '20', { disabled: true })]), { kind: 'id', id: 'user' })?.id).toBe(
      'user',
    );
    expect(
      chooseStrategy(view([gradual('ours', '10', { title: sluiceStrategyTitle })]), { kind: 'id', id: 'removed' })?.id,
    ).toBe('ours');
    expect(chooseStrategy(view([gradual('other', '10')]), { kind: 'id', id: 'removed' })).toBeUndefined();
  });
});

describe('stateOf', () => {
  it('reports the chosen strategy and whether Sluice added it', () => {
    const v = parseEnvironment(answer(true, [gradual('ours', '10', { title: sluiceStrategyTitle })]))!;
    expect(stateOf(v, v.strategies[0])).toEqual({
      enabled: true,
      rollout: { strategyId: 'ours', percent: 10, addedBySluice: true },
    });
    expect(stateOf(v, undefined)).toEqual({ enabled: true, rollout: undefined });
  });
});
