import { describe, expect, it } from 'vitest';
import type { CanaryStep, Rollout, RolloutSpec } from '../api/types.ts';
import type { ManagedRoute } from '../routers/managedRoutes.ts';
import { routerFor } from '../routers/registry.ts';
import { fakeRouterCluster } from '../routers/routerDeps.test-support.ts';
import { baseSpec, withCanary } from './fixtures.test-support.ts';

const qa = { headerName: 'X-User', headerValue: { exact: 'qa' } };
const internal: ManagedRoute = {
  kind: 'header',
  name: 'internal',
  match: [{ headerName: 'x-user', headerValue: { exact: 'qa' } }],
};
const shadow: ManagedRoute = { kind: 'mirror', name: 'shadow', percentage: 50, match: [] };

function routedSpec(steps: CanaryStep[], order = ['internal', 'shadow']) {
  return baseSpec({
    trafficRouting: { gatewayAPI: { httpRoute: 'checkout' }, managedRoutes: order.map((name) => ({ name })) },
    strategy: { canary: { steps } },
  });
}

describe('a header route step', () => {
  const steps: CanaryStep[] = [{ setHeaderRoute: { name: 'internal', match: [qa] } }, { pause: {} }];

  it('runs one canary pod at weight 0 and sends the route only once that pod is ready', () => {
    const sim = withCanary(routedSpec(steps));
    let plan = sim.reconcile();
    expect(plan.replicaSets).toContainEqual({ revision: 'rev-b', replicas: 1 });
    expect(plan.canaryWeight).toBe(0);
    expect(plan.routes).toEqual([]); // no pod to take the requests yet
    expect(plan.status.currentStepIndex).toBe(0);
    expect(plan.status.message).toMatch(
      /step 1\/2 \(header route internal .*\): waiting for canary pods \(0\/1 ready\)/,
    );

    sim.settlePods();
    plan = sim.reconcile();
    expect(plan.routes).toEqual([internal]);
    expect(plan.canaryWeight).toBe(0);
    expect(plan.status.currentStepIndex).toBe(0); // the router has not read it back yet
    plan = sim.reconcile();
    expect(plan.status.currentStepIndex).toBe(1);
    expect(plan.routes).toEqual([internal]); // the pause keeps it
  });

  it('waits while the router does not read the route back, saying what it reads', () => {
    const sim = withCanary(routedSpec(steps));
    sim.routerTakesRoutes = false;
    const plan = sim.converge();
    expect(plan.status.currentStepIndex).toBe(0);
    expect(plan.status.phase).toBe('Progressing');
    expect(plan.status.message).toMatch(/waiting for the traffic router to confirm the managed routes \(reads none\)/);
    sim.routerTakesRoutes = true;
    expect(sim.converge().status.currentStepIndex).toBe(1);
  });

  it('is removed by promotion and by abort', () => {
    const promoted = withCanary(routedSpec(steps));
    promoted.converge();
    expect(promoted.routes).toEqual([internal]);
    promoted.request('promote');
    const done = promoted.converge();
    expect(done.status.phase).toBe('Healthy');
    expect(done.routes).toEqual([]);
    expect(promoted.routes).toEqual([]);

    const aborted = withCanary(routedSpec(steps));
    aborted.converge();
    aborted.request('abort');
    const plan = aborted.reconcile();
    expect(plan.canaryWeight).toBe(0);
    expect(plan.routes).toEqual([]);
    aborted.converge();
    expect(aborted.routes).toEqual([]);
  });
});

describe('the managed routes in force', () => {
  it('follow the steps: a mirror route beside a header route, then a step without match removes the header route', () => {
    const sim = withCanary(
      routedSpec([
        { setHeaderRoute: { name: 'internal', match: [qa] } },
        { setWeight: 20 },
        { setMirrorRoute: { name: 'shadow', percentage: 50 } },
        { pause: {} },
        { setHeaderRoute: { name: 'internal' } },
        { pause: {} },
      ]),
    );
    let plan = sim.converge();
    expect(plan.status.currentStepIndex).toBe(3);
    expect(sim.routes).toEqual([internal, shadow]);
    expect(sim.routeWeight).toBe(20);
    sim.request('promote');
    plan = sim.converge();
    expect(plan.status.currentStepIndex).toBe(5);
    expect(sim.routes).toEqual([shadow]);
  });

  it('are in the order of managedRoutes, whichever step came first: that order is their precedence', () => {
    const sim = withCanary(
      routedSpec(
        [
          { setHeaderRoute: { name: 'internal', match: [qa] } },
          { setMirrorRoute: { name: 'shadow', percentage: 50 } },
          { pause: {} },
        ],
        ['shadow', 'internal'],
      ),
    );
    sim.converge();
    expect(sim.routes.map((r) => r.name)).toEqual(['shadow', 'internal']);
  });
});

describe('the route step support check', () => {
  const deps = fakeRouterCluster({}).deps;
  const rolloutOf = (spec: RolloutSpec): Rollout => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout', namespace: 'shop' },
    spec,
  });

  it('refuses a route step without a traffic router, naming the step', () => {
    const spec = { ...routedSpec([{ setWeight: 10 }, { setMirrorRoute: { name: 'shadow', percentage: 10 } }]) };
    delete spec.trafficRouting;
    expect(routerFor(rolloutOf(spec), deps)).toMatchObject({
      router: { kind: 'replicaRatio' },
      invalid: {
        field: 'spec.strategy.canary.steps[1]',
        message:
          'setMirrorRoute needs a traffic router: the replica ratio cannot route by mirroring; set spec.trafficRouting',
      },
    });
  });

  it('lets the Gateway API router take header and mirror steps', () => {
    const spec = routedSpec([{ setHeaderRoute: { name: 'internal', match: [qa] } }]);
    expect(routerFor(rolloutOf(spec), deps)).toMatchObject({ router: { kind: 'gatewayAPI' }, invalid: undefined });
  });
});

describe('a setWeight 0 step while a header route is in force', () => {
  it('waits for the canary pod the route needs, instead of counting while the route is dropped', () => {
    const sim = withCanary(
      routedSpec([
        { setHeaderRoute: { name: 'internal', match: [qa] } },
        { pause: { duration: '1s' } },
        { setWeight: 0 },
        { pause: {} },
      ]),
    );
    expect(sim.converge().status.currentStepIndex).toBe(1);
    // The canary's pod stops being ready during the pause: no pod takes the route's requests.
    sim.replicaSets.get('rev-b')!.readyReplicas = 0;
    sim.podsBecomeReady = false;
    sim.advance(2_000);
    let plan = sim.reconcile();
    expect(plan.routes).toEqual([]);
    expect(plan.status.currentStepIndex).toBe(2);
    expect(plan.status.message).toMatch(/step 3\/4 \(setWeight 0%\): waiting for canary pods \(0\/1 ready\)/);
    sim.podsBecomeReady = true;
    plan = sim.converge();
    expect(plan.status.currentStepIndex).toBe(3);
    expect(sim.routes).toEqual([internal]);
  });
});
