/**
 * The span of one reconcile: which Rollout, what the planner decided and why, and when the key is looked at again.
 * It is the current span while the reconcile runs, so that every Kubernetes write the executor and the routers send
 * becomes its child (kube/writeSpans.ts); the background work it asks for links to it (analysis/measureSpan.ts,
 * flags/flagSpans.ts). Attributes come from the plan only: the planner is where the decision is made.
 */
import { parseObjectKey } from '../kube/objectKey.ts';
import type { Plan } from '../planner/world.ts';
import type { ReconcileResult } from '../queue/workQueue.ts';
import { nonRecordingSpan, type Span } from '../trace/span.ts';
import { inSpan, type Tracer } from '../trace/tracer.ts';

export async function traceReconcile(
  tracer: Tracer,
  key: string,
  reconcile: (span: Span) => Promise<ReconcileResult>,
): Promise<ReconcileResult> {
  if (!tracer.enabled) return reconcile(nonRecordingSpan);
  const { namespace, name } = parseObjectKey(key);
  return inSpan(
    tracer,
    'sluice.reconcile',
    // "none" until a plan says otherwise: a reconcile that returns before planning decides nothing.
    {
      attributes: {
        'sluice.rollout.namespace': namespace,
        'sluice.rollout.name': name,
        'sluice.plan.decision': 'none',
      },
    },
    reconcile,
    (span, result) => span.setAttribute('sluice.requeue_after_ms', result?.requeueAfterMs),
  );
}

/**
 * The decision is the transitions the plan records (its Events' reasons, such as RolloutStepCompleted or
 * RolloutAborted), or "none" when it only converges or waits; the reason is the last Event's message (the furthest
 * transition: "Promoted" after "StepCompleted"), else the status message the plan writes, which says what the Rollout
 * is waiting for.
 */
export function describePlan(span: Span, plan: Plan): void {
  if (span.context === undefined) return;
  const reasons = plan.events.map((e) => e.reason);
  span.setAttributes({
    'sluice.plan.decision': reasons.length === 0 ? 'none' : [...new Set(reasons)].join(','),
    'sluice.plan.reason': plan.events.at(-1)?.message ?? plan.status.message,
    'sluice.rollout.phase': plan.status.phase,
    'sluice.rollout.step': plan.status.currentStepIndex,
    'sluice.rollout.canary_weight': plan.canaryWeight,
    'sluice.rollout.abort': plan.status.abort === true,
    'sluice.rollout.revision': plan.status.canaryRevision,
  });
}
