/**
 * The controller's one Prometheus registry and every metric Sluice exports. Each controller gets its own
 * registry from `createMetrics` (never prom-client's global one), so that tests can make fresh ones and nothing
 * registers a metric twice.
 *
 * Label values are always from small, fixed sets (a result, a verb, a status code, a phase) or name a Rollout
 * that exists: per-rollout series are deleted by `forgetRollout` when the Rollout goes, so that the series count
 * follows the cluster instead of growing for the life of the process. The outcome counters are the exception that
 * keeps the rule's aim: they are per namespace (a handful of fixed outcomes each), because a team reads them over
 * weeks across Rollouts that come and go. Error messages and keys are never labels.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { rolloutPhase } from './api/rolloutStatus.schema.ts';
import type { RolloutPhase } from './api/types.ts';
import type { QueueDepth, ReconcileReport } from './queue/workQueue.ts';
import { analysisRunResults, releaseOutcomes, type StatusTransition } from './reconcile/outcomes.ts';

export interface BuildInfo {
  version: string;
  /** The source revision (git commit) the controller was built from, when known. */
  revision?: string;
}

/** The verbs of requests to the API server, as the `verb` label spells them. */
export type KubeApiVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'apply' | 'delete';

/** State that is read when Prometheus scrapes, rather than pushed on every change, so it is never stale. */
export interface MetricSources {
  queueDepth?: () => QueueDepth;
  /** The phase of every Rollout this controller handles; undefined for one not reconciled yet. */
  rolloutPhases?: () => Iterable<RolloutPhase | undefined>;
}

/** The phase label of Rollouts that have no phase yet (or one this version does not know). */
export const unknownPhase = 'Unknown';

export interface SluiceMetrics {
  /** Serve `registry.metrics()` with `registry.contentType` on /metrics. */
  readonly registry: Registry;
  /** Records one reconcile; fits the work queue's `onResult` hook. */
  observeReconcile(report: Pick<ReconcileReport, 'outcome' | 'durationMs'>): void;
  /** Counts one request to the API server; `code` is the HTTP status, undefined when no response came. */
  countKubeApiRequest(verb: KubeApiVerb, code: number | undefined): void;
  /** Counts one Event given up on (refused, or the API server out of reach through every retry). */
  countDroppedEvent(): void;
  /**
   * Tells that a Rollout is handled here (each time it is planned): its namespace's outcome series are exported
   * from then on, at 0 until something ends.
   */
  noteRollout(namespace: string, rollout: string): void;
  /** The canary's share of traffic in percent (0-100), as last written to the traffic router; notes the Rollout. */
  setCanaryWeight(namespace: string, rollout: string, weight: number): void;
  /**
   * Deletes every series about a Rollout, and its namespace's outcome series when it was the last Rollout there;
   * call it when the Rollout is deleted or stops being handled here.
   */
  forgetRollout(namespace: string, rollout: string): void;
  setLeader(leading: boolean): void;
  /**
   * Counts the release outcome and the finished analysis runs of one status write that succeeded (see
   * reconcile/outcomes.ts for why that counts each exactly once).
   */
  countTransition(namespace: string, transition: StatusTransition): void;
  /** Sets where scrape-time gauges read from; replaces earlier sources. */
  collectFrom(sources: MetricSources): void;
}

const knownPhases: readonly string[] = rolloutPhase.enum;

