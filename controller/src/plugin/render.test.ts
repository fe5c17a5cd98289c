import { describe as suite, expect, it } from 'vitest';
import {
  blueGreenPhases,
  blueGreenRollout,
  scaleDownAt,
  type BlueGreenPhase,
} from '../api/blueGreenRollouts.test-support.ts';
import type { Rollout } from '../api/types.ts';
import { errorText, parseArgs } from './cli.ts';
import { describe, table } from './render.ts';

const now = new Date('2026-11-29T03:00:00Z');
const rollout = (name: string, phase: 'Paused' | 'Healthy', step: number, weight: number): Rollout => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name, namespace: 'shop', creationTimestamp: new Date('2026-11-29T02:55:00Z') },
  spec: { strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } } },
  status: {
    phase,
    currentStepIndex: step,
    weights: { canary: weight, stable: 100 - weight },
    stableRevision: 'a',
    canaryRevision: 'b',
    conditions: [
      {
        type: 'Healthy',
        status: 'False',
        reason: 'CanaryInFlight',
        message: 'paused',
        lastTransitionTime: now.toISOString(),
      },
    ],
  },
});

suite('kubectl sluice output', () => {
  it('prints a kubectl-style table', () => {
    expect(table([rollout('checkout', 'Paused', 1, 20), rollout('cart', 'Healthy', 2, 0)], now, false)).toBe(
      [
        'NAME       PHASE     STEP   CANARY-WEIGHT   AGE',
        'checkout   Paused    2/2    20              5m',
        'cart       Healthy   2/2    0               5m',
      ].join('\n'),
    );
  });

  it('describes a rollout with its conditions and events', () => {
    const text = describe(
      rollout('checkout', 'Paused', 1, 20),
      [{ type: 'Normal', reason: 'StepCompleted', message: 'step 1/2 done', time: '2026-11-29T02:59:00Z' }],
      now,
    );
    expect(text).toContain('Weights:      canary 20%, stable 80%');
    expect(text).toContain('Healthy      False  CanaryInFlight: paused');
    expect(text).toMatch(/60s\s+Normal\s+StepCompleted\s+step 1\/2 done/);
  });

  it("lists a canary's analysis runs, the scale-down analysis of the previous revision among them", () => {
    const r = rollout('checkout', 'Healthy', 2, 0);
    r.status!.analysis = {
      runs: [
        { name: 'step-1', stepIndex: 1, revision: 'b', phase: 'Successful', startedAt: '', metrics: [] },
        {
          name: 'scale-down',
          revision: 'a',
          phase: 'Running',
          message: 'old-requests 3/10',
          startedAt: '',
          metrics: [],
        },
      ],
    };
    const lines = describe(r, [], now).split('\n');
    expect(lines.slice(lines.indexOf('Analysis:') + 1, lines.indexOf('Conditions:'))).toEqual([
      '  Analysis of step 2     Successful   revision b',
      '  Scale-down analysis    Running      revision a: old-requests 3/10',
    ]);
  });

  it('says under a failed run why each metric failed: the value against its condition, or canary against stable', () => {
    const r = rollout('checkout', 'Paused', 1, 0);
    const at = { startedAt: '2026-11-30T10:00:00Z' };
    const metric = (name: string, phase: 'Failed' | 'Successful', measurement: Record<string, unknown>) => ({
      name,
      phase,
      count: 1,
      successful: 0,
      failed: 1,
      inconclusive: 0,
      errors: 0,
      consecutiveErrors: 0,
      measurements: [{ phase, ...at, ...measurement }],
    });
    r.status!.analysis = {
      runs: [
        {
          name: 'background',
          revision: 'b',
          phase: 'Failed',
          ...at,
          metrics: [
            metric('error-rate', 'Failed', {
              value: '0.31',
              message: 'successCondition result < 0.05 not met',
              decidedBy: 'successCondition',
            }),
            metric('latency', 'Failed', {
              value: 'High (ratio 1.37, p=0.004)',
              judge: {
                u: 3410,
                p: 0.004,
                effectSize: 1.37,
                canaryCount: 60,
                stableCount: 60,
                canaryMean: 0.412,
                stableMean: 0.3,
              },
            }),
            metric('saturation', 'Successful', { value: '0.2', decidedBy: 'successCondition' }),
          ],
        },
      ],
    };
    const lines = describe(r, [], now).split('\n');
    expect(lines.slice(lines.indexOf('Analysis:') + 1, lines.indexOf('Conditions:'))).toEqual([
      '  Background analysis    Failed       revision b',
      '    error-rate failed: value 0.31 vs successCondition result < 0.05 (not met)',
      '    latency failed: canary mean 0.412 vs stable mean 0.3, ratio 1.37, p=0.004, U=3410, 60/60 samples',
    ]);
  });

  it('prints no escape sequence or line break that the cluster put in a name, status or Event', () => {
    const hostile = rollout('checkout\u001b[2J', 'Paused', 1, 20);
    hostile.status = {
      ...hostile.status!,
      message: 'ok\rPhase:        Healthy\n\u001b]0;owned\u0007done',
      conditions: [
        {
          type: 'Healthy',
          status: 'False',
          reason: 'Bad\u001b[31m',
          message: 'x\u009b2Jy',
          lastTransitionTime: now.toISOString(),
        },
      ],
    };
    const events = [
      {
        type: 'Warning\u0007',
        reason: 'R\u001bc',
        message: 'line one\nName:         spoofed',
        time: '2026-11-29T02:59:00Z',
      },
    ];
    for (const text of [describe(hostile, events, now), table([hostile], now, true)]) {
      // eslint-disable-next-line no-control-regex
      expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/u);
    }
    const lines = describe(hostile, events, now).split('\n');
    // Each value stays on its own line: no extra "Phase:" or "Name:" line can be faked.
    expect(lines.filter((l) => l.startsWith('Phase:'))).toEqual(['Phase:        Paused']);
    expect(lines.filter((l) => l.startsWith('Name:'))).toEqual(['Name:         checkout']);
    expect(lines).toContain('Message:      ok Phase:        Healthy done');
    expect(lines.at(-1)).toMatch(/Warning\s+R\s+line one Name:\s+spoofed$/);
  });

  it("cleans the API server's error message, which quotes names the cluster holds", () => {
    expect(errorText({ body: { message: 'rollouts.sluice.dev "a\u001b]0;x\u0007b" not found' } })).toBe(
      'error: rollouts.sluice.dev "ab" not found',
    );
    // As an ApiException carries it: the Status as text, with a message that repeats headers and body.
    const notFound = Object.assign(new Error('HTTP-Code: 404\nMessage: GET ...\nBody: ...\nHeaders: {}'), {
      code: 404,
      body: JSON.stringify({ kind: 'Status', message: 'rollouts.sluice.dev "gone" not found' }),
    });
    expect(errorText(notFound)).toBe('error: rollouts.sluice.dev "gone" not found');
    expect(errorText(new Error('connect ECONNREFUSED\r\n\u001b[1Afake'))).toBe('error: connect ECONNREFUSED  fake');
  });

  it('parses kubectl-style flags', () => {
    expect(parseArgs(['promote', 'checkout', '-n', 'shop', '--full'])).toMatchObject({
      command: 'promote',
      name: 'checkout',
      namespace: 'shop',
      full: true,
    });
    expect(parseArgs(['get', '--namespace=shop'])).toMatchObject({ command: 'get', namespace: 'shop' });
    expect(() => parseArgs(['get', '--frobnicate'])).toThrow(/unknown flag --frobnicate/);
  });
});

