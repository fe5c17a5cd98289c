/** Words and numbers for the page: pure, so they are tested without a browser. */
import type { DashboardAction, RolloutSummary } from '../../controller/src/dashboard/model.ts';

export { age, relativeTime } from '../../controller/src/plugin/age.ts';

/** The CSS class that colours a phase. */
export function phaseClass(phase: string): string {
  switch (phase) {
    case 'Progressing':
      return 'phase-progressing';
    case 'Paused':
      return 'phase-paused';
    case 'Healthy':
      return 'phase-healthy';
    case 'Degraded':
      return 'phase-degraded';
    default:
      return 'phase-unknown';
  }
}

export function phaseText(s: Pick<RolloutSummary, 'phase' | 'paused' | 'aborted'>): string {
  const phase = s.phase === '' ? 'Pending' : s.phase;
  return s.aborted && phase !== 'Degraded' ? `${phase} (aborted)` : phase;
}

export function stepText(s: Pick<RolloutSummary, 'step'>): string {
  return s.step.total === 0 ? '-' : `${s.step.current}/${s.step.total}`;
}

/** A percentage for a bar's width: 0 to 100, whatever the input. */
export function barWidth(weight: number): number {
  return Number.isFinite(weight) ? Math.min(100, Math.max(0, Math.round(weight))) : 0;
}

export const actionLabels: Record<DashboardAction, string> = {
  promote: 'Promote',
  'promote-full': 'Promote full',
  abort: 'Abort',
  retry: 'Retry',
  pause: 'Pause',
  resume: 'Resume',
};

export const actionHints: Record<DashboardAction, string> = {
  promote: 'End the current step and go on to the next',
  'promote-full': 'Skip the remaining steps and make the canary stable',
  abort: 'Move all traffic back to stable now',
  retry: 'Start the aborted canary again from the first step',
  pause: 'Hold the rollout at its step (spec.paused)',
  resume: 'Let a paused rollout go on',
};

/** Actions that are hard to undo ask first. */
export const confirmedActions: ReadonlySet<DashboardAction> = new Set(['abort', 'promote-full']);

/** A measured number short enough for a table cell. */
export function formatValue(value: number | null, text: string | undefined): string {
  if (value === null) return text ?? '–';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  return abs >= 1e6 || abs < 1e-3 ? value.toExponential(2) : String(Number(value.toPrecision(4)));
}

/** The rollout a location hash names: #/rollouts/<namespace>/<name>. */
export function routeOf(hash: string): { view: 'list' } | { view: 'detail'; namespace: string; name: string } {
  const match = /^#\/rollouts\/([^/]+)\/([^/]+)$/.exec(hash);
  if (match === null) return { view: 'list' };
  return { view: 'detail', namespace: decodeURIComponent(match[1]!), name: decodeURIComponent(match[2]!) };
}

export function detailHash(namespace: string, name: string): string {
  return `#/rollouts/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}

/** Which rows of a virtual list to draw: those in view, and a few either side so fast scrolling shows no gap. */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  rows: number,
  overscan = 8,
): { first: number; last: number } {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(rows, Math.ceil((scrollTop + viewportHeight) / rowHeight) + overscan);
  return { first, last: Math.max(first, last) };
}