export function createMetrics(build: BuildInfo): SluiceMetrics {
  const registry = new Registry();
  const registers = [registry];
  let sources: MetricSources = {};

  collectDefaultMetrics({ register: registry });

  const reconcileDuration = new Histogram({
    name: 'sluice_reconcile_duration_seconds',
    help: 'How long one reconcile of a Rollout took, by result (success, requeue, error).',
    labelNames: ['result'] as const,
    // From a reconcile that finds nothing to do (milliseconds) to one that waits on slow API calls.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });

  const reconcileErrors = new Counter({
    name: 'sluice_reconcile_errors_total',
    help: 'Reconciles that failed (each is retried with backoff).',
    registers,
  });

  new Gauge({
    name: 'sluice_workqueue_depth',
    // Two states because keys waiting on a timer are normal (every paused rollout has one), while a queue of
    // keys ready to run that keeps growing means the workers cannot keep up.
    help: 'Keys in the work queue: queued ones are ready to run, waiting ones wait for a requeue or backoff timer.',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const depth = sources.queueDepth?.();
      if (!depth) return this.reset();
      this.set({ state: 'queued' }, depth.queued);
      this.set({ state: 'waiting' }, depth.waiting);
    },
  });

  new Gauge({
    name: 'sluice_rollouts',
    help: `Rollouts handled by this controller, by phase (${unknownPhase}: not reconciled yet).`,
    labelNames: ['phase'] as const,
    registers,
    collect() {
      this.reset();
      const phases = sources.rolloutPhases?.();
      if (!phases) return;
      const counts = new Map<string, number>([...knownPhases, unknownPhase].map((phase) => [phase, 0]));
      for (const phase of phases) {
        const known = phase !== undefined && knownPhases.includes(phase) ? phase : unknownPhase;
        counts.set(known, (counts.get(known) ?? 0) + 1);
      }
      for (const [phase, count] of counts) this.set({ phase }, count);
    },
  });

  const canaryWeight = new Gauge({
    name: 'sluice_rollout_canary_weight',
    help: 'Percent of traffic (0-100) the canary of a Rollout receives, as last set by the controller.',
    labelNames: ['namespace', 'rollout'] as const,
    registers,
  });

  const kubeApiRequests = new Counter({
    name: 'sluice_kube_api_requests_total',
    help: 'Requests to the Kubernetes API server, by verb and HTTP status code ("error" when no response came).',
    labelNames: ['verb', 'code'] as const,
    registers,
  });

  const droppedEvents = new Counter({
    name: 'sluice_events_dropped_total',
    help: 'Events about Rollouts that were never written: refused by the API server, unreachable through every retry, or more than 1,000 waiting.',
    registers,
  });

  // Per namespace, not per Rollout: a team reads its change-failure rate and lead time over weeks, across Rollouts
  // that come and go, and the series count follows the namespaces, not the releases.
  const outcomes = new Counter({
    name: 'sluice_rollout_outcomes_total',
    help: 'Releases that ended, by namespace and outcome: promoted, aborted_analysis, aborted_user, or deadline (progressDeadlineSeconds passed).',
    labelNames: ['namespace', 'outcome'] as const,
    registers,
  });

  const releaseDuration = new Histogram({
    name: 'sluice_rollout_duration_seconds',
    help: 'Seconds from the start of a release (status.releaseStartedAt) to its outcome, by namespace and outcome.',
    labelNames: ['namespace', 'outcome'] as const,
    // From an abort seconds after the start to a release paused for days for a manual promotion (over a weekend,
    // or a week's soak): above the top bucket a quantile can only say "more than that".
    buckets: [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800, 43_200, 86_400, 172_800, 604_800],
    registers,
  });

  const analysisRuns = new Counter({
    name: 'sluice_analysis_runs_total',
    help: 'Analysis runs that reached a verdict, by namespace and result (Successful, Failed, Inconclusive, Error).',
    labelNames: ['namespace', 'result'] as const,
    registers,
  });

  const leader = new Gauge({
    name: 'sluice_leader',
    help: '1 while this replica holds the leader-election Lease (or runs without leader election), else 0.',
    registers,
  });
  leader.set(0);

  const buildInfo = new Gauge({
    name: 'sluice_build_info',
    help: 'Always 1; the labels say which build of Sluice is running.',
    labelNames: ['version', 'revision'] as const,
    registers,
  });
  buildInfo.set({ version: build.version, revision: build.revision ?? 'unknown' }, 1);

  // The Rollouts handled in each namespace that has outcome series. A counter series that first appears at 1 is
  // an increase() of nothing (Prometheus has no earlier sample to subtract), so each namespace's series are
  // exported at 0 as soon as a Rollout there is handled: the first outcome after a restart or a leader change is
  // counted. They go when the namespace's last Rollout goes, so that a namespace per pull request does not grow
  // the registry for the life of the process; Prometheus keeps what was already scraped. Only the promoted
  // durations start at 0: they are the lead time the rules read, and a histogram is 19 series per outcome.
  const rolloutsByNamespace = new Map<string, Set<string>>();
  const namespaceSeries = (namespace: string): Set<string> => {
    let rollouts = rolloutsByNamespace.get(namespace);
    if (rollouts === undefined) {
      rollouts = new Set();
      rolloutsByNamespace.set(namespace, rollouts);
      for (const outcome of releaseOutcomes) outcomes.inc({ namespace, outcome }, 0);
      for (const result of analysisRunResults) analysisRuns.inc({ namespace, result }, 0);
      releaseDuration.zero({ namespace, outcome: 'promoted' });
    }
    return rollouts;
  };
  const noteRollout = (namespace: string, rollout: string) => void namespaceSeries(namespace).add(rollout);
  const forgetNamespace = (namespace: string) => {
    rolloutsByNamespace.delete(namespace);
    for (const outcome of releaseOutcomes) {
      outcomes.remove({ namespace, outcome });
      releaseDuration.remove({ namespace, outcome });
    }
    for (const result of analysisRunResults) analysisRuns.remove({ namespace, result });
  };

  return {
    registry,
    observeReconcile({ outcome, durationMs }) {
      reconcileDuration.observe({ result: outcome }, durationMs / 1000);
      if (outcome === 'error') reconcileErrors.inc();
    },
    countKubeApiRequest(verb, code) {
      const isStatus = code !== undefined && Number.isInteger(code) && code >= 100 && code <= 599;
      kubeApiRequests.inc({ verb, code: isStatus ? String(code) : 'error' });
    },
    countDroppedEvent() {
      droppedEvents.inc();
    },
    noteRollout,
    setCanaryWeight(namespace, rollout, weight) {
      noteRollout(namespace, rollout);
      canaryWeight.set({ namespace, rollout }, weight);
    },
    forgetRollout(namespace, rollout) {
      canaryWeight.remove({ namespace, rollout });
      const rollouts = rolloutsByNamespace.get(namespace);
      rollouts?.delete(rollout);
      if (rollouts?.size === 0) forgetNamespace(namespace);
    },
    setLeader(leading) {
      leader.set(leading ? 1 : 0);
    },
    countTransition(namespace, { outcome, durationSeconds, analysisRuns: results }) {
      // Counted before the reconcile that wrote it notes its Rollout (onPlanned comes after the writes): the
      // namespace is tracked from here, so the Rollout noted next is the one whose forgetting removes it.
      namespaceSeries(namespace);
      for (const result of results) analysisRuns.inc({ namespace, result });
      if (outcome === undefined) return;
      outcomes.inc({ namespace, outcome });
      if (durationSeconds !== undefined) releaseDuration.observe({ namespace, outcome }, durationSeconds);
    },
    collectFrom(next) {
      sources = next;
    },
  };
}
