/** Blue-green fixtures for planner stories: a spec, and a cluster where a release of it has just begun. */
import { expect } from 'vitest';
import type { BlueGreenStrategy, RolloutSpec } from '../api/types.ts';
import { SimCluster } from './fixtures.test-support.ts';

export const blueGreen = (bg: Partial<BlueGreenStrategy> = {}, overrides: Partial<RolloutSpec> = {}): RolloutSpec => ({
  workloadRef: { name: 'checkout' },
  service: { port: 80 },
  strategy: { blueGreen: { activeService: 'checkout-active', previewService: 'checkout-preview', ...bg } },
  ...overrides,
});

export const analysis = { templates: [{ templateName: 'errors' }] };

/** rev-a stable and served by active; the template just changed to rev-b. */
export function released(spec: RolloutSpec): SimCluster {
  const sim = new SimCluster(spec);
  sim.converge();
  expect(sim.services).toEqual({ stable: 'rev-a', canary: 'rev-a' });
  expect(sim.rollout.status?.phase).toBe('Healthy');
  sim.templateRevision = 'rev-b';
  return sim;
}
