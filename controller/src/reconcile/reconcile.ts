/**
 * reconcile(key): the level-based loop body. It reads the Rollout and everything around it from the caches,
 * asks the planner what should happen, lets the executor do it, and returns when to look again. It never sees
 * the event that woke it; every call converges from whatever state it finds.
 */
import type { Logger } from 'pino';
import { parseObjectKey } from '../kube/objectKey.ts';
import { planRollout } from '../planner/plan.ts';
import type { ReconcileResult } from '../queue/workQueue.ts';
import { routerFor } from '../routers/factory.ts';
import type { RouterDeps } from '../routers/router.ts';
import type { Caches } from './caches.ts';
import { executePlan, type Clients } from './execute.ts';
import { ensureFinalizer, handOver, isDeleting } from './handover.ts';
import { observeWorld, ownedReplicaSets } from './observe.ts';

export interface ReconcilerDeps {
  caches: Caches;
  clients: Clients;
  routerDeps: RouterDeps;
  fence: () => void;
  reportingInstance: string;
  log: Logger;
  now?: () => Date;
  /** Told the outcome of each plan, for metrics (phase, weights) and for forgetting deleted rollouts. */
  onPlanned?: (namespace: string, name: string, status: { phase?: string; weights?: { canary: number } } | undefined) => void;
}

export function createReconciler(deps: ReconcilerDeps): (key: string) => Promise<ReconcileResult> {
  const now = deps.now ?? (() => new Date());
  return async (key) => {
    const { namespace, name } = parseObjectKey(key);
    const rollout = deps.caches.rollouts.get(namespace, name);
    if (rollout === undefined) {
      deps.onPlanned?.(namespace ?? '', name, undefined);
      return;
    }
    const ref = rollout.spec.workloadRef;
    const deployment = ref === undefined ? undefined : deps.caches.deployments.get(namespace, ref.name);
    const base = { rollout, clients: deps.clients, fence: deps.fence };
    if (isDeleting(rollout)) {
      const wait = await handOver(base, deployment);
      return wait === undefined ? undefined : { requeueAfterMs: wait };
    }
    if (await ensureFinalizer(base)) return;

    const router = routerFor(rollout, deps.routerDeps);
    const plan = planRollout(observeWorld(deps.caches, rollout, router, now()));
    await executePlan({
      ...base,
      deployment,
      replicaSets: ownedReplicaSets(deps.caches, rollout),
      router: 'unsupported' in router ? undefined : router,
      caches: deps.caches,
      reportingInstance: deps.reportingInstance,
    }, plan);
    // Logged once the plan is carried out: a plan lost to a conflict is planned again, not logged twice.
    const log = deps.log.child({ namespace, name, revision: plan.status.canaryRevision });
    for (const e of plan.events) log.info({ reason: e.reason, type: e.type }, e.message);
    deps.onPlanned?.(namespace ?? '', name, plan.status);
    return plan.requeueAfterMs === undefined ? undefined : { requeueAfterMs: plan.requeueAfterMs };
  };
}
