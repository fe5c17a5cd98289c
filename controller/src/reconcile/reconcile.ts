/**
 * reconcile(key): the level-based loop body. It reads the Rollout and everything around it from the caches and
 * from what the background has finished (measurements, Unleash operations), asks the planner what should happen,
 * lets the executor do it, and returns when to look again. It never waits for Prometheus, Unleash or a Secret:
 * those run in the background and wake the key when they end. It never sees the event that woke it; every call
 * converges from whatever state it finds.
 */
import type { Logger } from 'pino';
import { rolloutLogger } from '../log.ts';
import { resolveSteps, scaleDownRunName } from '../api/steps.ts';
import type { Measurement, Rollout, RolloutStatus } from '../api/types.ts';
import type { SpecError } from '../api/validate.ts';
import type { MeasureTaskDeps } from '../analysis/measureTask.ts';
import type { AdminResult } from '../flags/unleashAdmin.ts';
import type { UnleashConnection } from '../flags/unleashConnection.ts';
import { parseObjectKey } from '../kube/objectKey.ts';
import { planDeletion, planRollout } from '../planner/plan.ts';
import { flagOfStep, type PlannedFlagOperation } from '../flags/flagSteps.ts';
import { handoverFinalizer } from '../workload/names.ts';
import type { EvictionAnswer, UnleashView } from '../planner/world.ts';
import type { ReconcileResult } from '../queue/workQueue.ts';
import { routerFor } from '../routers/registry.ts';
import type { RouterDeps } from '../routers/router.ts';
import type { BackgroundWork } from './background.ts';
import { flagTask, flagTaskId, measurementTask, measurementTaskId } from './backgroundTasks.ts';
import type { Caches } from './caches.ts';
import { executePlan, type Clients } from './execute.ts';
import { observeGates, type GateDeps } from './gates.ts';
import { ensureFinalizer, handOver, isDeleting } from './handover.ts';
import type { EventSink } from './eventRecorder.ts';
import type { WriteExpectations } from './expectations.ts';
import type { NotificationSink } from '../notify/notifier.ts';
import { observeWorld, ownedReplicaSets } from './observe.ts';
import { reportTransitions, type StatusTransition } from './outcomes.ts';
import { describePlan, traceReconcile } from './reconcileSpan.ts';
import type { Span } from '../trace/span.ts';
import { noopTracer, type Tracer } from '../trace/tracer.ts';

export interface ReconcilerDeps {
  caches: Caches;
  clients: Clients;
  routerDeps: RouterDeps;
  templates: GateDeps['templates'];
  /** Prometheus and the Secret reader, for measurements in the background. */
  measure: MeasureTaskDeps;
  unleash: UnleashConnection;
  /** Measurements and Unleash operations in flight and their outcomes (see background.ts). */
  measurements: BackgroundWork<Measurement>;
  flagOperations: BackgroundWork<AdminResult>;
  fence: () => void;
  events: EventSink;
  /** Hears of each plan whose status was written, for spec.notifications (delivered in the background). */
  notifications?: NotificationSink;
  /** The Rollout versions written here that the cache has not shown yet (fed by the Rollout informer). */
  expectations: WriteExpectations;
  log: Logger;
  now?: () => Date;
  /** Monotonic clock of the background work (ms), to age its outcomes. */
  monotonic?: () => number;
  /** Told what ended in each status write that succeeded (a release's outcome, analysis runs), for metrics. */
  onTransition?: (namespace: string, transition: StatusTransition) => void;
  /** Told the outcome of each plan, for metrics (phase, weights) and for forgetting deleted rollouts. */
  onPlanned?: (
    namespace: string,
    name: string,
    status: { phase?: string; weights?: { canary: number } } | undefined,
  ) => void;
  /** A span per reconcile, its writes as children (reconcileSpan.ts); off when omitted. */
  tracer?: Tracer;
}

