import { describe as suite, expect, it } from 'vitest';
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
