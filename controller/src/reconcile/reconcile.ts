/**
 * reconcile(key): the level-based loop body. It reads the Rollout and everything around it from the caches,
 * asks the planner what should happen, lets the executor do it, and returns when to look again. It never sees
 * the event that woke it; every call converges from whatever state it finds.
 */
import type { Logger } from 'pino';
import { analysesOf } from '../api/steps.ts';
import type { Rollout } from '../api/types.ts';
import { parseObjectKey } from '../kube/objectKey.ts';
import { planRollout } from '../planner/plan.ts';
import type { ReconcileResult } from '../queue/workQueue.ts';
import { routerFor } from '../routers/factory.ts';
import type { RouterDeps } from '../routers/router.ts';
import type { Caches } from './caches.ts';
import { executePlan, type Clients } from './execute.ts';
import { restoreAbortedFlags } from './flagRestore.ts';
import { evaluateGates, type GateDeps } from './gates.ts';
import { readSecrets, secretRefs } from './secrets.ts';
import { ensureFinalizer, handOver, isDeleting } from './handover.ts';
import type { EventSink } from './eventRecorder.ts';
import type { WriteExpectations } from './expectations.ts';
import { observeWorld, ownedReplicaSets } from './observe.ts';

export interface ReconcilerDeps {
  caches: Caches;
  clients: Clients;
  routerDeps: RouterDeps;
  /** Prometheus and Unleash; the Secret reader is made per reconcile. */
  gates: Omit<GateDeps, 'readSecret'>;
  fence: () => void;
  events: EventSink;
  /** The Rollout versions written here that the cache has not shown yet (fed by the Rollout informer). */
  expectations: WriteExpectations;
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
      deps.expectations.seen(key, undefined);
      deps.onPlanned?.(namespace ?? '', name, undefined);
      return;
    }
    // Our own last write has not reached the cache: planning from the older Rollout would undo it. Its watch
    // event wakes this key again; the delay is only the bound for a version the cache skipped.
    const behind = deps.expectations.behind(key);
    if (behind !== undefined) return { requeueAfterMs: behind };
    const ref = rollout.spec.workloadRef;
    const deployment = ref === undefined ? undefined : deps.caches.deployments.get(namespace, ref.name);
    // Recorded as each write lands, so that a later failure in the same reconcile cannot leave it out.
    const onRolloutWritten = (resourceVersion: string) => deps.expectations.wrote(key, resourceVersion);
    const base = { rollout, clients: deps.clients, fence: deps.fence, onRolloutWritten };
    if (isDeleting(rollout)) {
      const wait = await handOver(base, deployment);
      return wait === undefined ? undefined : { requeueAfterMs: wait };
    }
    if (await ensureFinalizer(base)) return;

    const router = routerFor(rollout, deps.routerDeps);
    const at = now();
    const world = observeWorld(deps.caches, rollout, router, at);
    const templates = deps.gates.templates;
    const readSecret = await readSecrets(deps.clients.core, namespace!, secretRefs(analysisSpecs(rollout, templates)));
    const gates = await evaluateGates(rollout, at, { ...deps.gates, readSecret });
    world.specErrors.push(...gates.specErrors);
    Object.assign(world, {
      analysisRuns: gates.analysisRuns, flags: gates.flags, stepVerdicts: gates.stepVerdicts,
      backgroundVerdict: gates.backgroundVerdict, freeze: gates.freeze,
    });
    const plan = planRollout(world);
    if (gates.requeueAfterMs !== undefined) plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, gates.requeueAfterMs);
    await executePlan({
      ...base,
      deployment,
      replicaSets: ownedReplicaSets(deps.caches, rollout),
      router: 'unsupported' in router ? undefined : router,
      caches: deps.caches,
      events: deps.events,
      afterTraffic: (p) => restoreAbortedFlags(p, deps.gates.unleash),
      onRolloutWritten,
      onPruneFailed: (rs, err) => deps.log.warn({ namespace, name, replicaSet: rs, err }, 'old ReplicaSet not deleted; retried at the next reconcile'),
    }, plan);
    // Logged once the plan is carried out: a plan lost to a conflict is planned again, not logged twice.
    const log = deps.log.child({ namespace, name, revision: plan.status.canaryRevision });
    for (const e of plan.events) log.info({ reason: e.reason, type: e.type }, e.message);
    deps.onPlanned?.(namespace ?? '', name, plan.status);
    return plan.requeueAfterMs === undefined ? undefined : { requeueAfterMs: plan.requeueAfterMs };
  };
}

/** The template specs of every analysis the Rollout names, so their Secrets can be read before measuring. */
function analysisSpecs(rollout: Rollout, templates: GateDeps['templates']): unknown[] {
  try {
    return analysesOf(rollout.spec).flatMap((a) => a.templates.map((t) =>
      t.clusterScope ? templates.clusterAnalysisTemplate(t.templateName) : templates.analysisTemplate(rollout.metadata.namespace!, t.templateName)));
  } catch {
    return [];
  }
}
