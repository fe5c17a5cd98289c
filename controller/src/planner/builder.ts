/**
 * The plan under construction: the next status, events and desired objects, filled in by the planner's sub-steps.
 * Keeping it in one small object lets each sub-step read as "decide, record, return" without passing ten values.
 */
import type { ManualAction } from '../api/controls.ts';
import { resolveSteps, type ResolvedStep } from '../api/steps.ts';
import type { Condition, RolloutStatus } from '../api/types.ts';
import type { ManagedRoute } from '../routers/managedRoutes.ts';
import { truncate } from '../analysis/errors.ts';
import { setCondition, type ConditionType, type ConditionValue } from './conditions.ts';
import type { DesiredReplicaSet, ObservedWorld, Plan, PlannedEvent } from './world.ts';

type PauseReason = 'PauseStep' | 'UserPaused' | 'AnalysisInconclusive' | 'FreezeFlag';

/** The longest requeue a plan asks for; the work queue caps delays at the same hour. */
const maxPlannedRequeueMs = 3_600_000;

/** The bound of status.message (api/common.schema.ts text()); condition messages are kept to it too. */
const maxStatusText = 1024;

export class PlanBuilder {
  readonly world: ObservedWorld;
  readonly previous: RolloutStatus;
  status: RolloutStatus;
  replicaSets: DesiredReplicaSet[] = [];
  services: Plan['services'] = undefined;
  canaryWeight: number | undefined = undefined;
  routes: ManagedRoute[] = [];
  takeOverDeployment: Plan['takeOverDeployment'] = undefined;
  revisionNumber: Plan['revisionNumber'] = undefined;
  undoTemplate: Plan['undoTemplate'] = undefined;
  podDisruptionBudget: Plan['podDisruptionBudget'] = undefined;
  clearAction = false;
  flagOperations: Plan['flagOperations'] = [];
  /** A step that waits for a person to fix something outside the Rollout: reported as InvalidSpec. */
  invalidStep: { field: string; message: string } | undefined = undefined;
  /** Said after the status message, whatever the phase (flags an abort has not put back yet). */
  messageSuffix = '';
  deleteReplicaSets: string[] = [];
  evictions: Plan['evictions'] = [];
  events: PlannedEvent[] = [];
  requeueAfterMs: number | undefined = undefined;
  /** Set while spec.restartAt is replacing stable pods: what it is doing (the phase is Progressing meanwhile). */
  restarting: string | undefined = undefined;
  /** Set when the rollout is Degraded (aborted, deadline passed): the reason becomes the Progressing condition. */
  degraded: { reason: string; message: string } | undefined = undefined;
  private pauses: PauseReason[] = [];

  /**
   * The manual request to act on: the annotation's, unless status says it was acted on already (the annotation is
   * removed only after status records what was done, so a retried reconcile may see it once more). A sub-step that
   * handles a request alone (undo) consumes it, so that the ones after it do not see it.
   */
  #action: ObservedWorld['action'];
  get action(): ObservedWorld['action'] {
    return this.#action;
  }
  consumeAction(): void {
    this.#action = undefined;
  }