export function createReconciler(deps: ReconcilerDeps): (key: string) => Promise<ReconcileResult> {
  const now = deps.now ?? (() => new Date());
  const monotonic = deps.monotonic ?? (() => performance.now());
  // The Eviction API's last answer per Rollout, in memory: after a restart of the controller it is unknown, and the
  // restart says so rather than guess (one entry per Rollout, dropped with it).
  const evictionAnswers = new Map<string, EvictionAnswer>();
  const tracer = deps.tracer ?? noopTracer;
  const reconcile = async (key: string, span: Span): Promise<ReconcileResult> => {
    const { namespace, name } = parseObjectKey(key);
    const rollout = deps.caches.rollouts.get(namespace, name);
    if (rollout === undefined) {
      deps.expectations.seen(key, undefined);
      evictionAnswers.delete(key);
      deps.measurements.forgetKey(key);
      deps.flagOperations.forgetKey(key);
      deps.onPlanned?.(namespace ?? '', name, undefined);
      return;
    }
    // Our own last write has not reached the cache: planning from the older Rollout would undo it. Its watch
    // event wakes this key again; the delay is only the bound for a version the cache skipped.
    const behind = deps.expectations.behind(key);
    if (behind !== undefined) {
      span.setAttribute('sluice.plan.reason', "waiting for the cache to show this controller's last write");
      return { requeueAfterMs: behind };
    }
    const ref = rollout.spec.workloadRef;
    const deployment = ref === undefined ? undefined : deps.caches.deployments.get(namespace, ref.name);
    // Recorded as each write lands, so that a later failure in the same reconcile cannot leave it out.
    const onRolloutWritten = (resourceVersion: string) => deps.expectations.wrote(key, resourceVersion);
    const base = { rollout, clients: deps.clients, fence: deps.fence, onRolloutWritten };
    // The router reads through this: a read of an object whose own last write the cache has not shown yet is noted.
    let routerBehindMs: number | undefined;
    const routerDeps = {
      ...deps.routerDeps,
      cached: (kind: string, ns: string, objectName: string) => {
        const wait = deps.routerDeps.behind?.(kind, ns, objectName);
        if (wait !== undefined) routerBehindMs = Math.max(routerBehindMs ?? 0, wait);
        return deps.routerDeps.cached(kind, ns, objectName);
      },
    };
    const routing = routerFor(rollout, routerDeps);
    const at = now();
    const executeContext = {
      ...base,
      deployment,
      replicaSets: ownedReplicaSets(deps.caches, rollout),
      router: routing.router,
      caches: deps.caches,
      events: deps.events,
      ...(deps.notifications === undefined ? {} : { notifications: deps.notifications }),
      onRolloutWritten,
      onStatusWritten: reportTransitions((transition) => deps.onTransition?.(namespace ?? '', transition), now),
      onEvictionAnswered: (answer: EvictionAnswer) => evictionAnswers.set(key, answer),
      dispatchFlagOperations: (operations: readonly PlannedFlagOperation[]) => {
        const admin = deps.unleash.admin();
        if (!admin.ok) return;
        for (const op of operations) {
          if (op.retry) deps.flagOperations.forget(key, flagTaskId(rollout, op.id));
          deps.flagOperations.submit(flagTask(key, rollout, op, admin.value, { tracer, scheduledBy: span }));
        }
      },
      onHookFailed: (hook: string, err: unknown) =>
        deps.log.warn({ namespace, name, hook, err }, 'a hook after the status write failed; the plan went on'),
      onPruneFailed: (rs: string, err: unknown) =>
        deps.log.warn(
          { namespace, name, replicaSet: rs, err },
          'old ReplicaSet not deleted; retried at the next reconcile',
        ),
    };
    if (isDeleting(rollout)) {
      if ((rollout.status?.flags?.length ?? 0) > 0 && rollout.metadata.finalizers?.includes(handoverFinalizer)) {
        const world = observeWorld(deps.caches, rollout, routing, at);
        world.unleash = unleashView(deps, key, rollout, monotonic);
        const plan = planDeletion(world);
        describePlan(span, plan);
        await executePlan(executeContext, plan);
        // The restores wake the key when they end; the delay is only the bound for a lost wake-up.
        return { requeueAfterMs: Math.min(plan.requeueAfterMs ?? 10_000, 10_000) };
      }
      const wait = await handOver({ ...base, caches: deps.caches }, deployment);
      return wait === undefined ? undefined : { requeueAfterMs: wait };
    }
    if (await ensureFinalizer(base)) return;

    const world = observeWorld(deps.caches, rollout, routing, at);
    const answer = evictionAnswers.get(key);
    if (answer !== undefined) world.lastEviction = answer;
    world.specErrors.push(...flagTenancyErrors(rollout, deps.unleash));
    const gates = observeGates(rollout, at, {
      templates: deps.templates,
      measurement: (id) => {
        const state = deps.measurements.state(key, measurementTaskId(rollout, id));
        return state === undefined ? undefined : state.kind === 'done' ? state.value : 'measuring';
      },
      isFrozen: (flag, context) => deps.unleash.isFrozen(flag, context),
    });
    Object.assign(world, {
      analysisRuns: gates.analysisRuns,
      stepVerdicts: gates.stepVerdicts,
      backgroundVerdict: gates.backgroundVerdict,
      freeze: gates.freeze,
      unleash: unleashView(deps, key, rollout, monotonic),
    });
    const plan = planRollout(world);
    describePlan(span, plan);
    if (gates.requeueAfterMs !== undefined && (plan.status.abort !== true || drainsWithDeadline(plan.status))) {
      plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, gates.requeueAfterMs);
    }
    // The router's object is older than Sluice's own last write to it: writing from it would only fail its guards.
    // Its watch event wakes this key when it arrives (the delay is the bound); an abort goes ahead regardless.
    if (routerBehindMs !== undefined && plan.status.abort !== true) {
      executeContext.router = undefined;
      plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, routerBehindMs);
    }
    await executePlan(executeContext, plan);
    // Measurements are asked for only once the plan that needs them is written: a canary's never while it is aborted
    // or once replaced; the previous stable's drain is no canary measurement, and is measured while its drain lasts.
    const canaryMeasures = plan.status.abort !== true && plan.status.canaryRevision === rollout.status?.canaryRevision;
    for (const due of gates.due) {
      const wanted =
        due.run.name === scaleDownRunName ? drainsWithDeadline(plan.status, due.run.revision) : canaryMeasures;
      if (wanted) deps.measurements.submit(measurementTask(key, rollout, due, deps.measure, span));
    }
    // Logged once the plan is carried out: a plan lost to a conflict is planned again, not logged twice. The child
    // logger only when there is a line for it: pino serializes its fields on creation, which a reconcile with
    // nothing to say need not pay for (issue 20).
    if (plan.events.length > 0) {
      const log = rolloutLogger(deps.log, {
        namespace: namespace ?? '',
        name,
        ...(plan.status.canaryRevision === undefined ? {} : { revision: plan.status.canaryRevision }),
      });
      for (const e of plan.events) log.info({ reason: e.reason, type: e.type }, e.message);
    }
    deps.onPlanned?.(namespace ?? '', name, plan.status);
    return plan.requeueAfterMs === undefined ? undefined : { requeueAfterMs: plan.requeueAfterMs };
  };
  return (key) => traceReconcile(tracer, key, (span) => reconcile(key, span));
}

