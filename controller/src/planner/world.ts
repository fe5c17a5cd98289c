/**
 * What the planner sees and what it decides. The reconciler fills an ObservedWorld from the informers' caches
 * (no API call), the planner turns it into a Plan without any I/O, and the executor applies the Plan.
 */
import type { ManualAction } from '../api/controls.ts';
import type { SpecError } from '../api/validate.ts';
import type { AnalysisRunStatus, Rollout, RolloutStatus } from '../api/types.ts';
import type { FlagOperationState, PlannedFlagOperation } from '../flags/flagSteps.ts';
import type { ManagedRoute } from '../routers/managedRoutes.ts';

/** The Deployment named by workloadRef, reduced to what the planner needs. */
export interface ObservedDeployment {
  name: string;
  /** spec.replicas as the Deployment has it now (Sluice keeps it at 0 once it has taken over). */
  replicas: number;
  /** Replicas the user asked for, recorded by Sluice when it scaled the Deployment to 0. */
  recordedReplicas: number | undefined;
  /** Revision (hash) of the Deployment's current pod template. */
  templateRevision: string;
  /**
   * metadata.generation: it moves with every change to the spec, so a pending undo can tell a write of its own
   * that never landed from a newer change that put the same template back (GitOps self-heal).
   */
  generation?: number;
}

/** A ReplicaSet that Sluice owns for this Rollout. */
export interface ObservedReplicaSet {
  name: string;
  revision: string;
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
  /** Pods that exist (status.replicas), ready or not: a ReplicaSet scaled to 0 may still be stopping some. */
  pods: number;
  /**
   * The revision number (1, 2, ...; 0 when unknown), as `kubectl sluice history` shows it and undo names it: the
   * order in which revisions became the Deployment's template. The lower of two old ReplicaSets is deleted first.
   */
  revisionNumber: number;
  /** metadata.creationTimestamp, for ReplicaSets of the same revision number (whole seconds only). */
  createdAt: string;
}

/**
 * One of the Rollout's pods, as little of it as a restart needs (the cache keeps only this, see reconcile/pods.ts).
 * Only pods of a ReplicaSet this Rollout owns are listed.
 */
export interface ObservedPod {
  name: string;
  uid: string;
  revision: string;
  /** metadata.creationTimestamp (whole seconds). */
  createdAt: string;
  /** Its Ready condition is True. */
  ready: boolean;
  /** It has a deletionTimestamp: on its way out, its replacement may not exist yet. */
  deleting: boolean;
}

/** The Eviction API's answer to one eviction: 429 a budget refused, 201 evicted, anything else a failure. */
export interface EvictionAnswer {
  pod: string;
  uid: string;
  /** The HTTP status; undefined when no answer came (the connection failed). */
  code: number | undefined;
  /** What the API server said (a refusing budget's name is in it), or the error. */
  message: string;
}

export interface UnleashView {
  /** The environment and project of a setFlag step that names none. */
  defaultEnvironment: string;
  defaultProject: string;
  /** Why Sluice cannot change flags at all (the Unleash settings are missing), if it cannot. */
  unavailable: string | undefined;
  /** Where the flag operation with this id stands. */
  operation: (id: string) => FlagOperationState;
}

/** What the traffic router reads back from the cluster. */
export type TrafficObservation =
  /** routes: the managed routes the router reads back, in precedence order (none when it has none). */
  | {
      kind: 'weights';
      canary: number;
      stable: number;
      routes?: ManagedRoute[];
      /**
       * The revision each backend selects, as read back, when the router selects pods itself (Istio subsets);
       * absent when its backends are Sluice's Services (world.services says then).
       */
      revisions?: { stable: string | undefined; canary: string | undefined };
    }
  /**
   * The router's object is missing or lacks the stable/canary backends: the spec cannot be carried out.
   * abortable: the split can still be read and written, and an abort's intent (weight 0, no managed route) would
   * be carried out; only what the canary asks of the object is refused.
   */
  | { kind: 'invalid'; message: string; field: string; abortable?: boolean };

/** The verdict of a step that the planner cannot decide alone (analysis, feature flags). */
export type GateVerdict =
  | { kind: 'done'; message: string }
  | { kind: 'running'; message: string; requeueAfterMs?: number }
  | { kind: 'inconclusive'; message: string }
  | { kind: 'failed'; message: string };

