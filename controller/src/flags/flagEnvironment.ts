/**
 * A feature flag's state in one Unleash environment, read from the Admin API's answer, and the choice of which
 * gradual rollout (flexibleRollout) strategy Sluice steers. Pure: unleashAdmin.ts does the calls.
 */

/** A flag in one project and environment: what a setFlag step and a status.flags entry name. */
export interface FlagRef {
  name: string;
  project: string;
  environment: string;
}

/** One strategy of the flag in the environment, reduced to what Sluice looks at. */
export interface StrategyView {
  id: string;
  name: string;
  /** The rollout percentage of a flexibleRollout strategy; undefined for other strategies. */
  rollout: number | undefined;
  disabled: boolean;
  title: string | undefined;
}

export interface EnvironmentView {
  enabled: boolean;
  /** In Unleash's order (sortOrder). */
  strategies: StrategyView[];
}

/** What Sluice reports about a flag: whether it is on, and the gradual rollout it steers, if there is one. */
export interface FlagState {
  enabled: boolean;
  rollout: { strategyId: string; percent: number; addedBySluice: boolean } | undefined;
}

export const gradualRollout = 'flexibleRollout';

/** The title Sluice gives the strategies it adds: it shows in Unleash's UI, and lets a restore find them. */
export const sluiceStrategyTitle = 'Added by Sluice';

/** Which gradual rollout strategy a write steers. */
export type StrategyChoice =
  /** The one recorded earlier; Sluice's own (found by title) if it has gone. */
  | { kind: 'id'; id: string }
  /** Only one Sluice added: never a user's, so that a restore may remove it. */
  | { kind: 'own' }
  /** The first enabled flexibleRollout strategy, whoever added it. */
  | { kind: 'existing' };

/** Reads Unleash's GET .../environments/{env} answer; undefined when it does not have the expected shape. */
export function parseEnvironment(body: unknown): EnvironmentView | undefined {
  if (!isRecord(body) || typeof body.enabled !== 'boolean' || !Array.isArray(body.strategies)) return undefined;
  const sorted: { sortOrder: number; view: StrategyView }[] = [];
  for (const raw of body.strategies as unknown[]) {
    if (!isRecord(raw) || typeof raw.id !== 'string' || typeof raw.name !== 'string') return undefined;
    const parameters = isRecord(raw.parameters) ? raw.parameters : {};
    const view: StrategyView = {
      id: raw.id,
      name: raw.name,
      rollout: raw.name === gradualRollout ? parsePercent(parameters.rollout) : undefined,
      disabled: raw.disabled === true,
      title: typeof raw.title === 'string' ? raw.title : undefined,
    };
    sorted.push({ sortOrder: typeof raw.sortOrder === 'number' ? raw.sortOrder : 0, view });
  }
  sorted.sort((a, b) => a.sortOrder - b.sortOrder);
  return { enabled: body.enabled, strategies: sorted.map((s) => s.view) };
}

/**
 * Unleash keeps the percentage as a string ("50"); its SDKs read it with Number(), so that text that is not a
 * number rolls out to nobody. Sluice reads it the same way, rounded into 0..100 (the status schema's range).
 */
export function parsePercent(value: unknown): number {
  const n =
    typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) return 0;
  return Math.min(100, Math.max(0, Math.round(n)));
}

export function isSluiceStrategy(s: StrategyView): boolean {
  return s.name === gradualRollout && s.title === sluiceStrategyTitle;
}

/**
 * The strategy a write or a read is about, per `choice`; undefined when there is none yet. Disabled strategies
 * are passed over (their percentage has no effect), except one recorded by id: a user disabled it on purpose.
 */
export function chooseStrategy(view: EnvironmentView, choice: StrategyChoice): StrategyView | undefined {
  const gradual = view.strategies.filter((s) => s.name === gradualRollout);
  const own = gradual.find((s) => isSluiceStrategy(s) && !s.disabled);
  switch (choice.kind) {
    case 'id':
      return gradual.find((s) => s.id === choice.id) ?? own;
    case 'own':
      return own;
    case 'existing':
      return gradual.find((s) => !s.disabled);
  }
}

export function stateOf(view: EnvironmentView, strategy: StrategyView | undefined): FlagState {
  return {
    enabled: view.enabled,
    rollout:
      strategy === undefined
        ? undefined
        : { strategyId: strategy.id, percent: strategy.rollout ?? 0, addedBySluice: isSluiceStrategy(strategy) },
  };
}

/** "flag checkout-v2 in project default, environment production", the way every message names a flag. */
export function describeFlag(flag: FlagRef): string {
  return `flag ${flag.name} in project ${flag.project}, environment ${flag.environment}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
