import { describe, expect, it } from 'vitest';
import {
  blueGreenPhases,
  blueGreenRollout,
  scaleDownAt,
  switchedAt,
  type BlueGreenPhase,
} from '../api/blueGreenRollouts.test-support.ts';
import type { MetricResult, RolloutStatus } from '../api/types.ts';
import { prometheus, progressing, rollout, template } from './fixtures.test-support.ts';
import { detailOf, summarize, type DetailSources } from './view.ts';

const sources: DetailSources = {
  analysisTemplate: (ns, name) =>
    ns === 'shop' && name === 'smoke'
      ? template('shop', 'smoke', [{ name: 'smoke', successCondition: 'result >= 1', provider: prometheus }]).spec
      : undefined,
  clusterAnalysisTemplate: (name) =>
    name === 'error-rate'
      ? { metrics: [{ name: 'error-rate', failureCondition: 'result >= 0.1', provider: prometheus }] }
      : undefined,
  events: [],
  weightHistory: { t: [], canary: [] },
};

const detail = (phase: BlueGreenPhase) => detailOf(blueGreenRollout(blueGreenPhases[phase]), sources);
const states = (phase: BlueGreenPhase) => detail(phase).steps.map((s) => s.state);

describe('a blue-green rollout in the list', () => {
  it('is marked blue-green and counts the steps it runs through', () => {
    expect(summarize(blueGreenRollout(blueGreenPhases.Preview))).toMatchObject({
      strategy: 'blueGreen',
      step: { current: 3, total: 6 },
      canaryWeight: 0,
    });
    expect(summarize(blueGreenRollout(blueGreenPhases.Promoted)).step).toEqual({ current: 6, total: 6 });
    expect(summarize(rollout('shop', 'checkout')).strategy).toBe('canary');
  });
});

describe('a blue-green rollout in detail', () => {
  it('lists the steps blue-green runs through in the words of the canary steps', () => {
    expect(detail('Preview').steps.map((s) => [s.kind, s.text])).toEqual([
      ['preview', 'preview on Service shop-preview with 1 pod(s)'],
      ['analysis', 'analysis smoke'],
      ['pause', 'pause until promoted'],
      ['setFlag', 'setFlag new-checkout to 100%'],
      ['switch', 'switch Service shop-active to the new revision'],
      ['analysis', 'analysis error-rate'],
    ]);
  });

  it('before the switch: active on the old revision, preview on the new, waiting for promotion', () => {
    const d = detail('Preview');
    expect(d.blueGreen).toEqual({
      activeService: 'shop-active',
      previewService: 'shop-preview',
      phase: 'Preview',
      activeRevision: 'aaa',
      previewRevision: 'bbb',
      switchedAt: undefined,
    });
    expect(states('Preview')).toEqual(['done', 'done', 'current', 'pending', 'pending', 'pending']);
    expect(d.scaleDown).toEqual([]);
  });

  it('switching: the switch step runs, active not moved yet', () => {
    expect(detail('Switching').blueGreen).toMatchObject({ phase: 'Switching', activeRevision: 'aaa' });
    expect(states('Switching')).toEqual(['done', 'done', 'done', 'done', 'current', 'pending']);
  });

  it('switched: active on the new revision since switchedAt, the post-promotion analysis running', () => {
    const d = detail('Switched');
    expect(d.blueGreen).toMatchObject({ phase: 'Switched', activeRevision: 'bbb', switchedAt });
    expect(d.canaryWeight).toBe(100);
    expect(d.analysis.map((a) => [a.title, a.phase])).toEqual([
      ['prePromotionAnalysis', 'Successful'],
      ['postPromotionAnalysis', 'Running'],
    ]);
  });

  it('promoted: every step done, the old revision kept until its scale-down', () => {
    const d = detail('Promoted');
    expect(d.blueGreen).toMatchObject({ phase: 'Promoted', activeRevision: 'bbb' });
    expect(states('Promoted').every((s) => s === 'done')).toBe(true);
    expect(d.scaleDown).toEqual([{ revision: 'aaa', scaleDownAt }]);
  });

  it('aborted: active back on the old revision, the failed analysis named by its field', () => {
    const d = detail('Aborted');
    expect(d).toMatchObject({ aborted: true, phase: 'Degraded' });
    expect(d.blueGreen).toMatchObject({ phase: 'Aborted', activeRevision: 'aaa', previewRevision: 'bbb' });
    expect(d.analysis.at(-1)).toMatchObject({
      title: 'postPromotionAnalysis',
      phase: 'Failed',
      message: 'error-rate 0.2 >= 0.1',
    });
    expect(d.applicableActions).toContain('retry');
  });

  it('not seen by the controller yet: the Services from spec, no phase', () => {
    expect(detailOf(blueGreenRollout(), sources).blueGreen).toEqual({
      activeService: 'shop-active',
      previewService: 'shop-preview',
      phase: '',
      activeRevision: undefined,
      previewRevision: undefined,
      switchedAt: undefined,
    });
  });

  it("reads each analysis's thresholds from its template: pre-promotion namespaced, post-promotion cluster-wide", () => {
    const metric = (name: string): MetricResult => ({
      name,
      phase: 'Successful',
      count: 1,
      successful: 1,
      failed: 0,
      inconclusive: 0,
      errors: 0,
      consecutiveErrors: 0,
      measurements: [],
    });
    const status: RolloutStatus = structuredClone(blueGreenPhases.Switched);
    const [pre, post] = status.analysis!.runs;
    pre!.metrics = [metric('smoke')];
    post!.metrics = [metric('error-rate')];
    const d = detailOf(blueGreenRollout(status), sources);
    expect(d.analysis.map((a) => a.metrics[0]?.thresholds)).toEqual([
      [{ verdict: 'success', op: '>=', value: 1 }],
      [{ verdict: 'failure', op: '>=', value: 0.1 }],
    ]);
  });
});

describe('a canary in detail', () => {
  it('has no blue-green part, and names its analyses by step number', () => {
    const status: RolloutStatus = {
      ...progressing(20, 2),
      analysis: {
        runs: [
          { name: 'step-2', stepIndex: 2, revision: 'bbb', phase: 'Running', startedAt: switchedAt, metrics: [] },
          { name: 'background', revision: 'bbb', phase: 'Running', startedAt: switchedAt, metrics: [] },
        ],
      },
    };
    const d = detailOf(rollout('shop', 'checkout', status), sources);
    expect([d.strategy, d.blueGreen, d.scaleDown]).toEqual(['canary', undefined, []]);
    expect(d.analysis.map((a) => a.title)).toEqual(['Analysis of step 3', 'Background analysis']);
  });
});
