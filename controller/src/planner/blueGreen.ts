/**
 * What status says about a blue-green rollout: the phase of the switch and the revision each Service serves. The
 * planner's decisions are the canary's (blue-green runs as steps, api/steps.ts); this only names where they stand,
 * from what the cluster reads back (the Services' selectors, the router's weights), never from what was just asked
 * for: "Switched" and its Event mean that users are on the new revision, not that a write was sent.
 */
import type { ResolvedStep } from '../api/steps.ts';
import type { PlanBuilder } from './builder.ts';

/** The revision users reach now, as read back: the active Service's, or the preview's when the router sends 100%. */
function activeNow(b: PlanBuilder): string | undefined {
  const { traffic, services } = b.world;
  if (traffic?.kind === 'weights' && traffic.canary === 100) return services?.canary;
  return services?.stable;
}

export function recordBlueGreen(b: PlanBuilder, steps: readonly ResolvedStep[] | undefined): void {
  const { status, previous, world } = b;
  const bg = world.rollout.spec.strategy.blueGreen;
  if (bg === undefined || status.stableRevision === undefined) {
    delete status.blueGreen;
    return;
  }
  const stable = status.stableRevision;
  const canary = status.canaryRevision ?? stable;
  const before = previous.blueGreen;
  const active = activeNow(b) ?? before?.activeRevision ?? stable;
  const switchAt = steps?.findIndex((s) => s.kind === 'switch') ?? -1;
  const index = status.currentStepIndex ?? 0;
  const phase =
    status.abort === true
      ? 'Aborted'
      : canary === stable
        ? 'Promoted'
        : active === canary
          ? 'Switched'
          : switchAt >= 0 && index >= switchAt
            ? 'Switching'
            : 'Preview';
  // The Service names: kept from the release's start while a new revision is in flight (workload/names.ts).
  const inFlight = canary !== stable;
  const names =
    inFlight && before?.activeService !== undefined && before.previewService !== undefined
      ? { activeService: before.activeService, previewService: before.previewService }
      : { activeService: bg.activeService, previewService: bg.previewService };
  if (names.activeService !== bg.activeService || names.previewService !== bg.previewService)
    b.messageSuffix += `; the new Service names (active ${bg.activeService}, preview ${bg.previewService}) take effect once no new revision is in flight`;
  // The decision, as status.weights records it before the Service or the route is written (the bench times the
  // switch from it); "Switched" below waits for the read-back.
  let switchedAt = before?.switchedAt;
  if (canary !== stable && status.weights?.canary === 100 && previous.weights?.canary !== 100) switchedAt = b.now;
  const wasOn = before?.activeRevision;
  if (wasOn !== undefined && activeNow(b) !== undefined && active !== wasOn) {
    // Forward is onto a newer ReplicaSet (a switch, or a promotion); back is onto an older one (an abort, a revert,
    // a newer template that superseded the switched one).
    const sequence = (revision: string) => world.replicaSets.find((rs) => rs.revision === revision)?.sequence ?? 0;
    if (sequence(active) > sequence(wasOn)) {
      b.event('Normal', 'Switched', `Service ${names.activeService} serves revision ${active} (was ${wasOn})`);
    } else {
      b.event(
        'Warning',
        'SwitchedBack',
        `Service ${names.activeService} serves revision ${active} again (was ${wasOn})`,
      );
    }
  }
  status.blueGreen = {
    ...names,
    phase,
    activeRevision: active,
    previewRevision: canary,
    ...(switchedAt === undefined ? {} : { switchedAt }),
  };
}
