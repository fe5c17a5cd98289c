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

/** A new flag in the default project, off in the development environment. */
export async function createFlag(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await unleash().admin('POST', features, { name, type: 'release' });
  return name;
}

/** The flag in the development environment: on or off, and its gradual rollouts' percentages. */
export async function flagState(name: string): Promise<{ enabled: boolean; rollouts: number[] }> {
  const f = (await unleash().admin('GET', `${features}/${name}`)) as { environments: FeatureEnv[] };
  const env = f.environments.find((e) => e.name === 'development')!;
  return {
    enabled: env.enabled,
    rollouts: env.strategies.filter((s) => s.name === 'flexibleRollout').map((s) => Number(s.parameters?.rollout)),
  };
}

/** The controller's Unleash settings for the test server. */
export function unleashEnv(): Record<string, string> {
  const info = inject('unleash')!;
  return {
    SLUICE_UNLEASH_URL: info.url,
    SLUICE_UNLEASH_ADMIN_TOKEN: info.adminToken,
    SLUICE_UNLEASH_CLIENT_TOKEN: info.clientToken,
  };
}
