/**
 * Text the kubectl plugin prints: a `kubectl get`-style table and a `describe`-style status. Pure, so testable.
 * Every string that comes from the cluster goes through `printable` (terminalText.ts) on its way in.
 */
import { analysisRunTitle, shownSteps, stepCount, stepState } from '../api/progress.ts';
import type { Rollout } from '../api/types.ts';
import { explainMetric } from '../analysis/verdictExplanation.ts';
import { age, relativeTime } from './age.ts';
import { columns, printable } from './terminalText.ts';

export function stepText(r: Rollout): string {
  const total = stepCount(r.spec);
  const index = r.status?.currentStepIndex;
  return index === undefined ? '-' : `${Math.min(index + 1, total)}/${total}`;
}

export function table(rollouts: readonly Rollout[], now: Date, withNamespace: boolean): string {
  const head = [...(withNamespace ? ['NAMESPACE'] : []), 'NAME', 'PHASE', 'STEP', 'CANARY-WEIGHT', 'AGE'];
  const rows = rollouts.map((r) => [
    ...(withNamespace ? [printable(r.metadata.namespace ?? '')] : []),
    printable(r.metadata.name ?? ''),
    printable(r.status?.phase ?? '-'),
    stepText(r),
    r.status?.weights === undefined ? '-' : String(r.status.weights.canary),
    age(r.metadata.creationTimestamp, now),
  ]);
  return columns(head, rows);
}

export interface EventLine {
  type: string;
  reason: string;
  message: string;
  time: string | undefined;
}

/** `revisions`: the summary line of kubectl sluice history (history.ts), when the ReplicaSets could be read. */
export function describe(r: Rollout, events: readonly EventLine[], now: Date, revisions?: string): string {
  const s = r.status ?? {};
  // Numbers from status are printed through String(), so that a non-number someone wrote there is cleaned too.
  const lines = [
    `Name:         ${printable(r.metadata.name ?? '')}`,
    `Namespace:    ${printable(r.metadata.namespace ?? '')}`,
    ...(r.spec.strategy.blueGreen === undefined ? [] : ['Strategy:     blue-green']),
    `Phase:        ${printable(s.phase ?? '-')}`,
    `Message:      ${printable(s.message ?? '')}`,
    `Step:         ${printable(stepText(r))}`,
    `Weights:      canary ${printable(String(s.weights?.canary ?? 0))}%, stable ${printable(String(s.weights?.stable ?? 100))}%`,
    `Stable:       ${printable(s.stableRevision ?? '-')}`,
    `Canary:       ${printable(s.canaryRevision ?? '-')}${s.abort === true ? ' (aborted)' : ''}${s.rollbackWithinWindow === true ? ' (rollback within window: steps skipped)' : ''}`,
    ...(revisions === undefined || revisions === '' ? [] : [`Revisions:    ${revisions}`]),
    ...blueGreenServices(r, now),
  ];
  // Any strategy may keep the previous revision running for a while; blue-green does (scaleDownDelaySeconds).
  for (const w of s.scaleDown ?? [])
    lines.push(
      w.scaleDownAt === undefined
        ? `Scale down:   revision ${printable(w.revision)} kept while users may still reach it`
        : `Scale down:   revision ${printable(w.revision)} kept until ${printable(w.scaleDownAt)} (${relativeTime(w.scaleDownAt, now)})`,
    );
  lines.push(...restartLines(r, now));
  if ((s.pauseConditions ?? []).length > 0)
    lines.push(
      `Paused:       ${s.pauseConditions!.map((p) => `${printable(p.reason)} since ${age(p.startTime, now)}`).join(', ')}`,
    );
  lines.push(...blueGreenProgress(r), ...canaryAnalysis(r));
  lines.push('Conditions:');
  for (const c of s.conditions ?? []) {
    const message = printable(c.message ?? '');
    lines.push(
      `  ${printable(c.type).padEnd(12)} ${printable(c.status).padEnd(6)} ${printable(c.reason)}${message === '' ? '' : `: ${message}`}`,
    );
  }
  lines.push('Events:');
  if (events.length === 0) lines.push('  <none>');
  for (const e of events)
    lines.push(
      `  ${age(e.time, now).padStart(5)}  ${printable(e.type).padEnd(8)} ${printable(e.reason).padEnd(24)} ${printable(e.message)}`,
    );
  return lines.join('\n');
}

