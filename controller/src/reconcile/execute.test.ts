/**
 * The executor's order is its safety argument (see execute.ts): these tests hold it. The clients are recorders of
 * the calls the executor makes, in order; what the API server does with them is the integration stories' part.
 */
import { describe, expect, it } from 'vitest';
import type { TrafficIntent } from '../routers/router.ts';
import type { ManagedRoute } from '../routers/managedRoutes.ts';
import type { V1ReplicaSet } from '@kubernetes/client-node';
import type { Rollout, RolloutStatus } from '../api/types.ts';
import { NotLeaderError } from '../kube/writeFence.ts';
import type { Plan } from '../planner/world.ts';
import type { Caches } from './caches.ts';
import { executePlan, WriteError, type ExecuteContext } from './execute.ts';

const rollout: Rollout = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  metadata: {
    name: 'checkout',
    namespace: 'shop',
    uid: 'u1',
    resourceVersion: '10',
    annotations: { 'sluice.dev/action': 'abort' },
  },
  spec: { workloadRef: { name: 'checkout' }, strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } } },
  status: { stableRevision: 'a', canaryRevision: 'b', currentStepIndex: 1, weights: { canary: 20, stable: 80 } },
};

const rs = (revision: string, replicas: number): V1ReplicaSet => ({
  metadata: {
    name: `checkout-${revision}`,
    namespace: 'shop',
    uid: `rs-${revision}`,
    resourceVersion: '1',
    labels: { 'sluice.dev/revision': revision },
  },
  spec: { replicas, selector: { matchLabels: {} }, template: {} },
});

const abortPlan = (status: Partial<RolloutStatus> = {}): Plan => ({
  status: {
    ...rollout.status,
    abort: true,
    abortedAt: '2026-11-30T00:00:00Z',
    handledAction: 'abort',
    weights: { canary: 0, stable: 100 },
    ...status,
  },
  replicaSets: [{ revision: 'a', replicas: 4 }],
  services: undefined,
  canaryWeight: 0,
  routes: [],
  takeOverDeployment: undefined,
  clearAction: true,
  flagOperations: [
    {
      id: 'op',
      operation: {
        kind: 'disable',
        flag: { name: 'f', project: 'p', environment: 'e', previousEnabled: false, rollout: 20, onAbort: 'disable' },
      },
      retry: false,
    },
  ],
  deleteReplicaSets: [],
  events: [{ type: 'Warning', reason: 'Aborted', message: 'aborted by a user request' }],
  requeueAfterMs: undefined,
});

/** An executor context whose every write is recorded in `calls`; `fail` makes the named write throw. */
function recorder(
  fail: Partial<Record<'status' | 'route' | 'clear' | 'scale', Error>> = {},
  fence: () => void = () => {},
) {
  const calls: string[] = [];
  const statuses: RolloutStatus[] = [];
  let rv = 10;
  const attempt = (what: keyof typeof fail, label: string) => {
    calls.push(label);
    if (fail[what] !== undefined) throw fail[what];
  };
  const empty = { get: () => undefined, list: () => [] };
  const ctx = {
    rollout,
    deployment: undefined,
    replicaSets: [rs('a', 4), rs('b', 1)],
    router: {
      kind: 'test',
      observe: () => undefined,
      differs: () => true,
      apply: (intent: TrafficIntent) => Promise.resolve().then(() => attempt('route', `route ${intent.canaryWeight}%`)),
    },
    caches: { services: empty } as unknown as Caches,
    clients: {
      apps: {
        patchNamespacedReplicaSet: (p: { name: string; body: { spec: { replicas: number } } }) =>
          Promise.resolve().then(() => attempt('scale', `scale ${p.name} to ${p.body.spec.replicas}`)),
      },
      core: {},
      custom: {
        replaceNamespacedCustomObjectStatus: (p: {
          body: { status: RolloutStatus; metadata: { resourceVersion: string } };
        }) =>
          Promise.resolve().then(() => {
            attempt(
              'status',
              `status@${p.body.metadata.resourceVersion}${p.body.status.handledAction === undefined ? '' : ' handled'}${p.body.status.conditions?.some((c) => c.type === 'WriteFailed') === true ? ' WriteFailed' : ''}`,
            );
            statuses.push(p.body.status);
            return { metadata: { resourceVersion: String(++rv) } };
          }),
        patchNamespacedCustomObject: () =>
          Promise.resolve().then(() => {
            attempt('clear', 'remove the action annotation');
            return { metadata: { resourceVersion: String(++rv) } };
          }),
        patchNamespacedCustomObjectStatus: (p: { body: { status: Record<string, unknown> } }) =>
          Promise.resolve().then(() => {
            calls.push(`status patch ${JSON.stringify(p.body.status)}`);
            return { metadata: { resourceVersion: String(++rv) } };
          }),
      },
    },
    fence,
    events: { record: (_r: Rollout, e: { reason: string }) => calls.push(`event ${e.reason}`) },
    onRolloutWritten: () => {},
    onPruneFailed: () => {},
    dispatchFlagOperations: (ops: readonly unknown[]) => calls.push(`dispatch ${ops.length} flag operation(s)`),
  } as unknown as ExecuteContext;
  return { ctx, calls, statuses };
}

