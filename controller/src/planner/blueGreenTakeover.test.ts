/**
 * A blue-green Rollout taking over a running Deployment: its active Service may be the user's own, serving the
 * Deployment's pods. It must not be pointed at Sluice's pods before they are all ready, and the Deployment must
 * keep its pods until the Service reads back selecting Sluice's.
 */
import { describe, expect, it } from 'vitest';
import type { RolloutSpec } from '../api/types.ts';
import { SimCluster } from './fixtures.test-support.ts';

const spec = (overrides: Partial<RolloutSpec> = {}): RolloutSpec => ({
  workloadRef: { name: 'checkout' },
  service: { port: 80 },
  strategy: { blueGreen: { activeService: 'checkout-active', previewService: 'checkout-preview' } },
  ...overrides,
});

describe('a blue-green Rollout on first sight of a running Deployment', () => {
  it.each([
    ['without a router', spec()],
    ['with a traffic router', spec({ trafficRouting: { gatewayAPI: { httpRoute: 'checkout' } } })],
  ])('%s, moves the active Service only once its pods are all ready', (_, rolloutSpec) => {
    const sim = new SimCluster(rolloutSpec);
    const first = sim.reconcile();
    expect(sim.replicasOf('rev-a')).toBe(4);
    // Its pods are not ready: the user's Service keeps selecting the Deployment's, which keep running.
    expect(first.services).toBeUndefined();
    expect(sim.services.stable).toBeUndefined();
    expect(sim.deploymentReplicas).toBe(4);
    expect(sim.rollout.status?.phase).toBe('Progressing');

    sim.settlePods();
    const ready = sim.reconcile();
    expect(ready.services).toEqual({ stable: 'rev-a', canary: 'rev-a' });
    // The Deployment is scaled down only after the Service reads back selecting Sluice's pods.
    expect(ready.takeOverDeployment).toBeUndefined();
    expect(sim.deploymentReplicas).toBe(4);

    sim.converge();
    expect(sim.deploymentReplicas).toBe(0);
    expect(sim.rollout.status).toMatchObject({ phase: 'Healthy', blueGreen: { activeRevision: 'rev-a' } });
  });
});
