import { describe, expect, it } from 'vitest';
import { blueGreenRollout } from './blueGreenRollouts.test-support.ts';
import { analysisRunTitle, shownSteps, stepCount, stepState, strategyOf } from './progress.ts';
import type { AnalysisRunStatus, RolloutSpec } from './types.ts';

const canary = (steps: unknown[]): RolloutSpec => ({ strategy: { canary: { steps: steps as never } } });
const runOf = (stepIndex?: number): AnalysisRunStatus => ({
  name: stepIndex === undefined ? 'background' : `step-${stepIndex}`,
  ...(stepIndex === undefined ? {} : { stepIndex }),
  revision: 'bbb',
  phase: 'Running',
  startedAt: '2026-11-29T03:00:00Z',
  metrics: [],
});

describe('progress', () => {
  it('shows a step it cannot read as written, and the others resolved', () => {
    const spec = canary([{ setWeight: 20 }, { setWeight: 40, pause: {} }, { pause: { duration: '30s' } }]);
    expect(shownSteps(spec).map((s) => [s.kind, s.text])).toEqual([
      ['setWeight', 'setWeight 20%'],
      ['invalid', '{"setWeight":40,"pause":{}}'],
      ['pause', 'pause 30s'],
    ]);
    expect(stepCount(spec)).toBe(3);
  });

  it("counts blue-green's steps, which the spec does not list", () => {
    const spec = blueGreenRollout().spec;
    expect([strategyOf(spec), stepCount(spec), shownSteps(spec).length]).toEqual(['blueGreen', 6, 6]);
    expect(strategyOf(canary([]))).toBe('canary');
  });

  it('marks steps done before the current one, and all pending before the controller has run one', () => {
    expect([0, 1, 2].map((i) => stepState(i, 1))).toEqual(['done', 'current', 'pending']);
    expect(stepState(0, undefined)).toBe('pending');
  });

  it('names a blue-green analysis by its field, a canary one by its step, counted from 1', () => {
    const steps = shownSteps(blueGreenRollout().spec);
    expect([runOf(1), runOf(5), runOf()].map((r) => analysisRunTitle(steps, r))).toEqual([
      'prePromotionAnalysis',
      'postPromotionAnalysis',
      'Background analysis',
    ]);
    const canarySteps = shownSteps(canary([{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'x' }] } }]));
    expect(analysisRunTitle(canarySteps, runOf(1))).toBe('Analysis of step 2');
    // A run of a step the spec no longer has (it changed since) still gets a name.
    expect(analysisRunTitle(steps, runOf(9))).toBe('Analysis of step 10');
    // scaleDownWhen's run of the previous revision, which has no step.
    expect(analysisRunTitle(canarySteps, { ...runOf(), name: 'scale-down' })).toBe('Scale-down analysis');
  });
});