describe('executePlan', () => {
  it('records the decision and its Events first, sends the restores and moves traffic next, and removes the request last', async () => {
    const { ctx, calls } = recorder();
    await executePlan(ctx, abortPlan());
    expect(calls).toEqual([
      'status@10 handled',
      'event Aborted',
      'dispatch 1 flag operation(s)',
      'route 0%',
      'scale checkout-b to 0',
      'remove the action annotation',
      // No resourceVersion: a request annotated meanwhile must not make this write conflict and leave the marker.
      'status patch {"handledAction":null}',
    ]);
  });

  it('keeps the decision when the route write fails: removes the request, reports WriteFailed, and fails the reconcile', async () => {
    const refused = Object.assign(new Error('HTTP-Code: 422'), {
      code: 422,
      body: JSON.stringify({ message: 'route changes are frozen' }),
    });
    const { ctx, calls, statuses } = recorder({ route: refused });
    const run = executePlan(ctx, abortPlan());
    await expect(run).rejects.toBeInstanceOf(WriteError);
    await expect(run).rejects.toThrow('could not set the canary weight to 0%: HTTP 422: route changes are frozen');
    expect(calls).toEqual([
      'status@10 handled',
      'event Aborted',
      'dispatch 1 flag operation(s)',
      'route 0%',
      'remove the action annotation',
      'status patch {"handledAction":null}',
      'status@13 WriteFailed',
    ]);
    expect(statuses.at(-1)?.abort).toBe(true);
    expect(statuses.at(-1)?.conditions?.find((c) => c.type === 'WriteFailed')?.message).toBe(
      'could not set the canary weight to 0%: HTTP 422: route changes are frozen; retrying',
    );
  });

  it("moves an abort's traffic and dispatches its restores even when a scale of the same plan is refused", async () => {
    const quota = Object.assign(new Error('exceeded quota'), { code: 403 });
    const { ctx, calls } = recorder({ scale: quota });
    await expect(executePlan(ctx, abortPlan())).rejects.toBeInstanceOf(WriteError);
    expect(calls.slice(0, 5)).toEqual([
      'status@10 handled',
      'event Aborted',
      'dispatch 1 flag operation(s)',
      'route 0%',
      'scale checkout-b to 0',
    ]);
  });

  it("never rebuilds a missing ReplicaSet of another revision from the Deployment's current template", async () => {
    const { ctx, calls } = recorder();
    const deployment = {
      metadata: { name: 'checkout' },
      spec: { selector: {}, template: { spec: { containers: [{ name: 'app', image: 'canary:v2' }] } } },
    };
    // Stable revision "a" was deleted by hand; the Deployment's template is the canary's.
    const plan = {
      ...abortPlan(),
      status: { ...rollout.status },
      canaryWeight: undefined,
      clearAction: false,
      events: [],
      flagOperations: [],
    };
    const run = executePlan({ ...ctx, deployment, replicaSets: [rs('b', 1)] }, plan);
    await expect(run).rejects.toThrow(
      /could not create the ReplicaSet of revision a: it is missing and the Deployment's pod template is another revision/,
    );
    expect(calls.filter((c) => c.startsWith('create'))).toEqual([]);
  });

  it('does nothing else when the status write conflicts: the next reconcile plans from the newer object', async () => {
    const conflict = Object.assign(new Error('conflict'), { code: 409 });
    const { ctx, calls } = recorder({ status: conflict });
    await expect(executePlan(ctx, abortPlan())).rejects.toBe(conflict);
    expect(calls).toEqual(['status@10 handled']);
  });

  it('sends nothing once the fence says this replica is no longer the leader, and reports nothing either', async () => {
    let leader = true;
    const { ctx, calls } = recorder({}, () => {
      if (!leader) throw new NotLeaderError();
    });
    leader = false;
    await expect(executePlan(ctx, abortPlan())).rejects.toBeInstanceOf(NotLeaderError);
    expect(calls).toEqual([]);
  });

  it('clears a WriteFailed condition once a whole plan was carried out', async () => {
    const failed = {
      type: 'WriteFailed',
      status: 'True' as const,
      reason: 'WriteFailed',
      message: 'could not ...',
      lastTransitionTime: '2026-11-30T00:00:00Z',
    };
    const { ctx, calls, statuses } = recorder();
    const before = { ...rollout, status: { ...abortPlan().status, handledAction: undefined, conditions: [failed] } };
    const plan = {
      ...abortPlan({ handledAction: undefined, conditions: [failed] }),
      clearAction: false,
      events: [],
      flagOperations: [],
    };
    await executePlan({ ...ctx, rollout: before }, plan);
    expect(calls).toEqual(['route 0%', 'scale checkout-b to 0', 'status@10']);
    expect(statuses.at(-1)?.conditions).toEqual([]);
  });
});

