import { describe, expect, it } from 'vitest';
import type { TouchedFlag } from '../api/types.ts';
import type { FlagRef, FlagState, StrategyChoice } from './flagEnvironment.ts';
import { flagOfStep, restoreFlags, runSetFlagStep, type ResolvedSetFlagStep } from './flagSteps.ts';
import type { AdminFailure, AdminResult, FlagAdmin, PreviousFlagState } from './unleashAdmin.ts';

/**
 * An Unleash of one environment held in memory: each flag is on or off with at most one gradual rollout. Enough
 * to tell what the step logic asked for; the real client is tested against unleash-server.
 */
class FakeAdmin implements FlagAdmin {
  flags = new Map<string, { enabled: boolean; strategy?: { id: string; percent: number; bySluice: boolean } }>();
  /** Failures to answer with, in order, before behaving again. */
  failures: AdminFailure[] = [];
  calls: string[] = [];
  #ids = 0;

  add(name: string, enabled: boolean, percent?: number): void {
    this.flags.set(name, { enabled, strategy: percent === undefined ? undefined : { id: `user-${name}`, percent, bySluice: false } });
  }

  #state(name: string): FlagState {
    const f = this.flags.get(name)!;
    return { enabled: f.enabled, rollout: f.strategy && { strategyId: f.strategy.id, percent: f.strategy.percent, addedBySluice: f.strategy.bySluice } };
  }

  #failOrMissing(flag: FlagRef): AdminFailure | undefined {
    const failure = this.failures.shift();
    if (failure !== undefined) return failure;
    if (!this.flags.has(flag.name)) return { ok: false, kind: 'notFound', message: `no ${flag.name}` };
    return undefined;
  }

  read(flag: FlagRef): Promise<AdminResult> {
    this.calls.push(`read ${flag.name}`);
    const failed = this.#failOrMissing(flag);
    return Promise.resolve(failed ?? { ok: true, state: this.#state(flag.name) });
  }

  setRollout(flag: FlagRef, percent: number, choice: StrategyChoice = { kind: 'existing' }): Promise<AdminResult> {
    this.calls.push(`setRollout ${flag.name} ${percent} ${choice.kind === 'id' ? choice.id : choice.kind}`);
    const failed = this.#failOrMissing(flag);
    if (failed) return Promise.resolve(failed);
    const f = this.flags.get(flag.name)!;
    const usable = choice.kind === 'existing' || (choice.kind === 'id' && f.strategy?.id === choice.id) || (choice.kind === 'own' && f.strategy?.bySluice === true);
    if (!usable || f.strategy === undefined) f.strategy = { id: `sluice-${++this.#ids}`, percent, bySluice: true };
    f.strategy.percent = percent;
    f.enabled = true;
    return Promise.resolve({ ok: true, state: this.#state(flag.name) });
  }

  restore(flag: FlagRef, previous: PreviousFlagState): Promise<AdminResult> {
    this.calls.push(`restore ${flag.name} ${JSON.stringify(previous)}`);
    const failed = this.#failOrMissing(flag);
    if (failed) return Promise.resolve(failed);
    const f = this.flags.get(flag.name)!;
    if (previous.rollout === undefined) delete f.strategy;
    else if (f.strategy !== undefined) f.strategy.percent = previous.rollout;
    f.enabled = previous.enabled;
    return Promise.resolve({ ok: true, state: this.#state(flag.name) });
  }

  disable(flag: FlagRef): Promise<AdminResult> {
    this.calls.push(`disable ${flag.name}`);
    const failed = this.#failOrMissing(flag);
    if (failed) return Promise.resolve(failed);
    this.flags.get(flag.name)!.enabled = false;
    return Promise.resolve({ ok: true, state: this.#state(flag.name) });
  }
}

function step(name: string, rollout: number, more: Partial<ResolvedSetFlagStep['flag']> = {}): ResolvedSetFlagStep {
  return { index: 3, field: 'spec.strategy.canary.steps[3]', kind: 'setFlag', flag: { name, rollout, environment: undefined, project: 'default', onAbort: 'restore', ...more } };
}

const env = 'production';
const unreachable: AdminFailure = { ok: false, kind: 'unreachable', message: 'Unleash at http://u unreachable' };

/** Runs the step until it is no longer recording (the reconciler writes status in between). */
async function runToEnd(admin: FakeAdmin, s: ResolvedSetFlagStep, flags: TouchedFlag[] = []) {
  const first = await runSetFlagStep(s, flags, admin, env);
  return runSetFlagStep(s, first.flags, admin, env);
}

describe('runSetFlagStep', () => {
  it('first records the flag as it is, without changing it, so that status has it before Unleash changes', async () => {
    const admin = new FakeAdmin();
    admin.add('checkout', false, 5);
    const result = await runSetFlagStep(step('checkout', 20), [], admin, env);
    expect(result).toEqual({
      verdict: {
        kind: 'running',
        message: 'recorded flag checkout in project default, environment production as it is now (disabled, 5%) so that an abort can put it back; setting it to 20% next',
        requeueAfterMs: 1_000,
      },
      flags: [{ name: 'checkout', project: 'default', environment: env, previousEnabled: false, previousRollout: 5, strategyId: 'user-checkout', rollout: 5, onAbort: 'restore' }],
    });
    expect(admin.calls).toEqual(['read checkout']);
  });

  it('then sets the recorded strategy and is done once Unleash confirms', async () => {
    const admin = new FakeAdmin();
    admin.add('checkout', false, 5);
    const result = await runToEnd(admin, step('checkout', 20));
    expect(result.verdict).toEqual({ kind: 'done', message: 'flag checkout in project default, environment production is enabled at 20% (confirmed by Unleash)' });
    expect(result.flags).toEqual([{ name: 'checkout', project: 'default', environment: env, previousEnabled: false, previousRollout: 5, strategyId: 'user-checkout', rollout: 20, onAbort: 'restore' }]);
    expect(admin.calls).toEqual(['read checkout', 'setRollout checkout 20 user-checkout']);
  });

  it('on a flag without a gradual rollout, steers only a strategy of its own and records its id', async () => {
    const admin = new FakeAdmin();
    admin.add('search', true);
    const result = await runToEnd(admin, step('search', 10));
    expect(admin.calls.at(-1)).toBe('setRollout search 10 own');
    expect(result.flags).toEqual([{ name: 'search', project: 'default', environment: env, previousEnabled: true, strategyId: 'sluice-1', rollout: 10, onAbort: 'restore' }]);
  });

  it('keeps the first recorded state across later steps on the same flag, and takes the newest onAbort', async () => {
    const admin = new FakeAdmin();
    admin.add('checkout', false, 5);
    const at20 = await runToEnd(admin, step('checkout', 20));
    const at50 = await runSetFlagStep(step('checkout', 50, { onAbort: 'disable' }), at20.flags, admin, env);
    expect(at50.verdict.kind).toBe('done');
    expect(at50.flags).toEqual([{ ...at20.flags[0], rollout: 50, onAbort: 'disable' }]);
  });

  it('tells flags apart by project and environment, and fills in the default environment', async () => {
    const admin = new FakeAdmin();
    admin.add('checkout', true, 100);
    const other: TouchedFlag = { name: 'checkout', project: 'default', environment: 'staging', previousEnabled: false, rollout: 100, onAbort: 'restore' };
    const result = await runSetFlagStep(step('checkout', 20), [other], admin, env);
    expect(result.verdict.kind).toBe('running');
    expect(result.flags).toEqual([other, expect.objectContaining({ environment: env, previousRollout: 100 }) as TouchedFlag]);
    expect(flagOfStep(step('checkout', 1, { environment: 'staging' }), env).environment).toBe('staging');
  });

  it('when the recorded strategy was removed meanwhile, an abort removes the one Sluice added instead', async () => {
    const admin = new FakeAdmin();
    admin.add('checkout', false, 5);
    const first = await runSetFlagStep(step('checkout', 20), [], admin, env);
    delete admin.flags.get('checkout')!.strategy;
    const second = await runSetFlagStep(step('checkout', 20), first.flags, admin, env);
    expect(second.flags[0]).toEqual({ name: 'checkout', project: 'default', environment: env, previousEnabled: false, strategyId: 'sluice-1', rollout: 20, onAbort: 'restore' });
  });

  it('makes a refused token or a missing flag an invalid step naming the setFlag field, rechecked later', async () => {
    const admin = new FakeAdmin();
    admin.failures.push({ ok: false, kind: 'auth', message: 'Unleash refused the admin token (401)' });
    expect(await runSetFlagStep(step('checkout', 20), [], admin, env)).toEqual({
      verdict: { kind: 'invalid', field: 'spec.strategy.canary.steps[3].setFlag', message: 'Unleash refused the admin token (401)', requeueAfterMs: 60_000 },
      flags: [],
    });
    const missing = await runSetFlagStep(step('nope', 20), [], admin, env);
    expect(missing.verdict).toMatchObject({ kind: 'invalid', field: 'spec.strategy.canary.steps[3].setFlag' });
  });

  it('keeps running, never done, while Unleash is unreachable, refuses, or does not confirm', async () => {
    for (const failure of [unreachable, { ok: false, kind: 'http', message: '503' }, { ok: false, kind: 'unconfirmed', message: 'reads back 30%' }] as AdminFailure[]) {
      const admin = new FakeAdmin();
      admin.add('checkout', false, 5);
      const recorded = (await runSetFlagStep(step('checkout', 20), [], admin, env)).flags;
      admin.failures.push(failure);
      const result = await runSetFlagStep(step('checkout', 20), recorded, admin, env);
      expect(result).toEqual({ verdict: { kind: 'running', message: failure.message, requeueAfterMs: 10_000 }, flags: recorded });
    }
  });
});

describe('restoreFlags', () => {
  const touched = (name: string, more: Partial<TouchedFlag> = {}): TouchedFlag => ({
    name, project: 'default', environment: env, previousEnabled: false, previousRollout: 5, strategyId: `user-${name}`, rollout: 50, onAbort: 'restore', ...more,
  });

  it('puts each flag back, or turns it off, per its onAbort', async () => {
    const admin = new FakeAdmin();
    admin.add('a', true, 50);
    admin.add('b', true, 50);
    admin.add('c', true, 50);
    const result = await restoreFlags([touched('a'), touched('b', { onAbort: 'disable' }), touched('c', { previousRollout: undefined, previousEnabled: true })], admin);
    expect(result.remaining).toEqual([]);
    expect(result.results.map((r) => [r.outcome, r.message])).toEqual([
      ['restored', 'put flag a in project default, environment production back: disabled, gradual rollout back at 5%'],
      ['disabled', 'turned flag b in project default, environment production off (onAbort: disable)'],
      ['restored', 'put flag c in project default, environment production back: enabled, removed the gradual rollout Sluice added'],
    ]);
    expect(admin.calls).toEqual([
      'restore a {"enabled":false,"rollout":5,"strategyId":"user-a"}',
      'disable b',
      'restore c {"enabled":true,"strategyId":"user-c"}',
    ]);
  });

  it('keeps the flags that failed for the next round, and drops one that no longer exists', async () => {
    const admin = new FakeAdmin();
    admin.add('a', true, 50);
    admin.add('c', true, 50);
    admin.failures.push({ ok: false, kind: 'http', message: 'Unleash answered 500' });
    const result = await restoreFlags([touched('a'), touched('gone'), touched('c')], admin);
    expect(result.remaining).toEqual([touched('a')]);
    expect(result.results.map((r) => r.outcome)).toEqual(['failed', 'gone', 'restored']);
    expect(result.results[1]!.message).toBe('flag gone in project default, environment production is no longer in Unleash: there is nothing to put back');
  });

  it('stops trying in a round once Unleash is unreachable, keeping every flag left', async () => {
    const admin = new FakeAdmin();
    admin.add('a', true, 50);
    admin.add('b', true, 50);
    admin.failures.push(unreachable);
    const result = await restoreFlags([touched('a'), touched('b')], admin);
    expect(result.remaining).toEqual([touched('a'), touched('b')]);
    expect(admin.calls).toHaveLength(1);
    expect(result.results[1]!.message).toBe('flag b in project default, environment production not restored yet: Unleash at http://u unreachable');
  });
});
