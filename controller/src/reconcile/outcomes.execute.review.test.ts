/**
 * Review test of the executor's outcome hook (execute.ts onStatusWritten): fails on the current code, passes once
 * the defect in its `// review:` comment is fixed.
 */
import { describe, expect, it } from 'vitest';
import { executePlan } from './execute.ts';
import { abortPlan, recorder } from './execute.test-support.ts';

describe('review: the outcome hook sits between the abort record and its traffic move', () => {
  // review: execute.ts calls ctx.onStatusWritten (transitionOf + prom-client inc/observe) right after the status
  // write that records an abort and before the abort's traffic move, without catching. Anything that throws there
  // (prom-client throws on a non-finite observation, on an unknown label; a future change of transitionOf reading a
  // status field it did not expect) makes executePlan reject with the abort recorded but traffic still on the
  // canary until the retry - and the retry fails the same way if the throw is deterministic, since every
  // reconcile that writes status would call it again. Metrics are best effort; the traffic move is the safety rule.
  it('moves traffic back to stable after an abort even when the metrics hook throws', async () => {
    const { ctx, calls } = recorder();
    const plan = { ...abortPlan({ abortCause: 'User' }), clearAction: false };
    await executePlan(
      {
        ...ctx,
        onStatusWritten: () => {
          throw new TypeError('Value is not a valid number: NaN');
        },
      },
      plan,
    ).catch(() => undefined);
    expect(calls).toContain('route 0%');
  });

  it('moves traffic back to stable after an abort even when the notifier throws, and tells why', async () => {
    const { ctx, calls } = recorder();
    const failed: string[] = [];
    const plan = { ...abortPlan({ abortCause: 'User' }), clearAction: false };
    await executePlan(
      {
        ...ctx,
        notifications: {
          notify: () => {
            throw new Error('notification queue closed');
          },
        },
        onHookFailed: (hook) => failed.push(hook),
      },
      plan,
    );
    expect(calls).toContain('route 0%');
    expect(failed).toEqual(['notifications']);
  });
});
