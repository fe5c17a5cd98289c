/**
 * A blue-green Rollout in each phase, as the controller leaves it (canaryRevision is the new revision; the canary
 * weight is 100 from the switch until promotion), for the tests of what the dashboard and the plugin show.
 * Its steps: 1 preview, 2 pre-promotion analysis, 3 wait for promotion, 4 a flag, 5 switch, 6 post-promotion analysis.
 */
import type { AnalysisRunStatus, BlueGreenStrategy, Rollout, RolloutStatus } from './types.ts';

export const blueGreenSpec: BlueGreenStrategy = {
  activeService: 'shop-active',
  previewService: 'shop-preview',
  previewReplicaCount: 1,
  autoPromotionEnabled: false,
  prePromotionAnalysis: { templates: [{ templateName: 'smoke' }] },
  postPromotionAnalysis: { templates: [{ templateName: 'error-rate', clusterScope: true }] },
  prePromotionFlags: [{ setFlag: { name: 'new-checkout', rollout: 100 } }],
  scaleDownDelaySeconds: 30,
};

export const switchedAt = '2026-11-29T02:58:00Z';
/** 30 s after `now` in the tests that use these. */
export const scaleDownAt = '2026-11-29T03:00:30Z';

const run = (stepIndex: number, phase: AnalysisRunStatus['phase'], message?: string): AnalysisRunStatus => ({
  name: `step-${stepIndex}`,
  stepIndex,
  revision: 'bbb',
  phase,
  ...(message === undefined ? {} : { message }),
  startedAt: '2026-11-29T02:57:00Z',
  ...(phase === 'Running' ? {} : { finishedAt: '2026-11-29T02:57:30Z' }),
  metrics: [],
});

const inFlight = { stableRevision: 'aaa', canaryRevision: 'bbb' };

export const blueGreenPhases = {
  Preview: {
    ...inFlight,
    phase: 'Paused',
    message: 'waiting for promotion',
    currentStepIndex: 2,
    weights: { canary: 0, stable: 100 },
    blueGreen: { phase: 'Preview', activeRevision: 'aaa', previewRevision: 'bbb' },
    analysis: { runs: [run(1, 'Successful')] },
  },
  Switching: {
    ...inFlight,
    phase: 'Progressing',
    message: 'switching Service shop-active to the new revision',
    currentStepIndex: 4,
    weights: { canary: 100, stable: 0 },
    blueGreen: { phase: 'Switching', activeRevision: 'aaa', previewRevision: 'bbb' },
    analysis: { runs: [run(1, 'Successful')] },
  },
  Switched: {
    ...inFlight,
    phase: 'Progressing',
    message: 'analysis error-rate running',
    currentStepIndex: 5,
    weights: { canary: 100, stable: 0 },
    blueGreen: { phase: 'Switched', activeRevision: 'bbb', previewRevision: 'bbb', switchedAt },
    analysis: { runs: [run(1, 'Successful'), run(5, 'Running')] },
  },
  Promoted: {
    phase: 'Healthy',
    message: 'promoted',
    currentStepIndex: 6,
    stableRevision: 'bbb',
    canaryRevision: 'bbb',
    weights: { canary: 0, stable: 100 },
    blueGreen: { phase: 'Promoted', activeRevision: 'bbb', previewRevision: 'bbb', switchedAt },
    scaleDown: [{ revision: 'aaa', scaleDownAt }],
    analysis: { runs: [run(1, 'Successful'), run(5, 'Successful')] },
  },
  Aborted: {
    ...inFlight,
    phase: 'Degraded',
    message: 'aborted: analysis error-rate failed',
    currentStepIndex: 5,
    abort: true,
    abortedAt: '2026-11-29T02:59:00Z',
    weights: { canary: 0, stable: 100 },
    blueGreen: { phase: 'Aborted', activeRevision: 'aaa', previewRevision: 'bbb', switchedAt },
    analysis: { runs: [run(1, 'Successful'), run(5, 'Failed', 'error-rate 0.2 >= 0.1')] },
  },
} satisfies Record<string, RolloutStatus>;

export type BlueGreenPhase = keyof typeof blueGreenPhases;

/** shop/checkout with the blue-green strategy above; no status until the controller has seen it. */
export function blueGreenRollout(status?: RolloutStatus): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: {
      namespace: 'shop',
      name: 'checkout',
      uid: 'uid-checkout',
      creationTimestamp: new Date('2026-11-29T02:55:00Z'),
    },
    spec: { workloadRef: { name: 'checkout' }, service: { port: 8080 }, strategy: { blueGreen: blueGreenSpec } },
    ...(status === undefined ? {} : { status }),
  };
}
