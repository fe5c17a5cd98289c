/**
 * On abort, every flag the rollout touched goes back to where it was (or off, with onAbort: disable), in the
 * reconcile that moved the traffic. Flags Unleash did not confirm stay in status.flags, the message names them,
 * and the rollout looks again after a growing delay until every one is restored.
 */
import { restoreFlags } from '../flags/flagSteps.ts';
import type { UnleashConnection } from '../flags/unleashConnection.ts';
import type { Plan } from '../planner/world.ts';

const firstRetryMs = 2_000;
const maxRetryMs = 60_000;

export async function restoreAbortedFlags(plan: Plan, unleash: UnleashConnection): Promise<void> {
  const flags = plan.status.flags ?? [];
  if (plan.status.abort !== true || flags.length === 0) return;
  const admin = unleash.admin();
  let remaining = flags;
  let reason: string;
  if (admin.ok) {
    const result = await restoreFlags(flags, admin.value);
    for (const r of result.results) {
      if (r.outcome !== 'failed') plan.events.push({ type: 'Normal', reason: 'FlagRestored', message: r.message });
    }
    remaining = result.remaining;
    reason = result.results.find((r) => r.outcome === 'failed')?.message ?? '';
  } else {
    reason = admin.message;
  }
  plan.status.flags = remaining;
  if (remaining.length === 0) return;
  const names = remaining.map((f) => `${f.name} (${f.environment})`).join(', ');
  plan.status.message = `${plan.status.message ?? 'aborted'}; flags still to restore: ${names}: ${reason}`;
  // A growing delay, kept in no memory: the time since the abort says how long Unleash has been failing.
  const sinceAbortMs = Date.now() - Date.parse(plan.status.abortedAt ?? new Date().toISOString());
  const retry = Math.min(maxRetryMs, Math.max(firstRetryMs, sinceAbortMs / 2));
  plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, retry);
}
