import { describe as suite, expect, it } from 'vitest';
import type { Rollout } from '../api/types.ts';
import { parseArgs } from './cli.ts';
import { describe, table } from './render.ts';

const now = new Date('2026-11-29T03:00:00Z');
const rollout = (name: string, phase: 'Paused' | 'Healthy', step: number, weight: number): Rollout => ({
  apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout',
  metadata: { name, namespace: 'shop', creationTimestamp: new Date('2026-11-29T02:55:00Z') },
  spec: { strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } } },
  status: { phase, currentStepIndex: step, weights: { canary: weight, stable: 100 - weight }, stableRevision: 'a', canaryRevision: 'b',
    conditions: [{ type: 'Healthy', status: 'False', reason: 'CanaryInFlight', message: 'paused', lastTransitionTime: now.toISOString() }] },
});

suite('kubectl sluice output', () => {
  it('prints a kubectl-style table', () => {
    expect(table([rollout('checkout', 'Paused', 1, 20), rollout('cart', 'Healthy', 2, 0)], now, false)).toBe(
      ['NAME       PHASE     STEP   CANARY-WEIGHT   AGE', 'checkout   Paused    2/2    20              5m', 'cart       Healthy   2/2    0               5m'].join('\n'),
    );
  });

  it('describes a rollout with its conditions and events', () => {
    const text = describe(rollout('checkout', 'Paused', 1, 20), [{ type: 'Normal', reason: 'StepCompleted', message: 'step 1/2 done', time: '2026-11-29T02:59:00Z' }], now);
    expect(text).toContain('Weights:      canary 20%, stable 80%');
    expect(text).toContain('Healthy      False  CanaryInFlight: paused');
    expect(text).toMatch(/60s\s+Normal\s+StepCompleted\s+step 1\/2 done/);
  });

  it('parses kubectl-style flags', () => {
    expect(parseArgs(['promote', 'checkout', '-n', 'shop', '--full'])).toMatchObject({ command: 'promote', name: 'checkout', namespace: 'shop', full: true });
    expect(parseArgs(['get', '--namespace=shop'])).toMatchObject({ command: 'get', namespace: 'shop' });
    expect(() => parseArgs(['get', '--frobnicate'])).toThrow(/unknown flag --frobnicate/);
  });
});
