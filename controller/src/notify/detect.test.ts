import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../api/types.ts';
import { deliveryId, detectNotifications } from './detect.ts';
import { rolloutWith } from './fixtures.test-support.ts';

const now = new Date('2026-11-30T12:00:00Z');
const failedRun: NonNullable<RolloutStatus['analysis']> = {
  runs: [
    {
      name: 'step-1',
      stepIndex: 1,
      revision: 'v2',
      phase: 'Failed',
      startedAt: '2026-11-30T11:59:00Z',
      metrics: [
        {
          name: 'latency',
          phase: 'Failed',
          dryRun: true,
          count: 1,
          successful: 0,
          failed: 1,
          inconclusive: 0,
          errors: 0,
          consecutiveErrors: 0,
          measurements: [{ phase: 'Failed', value: '900', startedAt: '2026-11-30T11:59:00Z' }],
        },
        {
          name: 'error-rate',
          phase: 'Failed',
          count: 2,
          successful: 1,
          failed: 1,
          inconclusive: 0,
          errors: 0,
          consecutiveErrors: 0,
          measurements: [
            { phase: 'Successful', value: '0.01', startedAt: '2026-11-30T11:59:00Z' },
            { phase: 'Failed', value: '0.31', startedAt: '2026-11-30T11:59:30Z' },
          ],
        },
      ],
    },
  ],
};

describe('detectNotifications', () => {
  it('an abort by analysis is Aborted and AnalysisFailed, with the gating metric that failed (not the dry-run one)', () => {
    const status: RolloutStatus = {
      phase: 'Degraded',
      canaryRevision: 'v2',
      stableRevision: 'v1',
      abort: true,
      abortedAt: '2026-11-30T11:59:31Z',
      analysis: failedRun,
    };
    const found = detectNotifications(
      rolloutWith({ phase: 'Progressing' }),
      { phase: 'Progressing' },
      { status, events: [{ type: 'Warning', reason: 'Aborted', message: 'step 2/2 failed' }] },
      now,
      (_r, run, metric) => (run === 'step-1' && metric === 'error-rate' ? 'failure when result >= 0.1' : undefined),
    );
    expect(found.map((n) => n.event)).toEqual(['Aborted', 'AnalysisFailed', 'Degraded']);
    expect(found[0]).toEqual({
      id: deliveryId('uid-1', 'Aborted', 'v2', '2026-11-30T11:59:31Z'),
      event: 'Aborted',
      rollout: { namespace: 'shop', name: 'checkout', uid: 'uid-1', revision: 'v2' },
      reason: 'Aborted',
      message: 'step 2/2 failed',
      failedMetric: { name: 'error-rate', value: '0.31', condition: 'failure when result >= 0.1' },
      time: '2026-11-30T11:59:31Z',
    });
    expect(new Set(found.map((n) => n.id)).size).toBe(3);
  });

  it('a user abort has no AnalysisFailed', () => {
    const status: RolloutStatus = { canaryRevision: 'v2', abort: true, abortedAt: '2026-11-30T11:59:31Z' };
    const found = detectNotifications(
      rolloutWith(),
      { phase: 'Degraded' },
      { status, events: [{ type: 'Warning', reason: 'Aborted', message: 'aborted by a user request' }] },
      now,
    );
    expect(found.map((n) => n.event)).toEqual(['Aborted']);
    expect(found[0]!.failedMetric).toBeUndefined();
  });

  it('the same transition planned again (after a restart) has the same id; a later one another', () => {
    const plan = (abortedAt: string) => ({
      status: { canaryRevision: 'v2', abort: true, abortedAt },
      events: [{ type: 'Warning' as const, reason: 'Aborted', message: 'x' }],
    });
    const first = detectNotifications(rolloutWith(), undefined, plan('2026-11-30T11:00:00Z'), now)[0]!;
    const again = detectNotifications(rolloutWith(), undefined, plan('2026-11-30T11:00:00Z'), new Date())[0]!;
    const later = detectNotifications(rolloutWith(), undefined, plan('2026-11-30T11:30:00Z'), now)[0]!;
    expect(again.id).toBe(first.id);
    expect(later.id).not.toBe(first.id);
  });

  it('each step completed in one plan is its own notification; Promoted names the new stable revision', () => {
    const found = detectNotifications(
      rolloutWith(),
      { phase: 'Progressing', canaryRevision: 'v2', stableRevision: 'v1' },
      {
        status: { phase: 'Healthy', canaryRevision: 'v2', stableRevision: 'v2' },
        events: [
          { type: 'Normal', reason: 'StepCompleted', message: 'step 1/2 (setWeight 10) done' },
          { type: 'Normal', reason: 'StepCompleted', message: 'step 2/2 (pause) done' },
          { type: 'Normal', reason: 'Promoted', message: 'revision v2 is now stable (was v1)' },
          { type: 'Normal', reason: 'Healthy', message: 'healthy' },
        ],
      },
      now,
    );
    expect(found.map((n) => [n.event, n.rollout.revision])).toEqual([
      ['StepCompleted', 'v2'],
      ['StepCompleted', 'v2'],
      ['Promoted', 'v2'],
    ]);
    expect(found[0]!.id).not.toBe(found[1]!.id);
  });

  it('Degraded only on the transition into it', () => {
    const plan = { status: { phase: 'Degraded' as const, message: 'deadline' }, events: [] };
    expect(detectNotifications(rolloutWith(), { phase: 'Progressing' }, plan, now).map((n) => n.event)).toEqual([
      'Degraded',
    ]);
    expect(detectNotifications(rolloutWith(), { phase: 'Degraded' }, plan, now)).toEqual([]);
  });

  it('Paused from the phase Event', () => {
    const found = detectNotifications(
      rolloutWith(),
      { phase: 'Progressing' },
      {
        status: {
          phase: 'Paused',
          canaryRevision: 'v2',
          currentStepIndex: 1,
          pauseConditions: [{ reason: 'PauseStep', startTime: '2026-11-30T11:00:00Z' }],
        },
        events: [{ type: 'Normal', reason: 'Paused', message: 'paused at step 2/3' }],
      },
      now,
    );
    expect(found.map((n) => n.event)).toEqual(['Paused']);
  });

  it('a pause ended by a promote request is a step completed, not a promotion; the first stable revision is neither', () => {
    const stepDone = detectNotifications(
      rolloutWith(),
      { phase: 'Paused', canaryRevision: 'v2', stableRevision: 'v1' },
      {
        status: { phase: 'Progressing', canaryRevision: 'v2', stableRevision: 'v1' },
        events: [{ type: 'Normal', reason: 'Promoted', message: 'step 2/2 (pause) ended by a promote request' }],
      },
      now,
    );
    expect(stepDone.map((n) => [n.event, n.reason])).toEqual([['StepCompleted', 'StepCompleted']]);
    const initial = detectNotifications(
      rolloutWith(),
      undefined,
      {
        status: { phase: 'Healthy', stableRevision: 'v1' },
        events: [{ type: 'Normal', reason: 'Initialized', message: 'x' }],
      },
      now,
    );
    expect(initial).toEqual([]);
  });
});
