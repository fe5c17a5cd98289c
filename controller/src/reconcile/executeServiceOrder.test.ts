/**
 * The executor's order when Services and the router both change: at a promotion the stable (active) Service moves
 * to the new revision before the weight goes back to it, so no request reaches the old revision in between.
 */
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../api/types.ts';
import { executePlan, type ExecuteContext } from './execute.ts';
import { abortPlan, recorder, rollout, rs } from './execute.test-support.ts';

describe('a promotion through a traffic router', () => {
  // Canary b had 60%; promoted, the plan asks for both Services on b and the weight back to 0 on the canary.
  const before = { stableRevision: 'a', canaryRevision: 'b', currentStepIndex: 1, weights: { canary: 60, stable: 40 } };
  const promoting: Rollout = {
    ...rollout,
    metadata: { ...rollout.metadata, annotations: {} },
    spec: { ...rollout.spec, service: { port: 80 } },
    status: before,
  };
  const promoted = {
    stableRevision: 'b',
    canaryRevision: 'b',
    currentStepIndex: 2,
    weights: { canary: 0, stable: 100 },
  };
  const service = (role: string, revision: string) => ({
    metadata: { name: `checkout-${role}`, namespace: 'shop', labels: { 'sluice.dev/rollout': 'checkout' } },
    spec: {
      selector: { 'sluice.dev/rollout': 'checkout', 'sluice.dev/revision': revision },
      ports: [{ port: 80, targetPort: 80 }],
    },
  });

  it('moves the stable Service to the new revision before the weight goes back: no request returns to the old pods', async () => {
    const { ctx, calls } = recorder();
    const cached = new Map([
      ['checkout-stable', service('stable', 'a')],
      ['checkout-canary', service('canary', 'b')],
    ]);
    const patchNamespacedService = (p: { name: string }) =>
      Promise.resolve().then(() => calls.push(`service ${p.name}`));
    await executePlan(
      {
        ...ctx,
        rollout: promoting,
        caches: { services: { get: (_ns: string, name: string) => cached.get(name), list: () => [] } } as never,
        clients: { ...ctx.clients, core: { patchNamespacedService } } as unknown as ExecuteContext['clients'],
        router: { ...ctx.router!, observe: () => ({ kind: 'weights', canary: 60, stable: 40, routes: [] }) },
      },
      {
        ...abortPlan(),
        status: promoted,
        services: { stable: 'b', canary: 'b' },
        canaryWeight: 0,
        replicaSets: [{ revision: 'b', replicas: 4 }],
        clearAction: false,
        events: [],
        flagOperations: [],
      },
    );
    expect(calls.filter((c) => c.startsWith('route') || c.startsWith('service'))).toEqual([
      'service checkout-stable',
      'route 0%',
    ]);
  });
});

describe('a blue-green promotion through a router', () => {
  // rev b took 100% through the route (the preview Service's backend) and passed its post-promotion analysis; the
  // promotion plan points both Services at b and the route back at 0% (all to the active Service, still on a).
  const status = { stableRevision: 'b', canaryRevision: 'b', currentStepIndex: 2, weights: { canary: 0, stable: 100 } };
  const blueGreen = {
    ...rollout,
    metadata: { ...rollout.metadata, annotations: {} },
    spec: {
      workloadRef: { name: 'checkout' },
      service: { port: 80 },
      strategy: { blueGreen: { activeService: 'checkout-active', previewService: 'checkout-preview' } },
    },
    status: { ...status, stableRevision: 'a', weights: { canary: 100, stable: 0 } },
  } as Rollout;

  it('points the active Service at the new revision before the route sends it every request', async () => {
    const { ctx, calls } = recorder();
    const createNamespacedService = (p: { name?: string; body: { metadata?: { name?: string } } }) =>
      Promise.resolve().then(() => calls.push(`service ${p.name ?? p.body.metadata?.name}`));
    await executePlan(
      {
        ...ctx,
        rollout: blueGreen,
        replicaSets: [rs('a', 4), rs('b', 4)],
        caches: {
          services: {
            get: (_ns: string, name: string) =>
              name === 'checkout-active'
                ? { metadata: { name }, spec: { selector: { 'sluice.dev/revision': 'a' } } }
                : undefined,
            list: () => [],
          },
        } as never,
        clients: {
          ...ctx.clients,
          core: { createNamespacedService, patchNamespacedService: createNamespacedService },
        } as unknown as ExecuteContext['clients'],
        router: { ...ctx.router!, observe: () => ({ kind: 'weights', canary: 100, stable: 0, routes: [] }) },
      },
      {
        ...abortPlan(),
        status,
        services: { stable: 'b', canary: 'b' },
        canaryWeight: 0,
        replicaSets: [
          { revision: 'b', replicas: 4 },
          { revision: 'a', replicas: 4 },
        ],
        clearAction: false,
        events: [],
        flagOperations: [],
      },
    );
    // Route first: for that moment every user is back on a (still warm), then on b again. Users meet both versions
    // in turn at the end of every routed blue-green rollout (and of every canary promoted from a weight above 0).
    expect(calls.filter((c) => c.startsWith('route') || c.startsWith('service'))).toEqual([
      'service checkout-active',
      'service checkout-preview',
      'route 0%',
    ]);
  });
});