export interface ObservedWorld {
  now: Date;
  rollout: Rollout;
  /** Controller-only spec checks (validate.ts); any error stops the rollout where it is. */
  specErrors: SpecError[];
  /** Absent for flag-only Rollouts and when the Deployment does not exist. */
  deployment: ObservedDeployment | undefined;
  replicaSets: ObservedReplicaSet[];
  /** The pods of those ReplicaSets, for spec.restartAt. */
  pods: ObservedPod[];
  /** Why the pods cannot be seen (RBAC without pods), if so: a restart then waits, and never counts as done. */
  podsUnavailable?: string;
  /**
   * What the Eviction API last answered this process about one of the Rollout's pods (spec.restartAt), if it did
   * since it started: a restart blames a PodDisruptionBudget only on a 429, never on a guess.
   */
  lastEviction?: EvictionAnswer;
  /** Absent when the rollout splits by replica ratio (no router object to read). */
  traffic: TrafficObservation | undefined;
  /**
   * The revision each of Sluice's Services selects now, read back from the cache (undefined: the Service is
   * missing or selects no revision); absent without spec.service. stable is blue-green's active Service, canary
   * its preview Service.
   */
  services?: {
    stable: string | undefined;
    canary: string | undefined;
    /** The stable (blue-green: active) Service is not this Rollout's yet: not created, or not adopted yet. */
    stableUnseen?: true;
  };
  /** A HorizontalPodAutoscaler in the namespace that targets the Deployment Sluice runs, by name; absent if none. */
  autoscalerOnDeployment?: string;
  /** The pending manual request from the sluice.dev/action annotation, already parsed. */
  action: ManualAction | { invalid: string } | undefined;
  /** Verdicts for analysis and setFlag steps, by step index; a missing verdict means the step waits. */
  stepVerdicts: ReadonlyMap<number, GateVerdict>;
  /** Background analysis verdict, when the spec has one and it has started. */
  backgroundVerdict: GateVerdict | undefined;
  /** The analysis runs after this reconcile's measurements; undefined leaves status.analysis as it is. */
  analysisRuns: AnalysisRunStatus[] | undefined;
  /** Unleash as the planner sees it: the outcomes of the flag operations it asked for, run in the background. */
  unleash: UnleashView;
  /** Set while a freeze flag holds every step. */
  freeze: { message: string } | undefined;
}

export interface PlannedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface PdbBudget {
  minAvailable?: number | string;
  maxUnavailable?: number | string;
}

export interface DesiredReplicaSet {
  revision: string;
  replicas: number;
}

export interface Plan {
  /** The whole status to write; the executor writes only when it differs from the current one. */
  status: RolloutStatus;
  /** Replica counts per revision; a Sluice ReplicaSet not listed here is scaled to 0. */
  replicaSets: DesiredReplicaSet[];
  /** Revisions the -stable and -canary Services select; undefined leaves a Service as it is. */
  services: { stable: string; canary: string } | undefined;
  /** Canary weight for the traffic router; undefined leaves the router as it is. */
  canaryWeight: number | undefined;
  /** The managed routes the router must have, with canaryWeight (none: every one is removed). */
  routes: ManagedRoute[];
  /**
   * The PodDisruptionBudget Sluice keeps for the Rollout's pods: a budget to have, or none (one Sluice made is
   * removed). Absent: left as it is (an invalid spec touches nothing).
   */
  podDisruptionBudget?: { budget: PdbBudget | undefined };
  /**
   * The number the ReplicaSet of the Deployment's current template must carry (it is created with it, or renumbered):
   * the newest template always has the highest. Undefined: every ReplicaSet keeps its number.
   */
  revisionNumber: { revision: string; number: number } | undefined;
  /**
   * An undo: write this ReplicaSet's pod template into the Deployment, fenced with the Deployment's resourceVersion
   * (status.undo records the decision first). Undefined: the Deployment's template is left as it is.
   */
  undoTemplate: { replicaSet: string; revision: string } | undefined;
  /** Scale the template Deployment to 0 and record the user's replicas on it. */
  takeOverDeployment: { recordReplicas: number } | undefined;
  /** Remove the sluice.dev/action annotation (it was acted on, or refused), once status records what was done. */
  clearAction: boolean;
  /** Unleash calls to hand to the background, after status is written and traffic has moved. */
  flagOperations: PlannedFlagOperation[];
  /**
   * Stable pods to evict through the Eviction API, for spec.restartAt (one at a time). A PodDisruptionBudget that
   * refuses (429) is "not now": the plan's requeue asks again.
   */
  evictions: { name: string; uid: string }[];
  /** Names of old ReplicaSets (no pod, no role) beyond spec.revisionHistoryLimit, to delete. */
  deleteReplicaSets: string[];
  events: PlannedEvent[];
  /** When to look again even if nothing changes (pause durations, scale-down delays). */
  requeueAfterMs: number | undefined;
}