suite('kubectl sluice status of a blue-green rollout', () => {
  const status = (phase: BlueGreenPhase) => describe(blueGreenRollout(blueGreenPhases[phase]), [], now).split('\n');
  const stepLines = (lines: string[]) => lines.slice(lines.indexOf('Steps:') + 1, lines.indexOf('Steps:') + 7);

  it('before the switch: both Services and the revision each selects, the steps it runs through, the pre-promotion analysis', () => {
    const lines = status('Preview');
    expect(lines).toEqual(
      expect.arrayContaining([
        'Strategy:     blue-green',
        'Step:         3/6',
        'Active:       Service shop-active, revision aaa',
        'Preview:      Service shop-preview, revision bbb',
        'Blue-green:   Preview',
      ]),
    );
    expect(stepLines(lines)).toEqual([
      '   1  done     preview on Service shop-preview with 1 pod(s)',
      '   2  done     analysis smoke',
      '   3  current  pause until promoted',
      '   4  pending  setFlag new-checkout to 100%',
      '   5  pending  switch Service shop-active to the new revision',
      '   6  pending  analysis error-rate',
    ]);
    expect(lines.slice(lines.indexOf('Analysis:') + 1, lines.indexOf('Conditions:'))).toEqual([
      '  prePromotionAnalysis   Successful   revision bbb',
    ]);
    expect(lines.some((l) => l.startsWith('Scale down:'))).toBe(false);
  });

  it('while switching: active still on the old revision, the switch step running', () => {
    const lines = status('Switching');
    expect(lines).toContain('Active:       Service shop-active, revision aaa');
    expect(lines).toContain('Blue-green:   Switching');
    expect(stepLines(lines)[4]).toBe('   5  current  switch Service shop-active to the new revision');
  });

  it('after the switch: active on the new revision since switchedAt, the post-promotion analysis running', () => {
    const lines = status('Switched');
    expect(lines).toContain('Active:       Service shop-active, revision bbb');
    expect(lines).toContain('Blue-green:   Switched, last switch 2m ago');
    expect(lines).toContain('Weights:      canary 100%, stable 0%');
    expect(lines.join('\n')).toMatch(
      /\n {2}prePromotionAnalysis\s+Successful\s+revision bbb\n {2}postPromotionAnalysis {2}Running\s+revision bbb\n/,
    );
  });

  it('promoted: every step done, and the old revision kept until its scale-down', () => {
    const lines = status('Promoted');
    expect(lines).toContain('Step:         6/6');
    expect(lines).toContain('Blue-green:   Promoted, last switch 2m ago');
    expect(lines).toContain('Scale down:   revision aaa kept until 2026-11-29T03:00:30Z (in 30s)');
    expect(stepLines(lines).every((l) => /^ {2}[ \d]\d {2}done /.test(l))).toBe(true);
  });

  it('aborted: active back on the old revision, and why the post-promotion analysis failed', () => {
    const lines = status('Aborted');
    expect(lines).toContain('Canary:       bbb (aborted)');
    expect(lines).toContain('Active:       Service shop-active, revision aaa');
    expect(lines).toContain('Blue-green:   Aborted, last switch 2m ago');
    expect(lines).toContain('  postPromotionAnalysis  Failed       revision bbb: error-rate 0.2 >= 0.1');
  });

  it('not seen by the controller yet: the Services from spec, no phase, every step pending', () => {
    const lines = describe(blueGreenRollout(), [], now).split('\n');
    expect(lines).toContain('Active:       Service shop-active');
    expect(lines).toContain('Blue-green:   -');
    expect(stepLines(lines).every((l) => l.includes(' pending '))).toBe(true);
    expect(lines).not.toContain('Analysis:');
  });

  it('counts the steps blue-green runs through in kubectl sluice get', () => {
    expect(table([blueGreenRollout(blueGreenPhases.Switched)], now, false).split('\n')[1]).toMatch(
      /^checkout\s+Progressing\s+6\/6\s+100\s+5m$/,
    );
  });

  it('adds none of this to a canary', () => {
    const text = describe(rollout('checkout', 'Paused', 1, 20), [], now);
    expect(text).not.toMatch(/^(Strategy|Active|Preview|Blue-green|Scale down|Steps|Analysis):/mu);
  });

  it('prints no escape sequence the cluster put in the blue-green status', () => {
    const hostile = blueGreenRollout({
      ...blueGreenPhases.Aborted,
      blueGreen: {
        phase: 'Aborted\u001b[2J' as 'Aborted',
        activeRevision: 'a\u001b]0;x\u0007a',
        previewRevision: 'b\nb',
      },
      scaleDown: [{ revision: 'c\u009bc', scaleDownAt }],
    });
    // eslint-disable-next-line no-control-regex
    expect(describe(hostile, [], now)).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/u);
  });
});