describe('an abort whose route write is refused', () => {
  it('still dispatches its flag restores (they do not need the route)', async () => {
    const frozen = Object.assign(new Error('HTTP 422: route changes are frozen'), { code: 422 });
    const { ctx, calls } = recorder({ route: frozen });
    await expect(executePlan(ctx, abortPlan())).rejects.toBeInstanceOf(WriteError);
    expect(calls).toContain('dispatch 1 flag operation(s)');
  });
});

describe('a weight that goes down while the canary Service changes revision', () => {
  // Canary b had 20%; c supersedes it and has no ready pod: the plan asks for 0% and the canary Service on c.
  const status = { stableRevision: 'a', canaryRevision: 'c', currentStepIndex: 0, weights: { canary: 0, stable: 100 } };
  const withService = {
    ...rollout,
    metadata: { ...rollout.metadata, annotations: {} },
    spec: { ...rollout.spec, service: { port: 80 } },
    status,
  };
  const plan = (canaryWeight: number): Plan => ({
    ...abortPlan(),
    status: { ...status, handledAction: undefined },
    services: { stable: 'a', canary: 'c' },
    canaryWeight,
    replicaSets: [
      { revision: 'a', replicas: 4 },
      { revision: 'c', replicas: 1 },
    ],
    clearAction: false,
    events: [],
    flagOperations: [],
  });
  /** The route and Service writes of a plan, in order, with the router reading `canaryNow`. */
  async function order(canaryNow: number, canaryWeight: number, routesNow: ManagedRoute[] = []): Promise<string[]> {
    const { ctx, calls } = recorder();
    const createNamespacedService = (p: { name?: string; body: { metadata?: { name?: string } } }) =>
      Promise.resolve().then(() => calls.push(`service ${p.name ?? p.body.metadata?.name}`));
    await executePlan(
      {
        ...ctx,
        rollout: withService,
        replicaSets: [rs('a', 4), rs('b', 1), rs('c', 1)],
        clients: {
          ...ctx.clients,
          core: { createNamespacedService, patchNamespacedService: createNamespacedService },
        } as unknown as ExecuteContext['clients'],
        router: {
          ...ctx.router!,
          observe: () => ({ kind: 'weights', canary: canaryNow, stable: 100 - canaryNow, routes: routesNow }),
        },
      },
      plan(canaryWeight),
    );
    return calls.filter((c) => c.startsWith('route') || c.startsWith('service'));
  }

  it('moves the weight before the Services, so the share never reaches the new revision before its pods', async () => {
    expect(await order(20, 0)).toEqual(['route 0%', 'service checkout-stable', 'service checkout-canary']);
  });

  it('removes a header route in force at 0% before the Services too: it sends its users to the canary Service', async () => {
    const header: ManagedRoute = {
      kind: 'header',
      name: 'qa',
      match: [{ headerName: 'x-user', headerValue: { exact: 'qa' } }],
    };
    expect(await order(0, 0, [header])).toEqual(['route 0%', 'service checkout-stable', 'service checkout-canary']);
  });

  it('moves a weight that goes up after them, as before: the share must reach only the revision meant to take it', async () => {
    expect(await order(0, 10)).toEqual(['service checkout-stable', 'service checkout-canary', 'route 10%']);
  });
});

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
