import { describe, expect, it } from 'vitest';
import type { Rollout } from '../api/types.ts';
import { rolloutKeysFor } from './triggers.ts';

const rollout = (name: string, spec: Partial<Rollout['spec']>): Rollout => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name, namespace: 'shop' },
  spec: { strategy: { canary: { steps: [{ pause: {} }] } }, ...spec },
});
const all = [
  rollout('checkout', { workloadRef: { name: 'checkout' }, trafficRouting: { gatewayAPI: { httpRoute: 'web' } } }),
  rollout('cart', {
    workloadRef: { name: 'cart' },
    strategy: { canary: { steps: [{ analysis: { templates: [{ templateName: 'errors' }] } }] } },
  }),
  rollout('search', {
    workloadRef: { name: 'search' },
    strategy: { canary: { steps: [{ analysis: { templates: [{ templateName: 'errors', clusterScope: true }] } }] } },
  }),
];
const cache = {
  get: (ns: string | undefined, name: string) =>
    all.find((r) => r.metadata.namespace === ns && r.metadata.name === name),
  list: (ns?: string) => all.filter((r) => ns === undefined || r.metadata.namespace === ns),
};

describe('rolloutKeysFor', () => {
  it('maps each watched kind to the Rollouts that read it', () => {
    expect(rolloutKeysFor('Rollout', { metadata: { name: 'x', namespace: 'shop' } }, cache)).toEqual(['shop/x']);
    expect(
      rolloutKeysFor(
        'ReplicaSet',
        { metadata: { name: 'checkout-abc', namespace: 'shop', labels: { 'sluice.dev/rollout': 'checkout' } } },
        cache,
      ),
    ).toEqual(['shop/checkout']);
    expect(rolloutKeysFor('ReplicaSet', { metadata: { name: 'other', namespace: 'shop' } }, cache)).toEqual([]);
    // A deleted object comes with its last state, labels included; its name alone says nothing.
    expect(rolloutKeysFor('ReplicaSet', { metadata: { name: 'cart-0123456789', namespace: 'shop' } }, cache)).toEqual(
      [],
    );
    expect(
      rolloutKeysFor(
        'Service',
        { metadata: { name: 'checkout-canary', namespace: 'shop', labels: { 'sluice.dev/rollout': 'checkout' } } },
        cache,
      ),
    ).toEqual(['shop/checkout']);
    expect(rolloutKeysFor('GRPCRoute', { metadata: { name: 'web', namespace: 'shop' } }, cache)).toEqual([]);
    expect(rolloutKeysFor('NoSuchKind', { metadata: { name: 'web', namespace: 'shop' } }, cache)).toEqual([]);
    expect(rolloutKeysFor('Deployment', { metadata: { name: 'cart', namespace: 'shop' } }, cache)).toEqual([
      'shop/cart',
    ]);
    expect(rolloutKeysFor('Deployment', { metadata: { name: 'cart', namespace: 'other' } }, cache)).toEqual([]);
    expect(rolloutKeysFor('HTTPRoute', { metadata: { name: 'web', namespace: 'shop' } }, cache)).toEqual([
      'shop/checkout',
    ]);
    expect(rolloutKeysFor('AnalysisTemplate', { metadata: { name: 'errors', namespace: 'shop' } }, cache)).toEqual([
      'shop/cart',
    ]);
    expect(rolloutKeysFor('ClusterAnalysisTemplate', { metadata: { name: 'errors' } }, cache)).toEqual(['shop/search']);
  });
});

describe('rolloutKeysFor a HorizontalPodAutoscaler', () => {
  const hpa = (kind: string, name: string) => ({
    metadata: { name: 'checkout', namespace: 'shop' },
    spec: { scaleTargetRef: { apiVersion: kind === 'Rollout' ? 'sluice.dev/v1alpha1' : 'apps/v1', kind, name } },
  });

  it('wakes the Rollout when the autoscaler is moved off its Deployment onto it, as AutoscalerOnDeployment asks', () => {
    expect(rolloutKeysFor('HorizontalPodAutoscaler', hpa('Deployment', 'checkout'), cache)).toEqual(['shop/checkout']);
    // The informer hands over the object as it is now: the update that follows the condition's advice targets the
    // Rollout, triggers.ts maps it to nothing, and the condition (and its message telling the user to do what they
    // just did) stays True until some other change wakes the Rollout; the resync relists without notifying.
    expect(rolloutKeysFor('HorizontalPodAutoscaler', hpa('Rollout', 'checkout'), cache)).toEqual(['shop/checkout']);
  });
});

describe('rolloutKeysFor a Pod', () => {
  const restarting = rollout('web', { workloadRef: { name: 'web' }, restartAt: '2026-11-30T12:00:00Z' });
  const restarted = rollout('api', { workloadRef: { name: 'api' }, restartAt: '2026-11-30T12:00:00Z' });
  restarted.status = { restartedAt: '2026-11-30T12:00:00Z' };
  const rollouts = [...all, restarting, restarted];
  const withRestarts = {
    get: (ns: string | undefined, name: string) =>
      rollouts.find((r) => r.metadata.namespace === ns && r.metadata.name === name),
    list: () => rollouts,
  };
  const podOf = (owner: string) => ({
    metadata: { name: `${owner}-abc-x1`, namespace: 'shop', labels: { 'sluice.dev/rollout': owner } },
  });

  it('wakes only a Rollout whose restart is not done: the others read their ReplicaSets', () => {
    expect(rolloutKeysFor('Pod', podOf('web'), withRestarts)).toEqual(['shop/web']);
    expect(rolloutKeysFor('Pod', podOf('api'), withRestarts)).toEqual([]); // restartedAt records it
    expect(rolloutKeysFor('Pod', podOf('checkout'), withRestarts)).toEqual([]); // no restartAt
    expect(rolloutKeysFor('Pod', podOf('gone'), withRestarts)).toEqual([]);
  });
});
