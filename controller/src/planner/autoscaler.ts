/**
 * A HorizontalPodAutoscaler left on the Deployment once Sluice runs the application: Sluice keeps the Deployment at
 * 0 replicas, and an autoscaler does not scale a target at 0, so autoscaling has silently stopped. Say so in the
 * condition AutoscalerOnDeployment (and an Event when it starts), with what to do; the condition is present only
 * while it is true, so Rollouts without an autoscaler carry nothing for it.
 */
import type { PlanBuilder } from './builder.ts';

export function reportAutoscalerOnDeployment(b: PlanBuilder): void {
  const hpa = b.world.autoscalerOnDeployment;
  const deployment = b.world.rollout.spec.workloadRef?.name;
  if (hpa === undefined || deployment === undefined) {
    b.status.conditions = (b.status.conditions ?? []).filter((c) => c.type !== 'AutoscalerOnDeployment');
    if (b.status.conditions.length === 0) delete b.status.conditions;
    return;
  }
  const name = b.world.rollout.metadata.name;
  const message = `HorizontalPodAutoscaler ${hpa} targets Deployment ${deployment}, which Sluice keeps at 0 replicas, so it no longer scales anything: set spec.replicas on Rollout ${name} and point the autoscaler's scaleTargetRef at it (apiVersion sluice.dev/v1alpha1, kind Rollout)`;
  if (b.conditionOf('AutoscalerOnDeployment')?.status !== 'True') b.event('Warning', 'AutoscalerOnDeployment', message);
  b.condition('AutoscalerOnDeployment', { status: 'True', reason: 'AutoscalerOnDeployment', message });
}