/** A restart of the stable pods (spec.restartAt): under way, asked for, or the last one done. */
function restartLines(r: Rollout, now: Date): string[] {
  const asked = r.spec.restartAt;
  const s = r.status ?? {};
  if (s.restart !== undefined)
    return [
      `Restart:      of the pods created before ${printable(s.restart.restartAt)}, started ${age(s.restart.startedAt, now)} ago, ${printable(String(s.restart.evictions))} evicted, last pod ${printable(s.restart.pod)}`,
    ];
  if (asked !== undefined && asked !== s.restartedAt)
    return [`Restart:      asked for ${printable(asked)}, not started`];
  return s.restartedAt === undefined ? [] : [`Restarted:    the pods created before ${printable(s.restartedAt)}`];
}

/** Where a blue-green rollout's two Services point; none for a canary. */
function blueGreenServices(r: Rollout, now: Date): string[] {
  const spec = r.spec.strategy.blueGreen;
  if (spec === undefined) return [];
  const s = r.status ?? {};
  const bg = s.blueGreen;
  const revision = (value: string | undefined) => (value === undefined ? '' : `, revision ${printable(value)}`);
  const switched = bg?.switchedAt === undefined ? '' : `, last switch ${relativeTime(bg.switchedAt, now)}`;
  return [
    `Active:       Service ${printable(spec.activeService)}${revision(bg?.activeRevision)}`,
    `Preview:      Service ${printable(spec.previewService)}${revision(bg?.previewRevision)}`,
    `Blue-green:   ${printable(bg?.phase ?? '-')}${switched}`,
  ];
}

/**
 * A blue-green rollout's steps, listed because the user never wrote them, and its analyses, named by the field
 * they come from (prePromotionAnalysis, postPromotionAnalysis); none for a canary.
 */
function blueGreenProgress(r: Rollout): string[] {
  if (r.spec.strategy.blueGreen === undefined) return [];
  const s = r.status ?? {};
  const steps = shownSteps(r.spec);
  const lines = ['Steps:'];
  for (const step of steps) {
    const state = stepState(step.index, s.currentStepIndex);
    lines.push(`  ${String(step.index + 1).padStart(2)}  ${state.padEnd(7)}  ${printable(step.text)}`);
  }
  return [...lines, ...analysisRuns(r, steps)];
}

/** A canary's analysis runs: its steps', the background one and the scale-down one of the previous revision. */
function canaryAnalysis(r: Rollout): string[] {
  return r.spec.strategy.blueGreen === undefined ? analysisRuns(r, shownSteps(r.spec)) : [];
}

function analysisRuns(r: Rollout, steps: ReturnType<typeof shownSteps>): string[] {
  const runs = r.status?.analysis?.runs ?? [];
  const lines = runs.length > 0 ? ['Analysis:'] : [];
  for (const run of runs) {
    const message = printable(run.message ?? '');
    lines.push(
      `  ${printable(analysisRunTitle(steps, run)).padEnd(22)} ${printable(run.phase).padEnd(12)} revision ${printable(run.revision)}${message === '' ? '' : `: ${message}`}`,
    );
    // Why a metric did not pass, as the dashboard says it (the template's conditions are not read here: the
    // measurement's message names the one that decided).
    for (const metric of run.metrics) {
      if (metric.phase !== 'Failed' && metric.phase !== 'Inconclusive') continue;
      const why = explainMetric(metric);
      if (why !== undefined)
        lines.push(`    ${printable(metric.name)} ${metric.phase.toLowerCase()}: ${printable(why)}`);
    }
  }
  return lines;
}