  #steps: ResolvedStep[] | undefined;
  /** The spec's steps, resolved once per plan: several sub-steps read them. Throws as resolveSteps does. */
  get steps(): readonly ResolvedStep[] {
    return (this.#steps ??= resolveSteps(this.world.rollout.spec));
  }

  constructor(world: ObservedWorld) {
    this.world = world;
    this.previous = world.rollout.status ?? {};
    this.status = { ...structuredClone(this.previous), observedGeneration: world.rollout.metadata.generation ?? 0 };
    const handled = this.previous.handledAction;
    // Only a request that is not idempotent needs the record: an abort acted on twice is one abort.
    // A leftover request is never applied to a newer release: it matches the state it left, which status still
    // shows until this plan starts the new canary (swallowing a new equal request there is the safe side).
    // "promote" alone is the record of a controller before this format: taken as the same request.
    const request = world.action;
    if (
      typeof request === 'string' &&
      request !== 'abort' &&
      handled !== undefined &&
      (handled === handledSignature(request, this.previous) || handled === request)
    ) {
      this.#action = undefined;
      this.clearAction = true;
      // Still there: the record follows the rollout as it moves on, so the request stays recognised.
      this.#actedOn = request;
    } else {
      this.#action = request;
      // No request pending (or a new one): the record of the last one has done its work.
      if (handled !== undefined) delete this.status.handledAction;
    }
    if (world.analysisRuns !== undefined) this.status.analysis = { runs: world.analysisRuns };
  }

  get now(): string {
    return this.world.now.toISOString();
  }

  event(type: PlannedEvent['type'], reason: string, message: string): void {
    this.events.push({ type, reason, message });
  }

  /**
   * Asks to be reconciled again after `ms`, capped at an hour: a 30-day pause is woken hourly and plans the time
   * still left, and no delay ever reaches Node's timer limit (above 2^31-1 ms a timer fires after 1 ms, which
   * reconciled a `pause: {duration: 720h}` about a thousand times a second). A NaN asks for the cap, not a spin.
   */
  requeueAfter(ms: number): void {
    const at = Number.isNaN(ms) ? maxPlannedRequeueMs : Math.min(Math.max(ms, 0), maxPlannedRequeueMs);
    this.requeueAfterMs = this.requeueAfterMs === undefined ? at : Math.min(this.requeueAfterMs, at);
  }

  pause(reason: PauseReason): void {
    if (!this.pauses.includes(reason)) this.pauses.push(reason);
  }

  get paused(): boolean {
    return this.pauses.length > 0;
  }

  condition(type: ConditionType, value: ConditionValue): void {
    this.status.conditions = setCondition(
      this.status.conditions ?? [],
      type,
      // Messages quote what users wrote (an annotation may be 256 KiB): one past the CRD's bound makes every status
      // write a 422, so nothing is recorded, an abort included.
      { ...value, message: truncate(value.message, maxStatusText) },
      this.world.now,
      this.status.observedGeneration,
    );
  }

  conditionOf(type: ConditionType): Condition | undefined {
    return this.previous.conditions?.find((c) => c.type === type);
  }

  /** Whether status already says this (True, with this message as status keeps it: cut to its bound). */
  alreadySays(type: ConditionType, message: string): boolean {
    const before = this.conditionOf(type);
    return before?.status === 'True' && before.message === truncate(message, maxStatusText);
  }

  /** Moves to step `index`, whose clock starts now. */
  enterStep(index: number): void {
    this.status.currentStepIndex = index;
    this.status.stepStartedAt = this.now;
  }

  #actedOn: ManualAction | undefined;

  /**
   * Marks the manual request as acted on: status records it, then the executor removes the annotation. One carried
   * out ends the ActionRefused condition of an earlier one that could not be (`refused`: this one could not either).
   */
  actedOn(action: ManualAction, opts: { refused?: boolean } = {}): void {
    this.clearAction = true;
    if (action !== 'abort') this.#actedOn = action;
    if (opts.refused !== true && this.conditionOf('ActionRefused')?.status === 'True')
      this.condition('ActionRefused', {
        status: 'False',
        reason: 'ActionAccepted',
        message: `the last request (${action}) was taken`,
      });
  }

  build(): Plan {
    if (this.status.message !== undefined) this.status.message = truncate(this.status.message, maxStatusText);
    if (this.#actedOn !== undefined) this.status.handledAction = handledSignature(this.#actedOn, this.status);
    // Pause conditions keep the time they began, so "paused for 5m" stays true across reconciles.
    const before = this.previous.pauseConditions ?? [];
    this.status.pauseConditions = this.pauses.map((reason) => ({
      reason,
      startTime: before.find((p) => p.reason === reason)?.startTime ?? this.now,
    }));
    return {
      status: this.status,
      replicaSets: this.replicaSets,
      services: this.services,
      canaryWeight: this.canaryWeight,
      routes: this.routes,
      takeOverDeployment: this.takeOverDeployment,
      revisionNumber: this.revisionNumber,
      undoTemplate: this.undoTemplate,
      ...(this.podDisruptionBudget === undefined ? {} : { podDisruptionBudget: this.podDisruptionBudget }),
      clearAction: this.clearAction,
      flagOperations: this.flagOperations,
      deleteReplicaSets: this.deleteReplicaSets,
      evictions: this.evictions,
      events: this.events,
      requeueAfterMs: this.requeueAfterMs,
    };
  }
}

/**
 * The record of a request acted on: the action and the state it left the rollout in. A request found again with
 * the rollout still in that state is the same one (its annotation was not removed yet); once the rollout has moved
 * on (another step, another revision, an abort ended) an equal request is a new one and is acted on.
 */
export function handledSignature(action: ManualAction, status: RolloutStatus): string {
  return `${action} at ${status.canaryRevision ?? ''} step ${status.currentStepIndex ?? 0}${status.abort === true ? ' aborted' : ''}`;
}
