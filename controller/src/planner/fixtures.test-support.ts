/**
 * A pure stand-in for the cluster, for planner tests: it applies a Plan the way the executor and Kubernetes
 * would (ReplicaSets scale, pods become ready when allowed, the router takes the weight, status is written), so a
 * test can run a rollout through many reconciles and read it as a story.
 */
import type { ManualAction } from '../api/controls.ts';
import type { Rollout, RolloutSpec } from '../api/types.ts';
import type { FlagState } from '../flags/flagEnvironment.ts';
import { flagKey, type FlagOperation } from '../flags/flagSteps.ts';
import type { AdminFailure, AdminResult } from '../flags/unleashAdmin.ts';
import type { ManagedRoute } from '../routers/managedRoutes.ts';
import { planRollout } from './plan.ts';
import type { GateVerdict, ObservedPod, ObservedReplicaSet, ObservedWorld, Plan } from './world.ts';

export const baseSpec = (overrides: Partial<RolloutSpec> = {}): RolloutSpec => ({
  workloadRef: { name: 'checkout' },
  service: { port: 80 },
  trafficRouting: { gatewayAPI: { httpRoute: 'checkout' } },
  strategy: { canary: { steps: [{ setWeight: 20 }, { pause: { duration: '2s' } }, { setWeight: 60 }, { pause: {} }] } },
  ...overrides,
});

/**
 * Unleash as the background sees it: flags by "project/environment/name", each operation applied at once and
 * counted. `failure` makes every operation fail that way (Unleash down, a bad token).
 */
export class SimUnleash {
  flags = new Map<
    string,
    { enabled: boolean; percent: number | undefined; strategyId: string | undefined; bySluice: boolean }
  >();
  failure: AdminFailure | undefined;
  /** Every operation asked of Unleash, in order, as "kind project/environment/name". */
  calls: string[] = [];
  writes = 0;

  add(project: string, environment: string, name: string, state: { enabled: boolean; percent?: number }): void {
    this.flags.set(flagKey({ project, environment, name }), {
      enabled: state.enabled,
      percent: state.percent,
      strategyId: state.percent === undefined ? undefined : 'user-1',
      bySluice: false,
    });
  }

  get(project: string, environment: string, name: string) {
    return this.flags.get(flagKey({ project, environment, name }));
  }

  apply(op: FlagOperation): AdminResult {
    const key = flagKey(op.flag);
    this.calls.push(`${op.kind} ${key}`);
    if (this.failure !== undefined) return this.failure;
    const flag = this.flags.get(key);
    if (flag === undefined) return { ok: false, kind: 'notFound', message: `no flag ${key}` };
    switch (op.kind) {
      case 'read':
        break;
      case 'set':
        this.writes += 1;
        flag.enabled = true;
        if (flag.strategyId === undefined) Object.assign(flag, { strategyId: 'sluice-1', bySluice: true });
        flag.percent = op.percent;
        break;
      case 'restore':
        this.writes += 1;
        flag.enabled = op.flag.previousEnabled;
        if (op.flag.previousRollout === undefined)
          Object.assign(flag, { strategyId: undefined, percent: undefined, bySluice: false });
        else flag.percent = op.flag.previousRollout;
        break;
      case 'disable':
        this.writes += 1;
        flag.enabled = false;
        break;
    }
    return { ok: true, state: this.#state(flag) };
  }

  #state(flag: {
    enabled: boolean;
    percent: number | undefined;
    strategyId: string | undefined;
    bySluice: boolean;
  }): FlagState {
    return {
      enabled: flag.enabled,
      rollout:
        flag.strategyId === undefined
          ? undefined
          : { strategyId: flag.strategyId, percent: flag.percent ?? 0, addedBySluice: flag.bySluice },
    };
  }
}

