/** Notifications are announced only once the status write that records their decision has succeeded. */
import { describe, expect, it } from 'vitest';
import { executePlan, type ExecuteContext } from './execute.ts';
import { abortPlan, recorder, rollout } from './execute.test-support.ts';

function withNotifications(fail: Parameters<typeof recorder>[0] = {}) {
  const r = recorder(fail);
  const ctx: ExecuteContext = {
    ...r.ctx,
    notifications: {
      notify: (_ro, previous, plan) => r.calls.push(`notify ${previous?.abort ?? false}->${plan.status.abort}`),
    },
  };
  return { ...r, ctx };
}

describe('executePlan and notifications', () => {
  it('notifies right after the status write, before any effect, with the status the plan was made from', async () => {
    const { ctx, calls } = withNotifications();
    await executePlan(ctx, abortPlan());
    expect(calls.slice(0, 3)).toEqual(['status@10 handled', 'notify false->true', 'event Aborted']);
  });

  it('does not notify when the status write fails', async () => {
    const { ctx, calls } = withNotifications({ status: new Error('HTTP 500') });
    await expect(executePlan(ctx, abortPlan())).rejects.toThrow();
    expect(calls.some((c) => c.startsWith('notify'))).toBe(false);
  });

  it('does not notify again for a status already recorded (a retried reconcile)', async () => {
    const plan = abortPlan();
    const { ctx, calls } = withNotifications();
    await executePlan({ ...ctx, rollout: { ...rollout, status: plan.status } }, plan);
    expect(calls.some((c) => c.startsWith('notify'))).toBe(false);
  });
});
