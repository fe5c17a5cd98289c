/**
 * What status says about a blue-green rollout: the phase of the switch and the revision each Service serves. The
 * planner's decisions are the canary's (blue-green runs as steps, api/steps.ts); this only names where they stand,
 * from what the cluster reads back (the Services' selectors, the router's weights), never from what was just asked
 * for: "Switched" and its Event mean that users are on the new revision, not that a write was sent.
 */
import type { ResolvedStep } from '../api/steps.ts';
import type { PlanBuilder } from './builder.ts';
import { usersOn } from './scaleDown.ts';

/** The names of the Services this release uses: the ones it started with while a new revision is in flight. */
export function releaseNames(b: PlanBuilder): { activeService: string; previewService: string } {
  const bg = b.world.rollout.spec.strategy.blueGreen!;
  const before = b.previous.blueGreen;
  const inFlight = b.status.canaryRevision !== b.status.stableRevision;
  return inFlight && before?.activeService !== undefined && before.previewService !== undefined
    ? { activeService: before.activeService, previewService: before.previewService }
    : { activeService: bg.activeService, previewService: bg.previewService };
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
  const reached = usersOn(b);
  const active = reached ?? before?.activeRevision ?? stable;
  const switchAt = steps?.findIndex((s) => s.kind === 'switch') ?? -1;
  const index = status.currentStepIndex ?? 0;
  const phase =
    status.abort === true
      ? 'Aborted'
      : canary === stable
        ? active === stable
          ? 'Promoted'
          : 'Switching' // decided (a promotion, a revert), not read back yet
        : active === canary
          ? 'Switched'
          : switchAt >= 0 && index >= switchAt
            ? 'Switching'
            : 'Preview';
  const names = releaseNames(b);
  if (names.activeService !== bg.activeService || names.previewService !== bg.previewService)
    b.messageSuffix += `; the new Service names (active ${bg.activeService}, preview ${bg.previewService}) take effect once no new revision is in flight`;
  // The decision, as status.weights records it before the Service or the route is written (the bench times the
  // switch from it); "Switched" below waits for the read-back.
  let switchedAt = before?.switchedAt;
  if (canary !== stable && status.weights?.canary === 100 && previous.weights?.canary !== 100) switchedAt = b.now;
  const wasOn = before?.activeRevision;
  if (wasOn !== undefined && reached !== undefined && active !== wasOn) {
    // Forward is onto the revision this release brought (a switch, or a promotion read back late); back is onto any
    // other (an abort, a revert, a newer template that superseded the switched one).
    if (active === (before?.previewRevision ?? canary)) {
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