suite('kubectl sluice status: a restart (spec.restartAt)', () => {
  const lines = (spec: Partial<Rollout['spec']>, status: Rollout['status']) => {
    const r = rollout('checkout', 'Healthy', 2, 0);
    return describe({ ...r, spec: { ...r.spec, ...spec }, status: { ...r.status, ...status } }, [], now).split('\n');
  };

  it('says where a restart stands: under way, asked for, done', () => {
    expect(
      lines(
        { restartAt: '2026-11-29T02:59:00Z' },
        {
          restart: {
            restartAt: '2026-11-29T02:59:00Z',
            startedAt: '2026-11-29T02:59:30Z',
            pod: 'checkout-a-x1',
            evictions: 2,
          },
        },
      ),
    ).toContain(
      'Restart:      of the pods created before 2026-11-29T02:59:00Z, started 30s ago, 2 evicted, last pod checkout-a-x1',
    );
    expect(lines({ restartAt: '2026-11-29T04:00:00Z' }, {})).toContain(
      'Restart:      asked for 2026-11-29T04:00:00Z, not started',
    );
    const done = lines({ restartAt: '2026-11-29T02:00:00Z' }, { restartedAt: '2026-11-29T02:00:00Z' });
    expect(done).toContain('Restarted:    the pods created before 2026-11-29T02:00:00Z');
    expect(lines({}, {}).some((l) => l.startsWith('Restart'))).toBe(false);
  });
});