export class SimCluster {
  rollout: Rollout;
  now = new Date('2026-11-29T03:00:00Z');
  templateRevision = 'rev-a';
  deploymentReplicas = 4;
  recordedReplicas: number | undefined;
  deploymentExists = true;
  replicaSets = new Map<string, ObservedReplicaSet>();
  routeWeight: number | undefined = 0;
  /** The managed routes the router reads back; it takes those of each plan that sets the weight. */
  routes: ManagedRoute[] = [];
  /** When false, the router does not take managed routes (it lags, or cannot write them). */
  routerTakesRoutes = true;
  /** When false, new pods never become ready (for progress-deadline stories). */
  podsBecomeReady = true;
  action: ObservedWorld['action'];
  stepVerdicts = new Map<number, GateVerdict>();
  backgroundVerdict: GateVerdict | undefined;
  /** The analysis runs the engine hands the planner (status.analysis.runs after this reconcile's measurements). */
  analysisRuns: ObservedWorld['analysisRuns'];
  freeze: { message: string } | undefined;
  specErrors: ObservedWorld['specErrors'] = [];
  events: { reason: string; message: string; type: string }[] = [];
  lastPlan: Plan | undefined;
  createdRevisions: string[] = [];
  unleash = new SimUnleash();
  /** The executor's removal of the sluice.dev/action annotation fails (after status was written). */
  clearActionFails = false;
  /** The router's object cannot be used (a backend was removed from the route): its reading is `invalid`. */
  routeInvalid: string | undefined;
  /** With routeInvalid: the split can still be written, and an abort's weight 0 would be carried out. */
  routeAbortable = false;
  /** Why flags cannot be changed at all (no Unleash settings), if so. */
  unleashUnavailable: string | undefined;
  /** The controller's --unleash-project. */
  defaultProject = 'default';
  /** The revision each Sluice Service selects (blue-green: stable = active, canary = preview). */
  services: NonNullable<ObservedWorld['services']> = { stable: undefined, canary: undefined };
  /** A HorizontalPodAutoscaler that targets the Deployment, by name. */
  autoscalerOnDeployment: string | undefined;
  /** When false, Service writes do not land (a refused patch, a lagging cache). */
  servicesTakeWrites = true;
  /** Outcomes of the flag operations the plans asked for, as the background keeps them. */
  flagOutcomes = new Map<string, { result: AdminResult; at: number }>();
  /** The Rollout's pods, for restart stories (restart.test-support.ts keeps them in step with the ReplicaSets). */
  pods: ObservedPod[] = [];