/**
 * Every setFlag step must name a project and environment the Rollout's namespace may change (--unleash-tenancy):
 * anything else makes the whole Rollout InvalidSpec, so no flag of another team moves, not even the allowed ones.
 */
function flagTenancyErrors(rollout: Rollout, unleash: UnleashConnection): SpecError[] {
  let steps: ReturnType<typeof resolveSteps>;
  try {
    steps = resolveSteps(rollout.spec);
  } catch {
    return []; // the planner reports an unreadable spec
  }
  const errors: SpecError[] = [];
  for (const step of steps) {
    if (step.kind !== 'setFlag') continue;
    const { project, environment } = flagOfStep(step, unleash);
    const target = { project, environment };
    let denied: string | undefined;
    try {
      denied = unleash.flagAllowed(rollout.metadata.namespace!, target, step.flagField);
    } catch (err) {
      // Never a reason to skip planning (an abort must still go through): deny, and say why.
      denied = `${step.flagField}: the Unleash tenancy policy could not be applied (${err instanceof Error ? err.message : String(err)}); no flag moves`;
    }
    if (denied === undefined) continue;
    const colon = denied.indexOf(': ');
    errors.push({ field: denied.slice(0, colon), message: denied.slice(colon + 2), code: 'InvalidStep' });
  }
  return errors;
}

function unleashView(deps: ReconcilerDeps, key: string, rollout: Rollout, monotonic: () => number): UnleashView {
  const admin = deps.unleash.admin();
  return {
    defaultEnvironment: deps.unleash.defaultEnvironment,
    defaultProject: deps.unleash.defaultProject,
    unavailable: admin.ok ? undefined : admin.message,
    operation: (id) => {
      const state = deps.flagOperations.state(key, flagTaskId(rollout, id));
      if (state === undefined) return undefined;
      if (state.kind !== 'done') return { kind: 'pending' };
      return { kind: 'done', result: state.value, ageMs: Math.max(0, monotonic() - state.at) };
    },
  };
}

/** Whether a revision (any, by default) drains with a deadline set: its scale-down analysis measures while it does. */
function drainsWithDeadline(status: RolloutStatus, revision?: string): boolean {
  return (status.scaleDown ?? []).some(
    (w) => w.scaleDownAt !== undefined && (revision === undefined || w.revision === revision),
  );
}
