/**
 * The executor's order is its safety argument (see execute.ts): these tests hold it. The clients are recorders of
 * the calls the executor makes, in order; what the API server does with them is the integration stories' part.
 */
import { describe, expect, it } from 'vitest';
import type { ManagedRoute } from '../routers/managedRoutes.ts';
import type { Plan } from '../planner/world.ts';
import { NotLeaderError } from '../kube/writeFence.ts';
import { executePlan, WriteError, type ExecuteContext } from './execute.ts';
import { abortPlan, recorder, rollout, rs } from './execute.test-support.ts';

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
    const createNamespacedService = (p: { body: { metadata?: { name?: string } } }) =>
      Promise.resolve().then(() => calls.push(`service ${p.body.metadata?.name}`));
    await executePlan(
      {
        ...ctx,
        rollout: withService,
        replicaSets: [rs('a', 4), rs('b', 1), rs('c', 1)],
        clients: { ...ctx.clients, core: { createNamespacedService } } as unknown as ExecuteContext['clients'],
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
