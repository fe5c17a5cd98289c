import { describe, expect, it } from 'vitest';
import type { Rollout, RolloutStatus } from '../api/types.ts';
import { activeAnalyses } from './active.ts';

function rollout(status: RolloutStatus | undefined, startingStep?: number): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout', namespace: 'shop' },
    spec: {
      workloadRef: { name: 'checkout' },
      strategy: {
        canary: {
          steps: [
            { setWeight: 10 },
            {
              analysis: { templates: [{ templateName: 'error-rate' }], args: [{ name: 'service', value: 'checkout' }] },
            },
            { setWeight: 50 },
          ],
          analysis: {
            templates: [{ templateName: 'latency' }],
            ...(startingStep === undefined ? {} : { startingStep }),
          },
        },
      },
    },
    ...(status === undefined ? {} : { status }),
  };
}

const inFlight = (currentStepIndex: number, more: Partial<RolloutStatus> = {}): RolloutStatus => ({
  stableRevision: 'a',
  canaryRevision: 'b',
  currentStepIndex,
  ...more,
});
const names = (r: Rollout) => activeAnalyses(r).map((a) => `${a.name}@${a.revision}`);

describe('activeAnalyses', () => {
  it.each<[string, Rollout, string[]]>([
    ['no status yet', rollout(undefined), []],
    ['no canary in flight', rollout({ stableRevision: 'a', canaryRevision: 'a', currentStepIndex: 3 }), []],
    ['aborted', rollout(inFlight(1, { abort: true })), []],
    ['at a setWeight step, background from step 0', rollout(inFlight(0)), ['background@b']],
    ['at the analysis step', rollout(inFlight(1)), ['step-1@b', 'background@b']],
    ['background not started yet', rollout(inFlight(1), 2), ['step-1@b']],
    ['background started', rollout(inFlight(2), 2), ['background@b']],
    ['all steps done', rollout(inFlight(3)), []],
    [
      'a rollback within the window, every step skipped',
      rollout(inFlight(3, { rollbackWithinWindow: true })),
      ['background@b'],
    ],
    [
      'a rollback within the window, before startingStep',
      rollout(inFlight(3, { rollbackWithinWindow: true }), 2),
      ['background@b'],
    ],
    ['a rollback within the window, aborted', rollout(inFlight(3, { rollbackWithinWindow: true, abort: true })), []],
  ])('%s', (_what, r, expected) => {
    expect(names(r)).toEqual(expected);
  });

  it('gives the step its resolved analysis, args and field', () => {
    const [step] = activeAnalyses(rollout(inFlight(1), 2));
    expect(step).toEqual({
      name: 'step-1',
      stepIndex: 1,
      revision: 'b',
      analysis: {
        field: 'spec.strategy.canary.steps[1].analysis',
        templates: [{ templateName: 'error-rate', clusterScope: false }],
        args: [{ name: 'service', value: 'checkout' }],
      },
    });
  });
});
