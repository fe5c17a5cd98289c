import { describe, expect, it } from 'vitest';
import type { Plan } from '../planner/world.ts';
import type { FinishedSpan } from '../trace/span.ts';
import { noopTracer, RecordingTracer } from '../trace/tracer.ts';
import { describePlan, traceReconcile } from './reconcileSpan.ts';

function recorder() {
  const ended: FinishedSpan[] = [];
  return { ended, tracer: new RecordingTracer({ onEnd: (s) => ended.push(s), sampleRatio: 1 }) };
}

const plan = (events: Plan['events'], message: string): Plan =>
  ({
    status: { phase: 'Progressing', message, currentStepIndex: 2, abort: false, canaryRevision: '7f6b5c4d2' },
    canaryWeight: 20,
    events,
  }) as unknown as Plan;

describe('the reconcile span', () => {
  it("carries the plan's transitions as its decision and the last one's message as its reason", async () => {
    const { ended, tracer } = recorder();
    const result = await traceReconcile(tracer, 'shop/checkout', (span) => {
      expect(tracer.currentSpan()).toBe(span);
      describePlan(
        span,
        plan(
          [
            { type: 'Normal', reason: 'RolloutStepCompleted', message: 'step 2/6 done: weight 20' },
            { type: 'Normal', reason: 'TrafficShifting', message: 'canary weight 20' },
          ],
          'step 3/6: pause',
        ),
      );
      return Promise.resolve({ requeueAfterMs: 30_000 });
    });
    expect(result).toEqual({ requeueAfterMs: 30_000 });
    expect(Object.fromEntries(ended[0]!.attributes)).toEqual({
      'sluice.rollout.namespace': 'shop',
      'sluice.rollout.name': 'checkout',
      'sluice.plan.decision': 'RolloutStepCompleted,TrafficShifting',
      'sluice.plan.reason': 'canary weight 20',
      'sluice.rollout.phase': 'Progressing',
      'sluice.rollout.step': 2,
      'sluice.rollout.canary_weight': 20,
      'sluice.rollout.abort': false,
      'sluice.rollout.revision': '7f6b5c4d2',
      'sluice.requeue_after_ms': 30_000,
    });
    expect(ended[0]!.status.code).toBe('ok');
  });

  it('says "none" and gives the status message when the plan records no transition', async () => {
    const { ended, tracer } = recorder();
    await traceReconcile(tracer, 'shop/checkout', (span) => {
      describePlan(span, plan([], 'step 3/6: analysis error-rate running (2/5 measurements, 0 failed)'));
      return Promise.resolve(undefined);
    });
    expect(ended[0]!.attributes.get('sluice.plan.decision')).toBe('none');
    expect(ended[0]!.attributes.get('sluice.plan.reason')).toMatch(/analysis error-rate running/);
  });

  it('ends as an error when the reconcile fails, and the error still reaches the queue', async () => {
    const { ended, tracer } = recorder();
    await expect(traceReconcile(tracer, 'shop/checkout', () => Promise.reject(new Error('HTTP 409')))).rejects.toThrow(
      'HTTP 409',
    );
    expect(ended[0]!.status).toEqual({ code: 'error', message: 'HTTP 409' });
  });

  it('says "none" for a reconcile that returns before planning', async () => {
    const { ended, tracer } = recorder();
    await traceReconcile(tracer, 'shop/checkout', () => Promise.resolve({ requeueAfterMs: 100 }));
    expect(ended[0]!.attributes.get('sluice.plan.decision')).toBe('none');
  });

  it('runs the reconcile as it is with tracing off', async () => {
    const result = await traceReconcile(noopTracer, 'shop/checkout', (span) => {
      expect(span.context).toBeUndefined();
      return Promise.resolve({ requeueAfterMs: 5 });
    });
    expect(result).toEqual({ requeueAfterMs: 5 });
  });
});
