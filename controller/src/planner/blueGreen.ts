/**
 * What status says about a blue-green rollout: the phase of the switch and the revision each Service serves. The
 * planner's decisions are the canary's (blue-green runs as steps, api/steps.ts); this only names where they stand,
 * so that `kubectl get ro`, `kubectl sluice status` and the dashboard can say "active on X, preview on Y".
 */
import type { ResolvedStep } from '../api/steps.ts';
import type { PlanBuilder } from './builder.ts';

export function recordBlueGreen(b: PlanBuilder, steps: readonly ResolvedStep[]): void {
  const { status, previous, world } = b;
  const bg = world.rollout.spec.strategy.blueGreen;
  if (bg === undefined || status.stableRevision === undefined) {
    delete status.blueGreen;
    return;
  }
  const stable = status.stableRevision;
  const canary = status.canaryRevision ?? stable;
  const switched = canary !== stable && status.weights?.canary === 100;
  const switchAt = steps.findIndex((s) => s.kind === 'switch');
  const index = status.currentStepIndex ?? 0;
  const phase =
    status.abort === true
      ? 'Aborted'
      : canary === stable
        ? 'Promoted'
        : switched
          ? 'Switched'
          : index >= switchAt
            ? 'Switching'
            : 'Preview';
  const active = switched ? canary : stable;
  const before = previous.blueGreen;
  let switchedAt = before?.switchedAt;
  if (switched && before?.activeRevision !== canary) {
    switchedAt = b.now;
    b.event(
      'Normal',
      'Switched',
      `Service ${bg.activeService} now serves revision ${canary} (was ${stable}); ${stable} keeps running until promotion`,
    );
  }
  if (!switched && before?.activeRevision === canary && canary !== stable && before.phase !== 'Promoted') {
    b.event('Warning', 'SwitchedBack', `Service ${bg.activeService} serves revision ${stable} again (was ${canary})`);
  }
  status.blueGreen = {
    phase,
    activeRevision: active,
    previewRevision: canary,
    ...(switchedAt === undefined ? {} : { switchedAt }),
  };
}
