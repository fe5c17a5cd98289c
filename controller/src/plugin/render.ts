/**
 * Text the kubectl plugin prints: a `kubectl get`-style table and a `describe`-style status. Pure, so testable.
 * Every string that comes from the cluster goes through `printable` (terminalText.ts) on its way in.
 */
import type { Rollout } from '../api/types.ts';
import { printable } from './terminalText.ts';

export function age(from: string | Date | undefined, now: Date): string {
  if (from === undefined) return '<unknown>';
  const s = Math.max(0, Math.floor((now.getTime() - new Date(from).getTime()) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function stepText(r: Rollout): string {
  const total = r.spec.strategy.canary.steps.length;
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
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [head, ...rows]
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

export interface EventLine {
  type: string;
  reason: string;
  message: string;
  time: string | undefined;
}

export function describe(r: Rollout, events: readonly EventLine[], now: Date): string {
  const s = r.status ?? {};
  // Numbers from status are printed through String(), so that a non-number someone wrote there is cleaned too.
  const lines = [
    `Name:         ${printable(r.metadata.name ?? '')}`,
    `Namespace:    ${printable(r.metadata.namespace ?? '')}`,
    `Phase:        ${printable(s.phase ?? '-')}`,
    `Message:      ${printable(s.message ?? '')}`,
    `Step:         ${printable(stepText(r))}`,
    `Weights:      canary ${printable(String(s.weights?.canary ?? 0))}%, stable ${printable(String(s.weights?.stable ?? 100))}%`,
    `Stable:       ${printable(s.stableRevision ?? '-')}`,
    `Canary:       ${printable(s.canaryRevision ?? '-')}${s.abort === true ? ' (aborted)' : ''}`,
  ];
  if ((s.pauseConditions ?? []).length > 0)
    lines.push(
      `Paused:       ${s.pauseConditions!.map((p) => `${printable(p.reason)} since ${age(p.startTime, now)}`).join(', ')}`,
    );
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