  constructor(spec: RolloutSpec = baseSpec()) {
    this.rollout = {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'checkout', namespace: 'shop', generation: 1 },
      spec,
    };
  }

  world(): ObservedWorld {
    return {
      now: this.now,
      rollout: structuredClone(this.rollout),
      specErrors: this.specErrors,
      deployment:
        this.rollout.spec.workloadRef === undefined || !this.deploymentExists
          ? undefined
          : {
              name: 'checkout',
              replicas: this.deploymentReplicas,
              recordedReplicas: this.recordedReplicas,
              templateRevision: this.templateRevision,
            },
      replicaSets: [...this.replicaSets.values()].map((rs) => ({ ...rs })),
      pods: this.pods.map((p) => ({ ...p })),
      traffic:
        this.routeInvalid !== undefined
          ? {
              kind: 'invalid',
              field: 'spec.trafficRouting.gatewayAPI.httpRoute',
              message: this.routeInvalid,
              ...(this.routeAbortable ? { abortable: true } : {}),
            }
          : this.rollout.spec.trafficRouting === undefined || this.routeWeight === undefined
            ? undefined
            : { kind: 'weights', canary: this.routeWeight, stable: 100 - this.routeWeight, routes: this.routes },
      ...(this.rollout.spec.service === undefined ? {} : { services: { ...this.services } }),
      ...(this.autoscalerOnDeployment === undefined ? {} : { autoscalerOnDeployment: this.autoscalerOnDeployment }),
      action: this.action,
      stepVerdicts: this.stepVerdicts,
      backgroundVerdict: this.backgroundVerdict,
      freeze: this.freeze,
      analysisRuns: this.analysisRuns,
      unleash: {
        defaultEnvironment: 'production',
        defaultProject: this.defaultProject,
        unavailable: this.unleashUnavailable,
        operation: (id) => {
          const o = this.flagOutcomes.get(id);
          return o === undefined ? undefined : { kind: 'done', result: o.result, ageMs: this.now.getTime() - o.at };
        },
      },
    };
  }

  /** One reconcile: plan, then apply the plan as the executor and the cluster would. */
  reconcile(): Plan {
    const plan = planRollout(this.world());
    this.lastPlan = plan;
    this.events.push(...plan.events);
    if (plan.clearAction && !this.clearActionFails) this.action = undefined;
    this.rollout.status = plan.status;
    const wanted = new Map(plan.replicaSets.map((d) => [d.revision, d.replicas]));
    for (const [revision, replicas] of wanted) {
      const rs = this.replicaSets.get(revision);
      if (rs === undefined) {
        if (revision !== this.templateRevision) continue; // only the current template can be created
        this.createdRevisions.push(revision);
        this.replicaSets.set(revision, {
          name: `checkout-${revision}`,
          revision,
          replicas,
          readyReplicas: 0,
          availableReplicas: 0,
          pods: replicas,
          revisionNumber: plan.revisionNumber?.revision === revision ? plan.revisionNumber.number : 0,
          createdAt: this.now.toISOString(),
        });
      } else {
        rs.replicas = replicas;
      }
    }
    for (const rs of this.replicaSets.values()) if (!wanted.has(rs.revision)) rs.replicas = 0;
    const renumbered = plan.revisionNumber && this.replicaSets.get(plan.revisionNumber.revision);
    if (renumbered) renumbered.revisionNumber = plan.revisionNumber!.number;
    // An undo's template write lands (the Deployment's resourceVersion fence holds: nothing else writes it here).
    if (plan.undoTemplate !== undefined) this.templateRevision = plan.undoTemplate.revision;
    for (const name of plan.deleteReplicaSets) {
      for (const [revision, rs] of this.replicaSets) if (rs.name === name) this.replicaSets.delete(revision);
    }
    if (plan.services !== undefined && this.servicesTakeWrites) this.services = { ...plan.services };
    if (plan.canaryWeight !== undefined && this.routeWeight !== undefined) {
      this.routeWeight = plan.canaryWeight;
      if (this.routerTakesRoutes) this.routes = structuredClone(plan.routes);
    }
    if (plan.takeOverDeployment !== undefined) {
      this.recordedReplicas = plan.takeOverDeployment.recordReplicas;
      this.deploymentReplicas = 0;
    }
    // The background runs each operation at once; an id with an outcome runs again only when retried.
    for (const op of plan.flagOperations) {
      if (!op.retry && this.flagOutcomes.has(op.id)) continue;
      this.flagOutcomes.set(op.id, { result: this.unleash.apply(op.operation), at: this.now.getTime() });
    }
    return plan;
  }

  /** Pods catch up with their ReplicaSets (kube-controller-manager + kwok). */
  settlePods(): void {
    for (const rs of this.replicaSets.values()) {
      if (rs.readyReplicas > rs.replicas || this.podsBecomeReady) rs.readyReplicas = rs.availableReplicas = rs.replicas;
      rs.pods = Math.max(rs.replicas, rs.readyReplicas);
    }
  }

  /** Reconciles until the plan stops changing anything, settling pods in between. */
  converge(limit = 20): Plan {
    let plan = this.reconcile();
    for (let i = 0; i < limit; i++) {
      this.settlePods();
      const state = () =>
        JSON.stringify([this.rollout.status, [...this.replicaSets.values()], this.routeWeight, this.routes]);
      const before = state();
      plan = this.reconcile();
      if (before === state()) return plan;
    }
    return plan;
  }

  advance(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
  }

  request(action: ManualAction): void {
    this.action = action;
  }

  replicasOf(revision: string): number | undefined {
    return this.replicaSets.get(revision)?.replicas;
  }

  eventReasons(): string[] {
    return this.events.map((e) => e.reason);
  }
}

/** A cluster where rev-a is stable and healthy, and the Deployment's template has just changed to rev-b. */
export function withCanary(spec = baseSpec()): SimCluster {
  const sim = new SimCluster(spec);
  sim.converge();
  sim.templateRevision = 'rev-b';
  return sim;
}

/** Releases `revision` through every step (a promote-full at the first pause that waits for one). */
export function release(sim: SimCluster, revision: string): void {
  sim.templateRevision = revision;
  sim.converge(40);
  sim.request('promote-full');
  sim.converge(40);
  if (sim.rollout.status?.stableRevision !== revision) throw new Error(`${revision} was not released`);
}
