/** Building blocks of the feature-flag stories: flags in the real Unleash, read back as Unleash has them. */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { connectUnleash } from '../fixtures/unleash.ts';

const features = '/api/admin/projects/default/features';

interface FeatureEnv {
  name: string;
  enabled: boolean;
  strategies: { name: string; parameters?: { rollout?: string } }[];
}

function unleash() {
  const info = inject('unleash');
  if (info === null) throw new Error('this story needs Unleash: include "unleash" in SLUICE_TEST_SERVICES');
  return connectUnleash(info);
}

/** A new flag in the default project: off in the development environment, or on there (with a default strategy). */
export async function createFlag(prefix: string, opts: { enabled?: boolean } = {}): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await unleash().admin('POST', features, { name, type: 'release' });
  if (opts.enabled === true) {
    await unleash().admin('POST', `${features}/${name}/environments/development/strategies`, {
      name: 'default',
      parameters: {},
    });
    await unleash().admin('POST', `${features}/${name}/environments/development/on`);
  }
  return name;
}

function stateOf(env: FeatureEnv): { enabled: boolean; rollouts: number[] } {
  return {
    enabled: env.enabled,
    rollouts: env.strategies.filter((s) => s.name === 'flexibleRollout').map((s) => Number(s.parameters?.rollout)),
  };
}

/** The flag in the development environment: on or off, and its gradual rollouts' percentages. */
export async function flagState(name: string): Promise<{ enabled: boolean; rollouts: number[] }> {
  const f = (await unleash().admin('GET', `${features}/${name}`)) as { environments: FeatureEnv[] };
  return stateOf(f.environments.find((e) => e.name === 'development')!);
}

/** The flag in every environment, as Unleash has it: enabled, and its gradual-rollout percentages. */
export async function flagEverywhere(name: string): Promise<Record<string, { enabled: boolean; rollouts: number[] }>> {
  const f = (await unleash().admin('GET', `${features}/${name}`)) as { environments: FeatureEnv[] };
  return Object.fromEntries(f.environments.map((e) => [e.name, stateOf(e)]));
}

/** The controller's Unleash settings for the test server, with any of them overridden. */
export function unleashEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const info = inject('unleash')!;
  return {
    SLUICE_UNLEASH_URL: info.url,
    SLUICE_UNLEASH_ADMIN_TOKEN: info.adminToken,
    SLUICE_UNLEASH_CLIENT_TOKEN: info.clientToken,
    ...overrides,
  };
}
