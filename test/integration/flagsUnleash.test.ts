/**
 * Sluice's Unleash pieces against a real unleash-server: the Admin API client that setFlag steps and aborts use,
 * the step logic on top of it, and the freeze gate read through unleash-client.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { TouchedFlag } from '../../controller/src/api/types.ts';
import { sluiceStrategyTitle } from '../../controller/src/flags/flagEnvironment.ts';
import { SimCluster } from '../../controller/src/planner/fixtures.test-support.ts';
import { runFlagOperation } from '../../controller/src/reconcile/backgroundTasks.ts';
import { FreezeGate } from '../../controller/src/flags/freezeGate.ts';
import { UnleashAdmin } from '../../controller/src/flags/unleashAdmin.ts';
import { connectUnleash } from '../fixtures/unleash.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/wait.ts';

const info = inject('unleash');
if (info === null) throw new Error('this suite needs Unleash: include "unleash" in SLUICE_TEST_SERVICES');
const unleash = connectUnleash(info);
const admin = new UnleashAdmin({ url: info.url, adminToken: info.adminToken });
const environment = 'development';
const features = '/api/admin/projects/default/features';

interface RawStrategy {
  id: string;
  name: string;
  title: string | null;
  parameters: Record<string, string>;
}

/** A new flag in the default project; `rollout` gives it a user's gradual rollout in the test environment. */
async function newFlag(
  opts: { enabled?: boolean; rollout?: number } = {},
): Promise<{ name: string; project: string; environment: string }> {
  const name = `flags-${randomBytes(4).toString('hex')}`;
  await unleash.admin('POST', features, { name, type: 'release' });
  if (opts.rollout !== undefined) {
    await unleash.admin('POST', `${features}/${name}/environments/${environment}/strategies`, {
      name: 'flexibleRollout',
      parameters: { rollout: String(opts.rollout), stickiness: 'default', groupId: name },
    });
  }
  if (opts.enabled === true) await unleash.admin('POST', `${features}/${name}/environments/${environment}/on`);
  return { name, project: 'default', environment };
}

/** The flag in the test environment as Unleash has it, read with the fixture's own client. */
async function unleashSays(name: string): Promise<{ enabled: boolean; strategies: RawStrategy[] }> {
  return (await unleash.admin('GET', `${features}/${name}/environments/${environment}`)) as {
    enabled: boolean;
    strategies: RawStrategy[];
  };
}

async function closedUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

describe('the Unleash Admin API client', () => {
  it('adds a gradual rollout at 10% to a flag that has none and enables it, then moves it to 50%', async () => {
    const flag = await newFlag();
    expect(await admin.read(flag)).toEqual({ ok: true, state: { enabled: false, rollout: undefined } });

    const at10 = await admin.setRollout(flag, 10);
    expect(at10).toEqual({
      ok: true,
      state: { enabled: true, rollout: { strategyId: expect.any(String) as string, percent: 10, addedBySluice: true } },
    });
    const said = await unleashSays(flag.name);
    expect(said.enabled).toBe(true);
    expect(said.strategies).toHaveLength(1);
    expect(said.strategies[0]).toMatchObject({
      name: 'flexibleRollout',
      title: sluiceStrategyTitle,
      parameters: { rollout: '10', stickiness: 'default', groupId: flag.name },
    });

    const id = at10.ok ? at10.state.rollout!.strategyId : '';
    const at50 = await admin.setRollout(flag, 50, { kind: 'id', id });
    expect(at50).toEqual({
      ok: true,
      state: { enabled: true, rollout: { strategyId: id, percent: 50, addedBySluice: true } },
    });
    expect((await unleashSays(flag.name)).strategies.map((s) => [s.id, s.parameters.rollout])).toEqual([[id, '50']]);
  });

  it('restores a flag it added a strategy to: the strategy goes and the flag is off again', async () => {
    const flag = await newFlag();
    const set = await admin.setRollout(flag, 30);
    if (!set.ok) throw new Error(set.message);
    const restored = await admin.restore(flag, {
      enabled: false,
      rollout: undefined,
      strategyId: set.state.rollout!.strategyId,
    });
    expect(restored).toEqual({ ok: true, state: { enabled: false, rollout: undefined } });
    expect(await unleashSays(flag.name)).toMatchObject({ enabled: false, strategies: [] });
    // A second restore (after a lost answer) finds the work done.
    expect(
      (await admin.restore(flag, { enabled: false, rollout: undefined, strategyId: set.state.rollout!.strategyId })).ok,
    ).toBe(true);
  });

  it("restores a user's own gradual rollout to its percentage, enabled or disabled as it was", async () => {
    for (const enabled of [true, false]) {
      const flag = await newFlag({ enabled, rollout: 25 });
      const [userStrategy] = (await unleashSays(flag.name)).strategies;
      const set = await admin.setRollout(flag, 60);
      expect(set).toEqual({
        ok: true,
        state: { enabled: true, rollout: { strategyId: userStrategy!.id, percent: 60, addedBySluice: false } },
      });

      const restored = await admin.restore(flag, { enabled, rollout: 25, strategyId: userStrategy!.id });
      expect(restored).toEqual({
        ok: true,
        state: { enabled, rollout: { strategyId: userStrategy!.id, percent: 25, addedBySluice: false } },
      });
      const said = await unleashSays(flag.name);
      expect(said.enabled).toBe(enabled);
      expect(said.strategies.map((s) => [s.id, s.title, s.parameters.rollout])).toEqual([
        [userStrategy!.id, null, '25'],
      ]);
    }
  });

  it('finds the strategy it added by its title when status never learned its id', async () => {
    const flag = await newFlag();
    await admin.setRollout(flag, 20);
    const restored = await admin.restore(flag, { enabled: false, rollout: undefined, strategyId: undefined });
    expect(restored.ok).toBe(true);
    expect(await unleashSays(flag.name)).toMatchObject({ enabled: false, strategies: [] });
  });

  it('turns a flag off for onAbort: disable, leaving its strategies alone', async () => {
    const flag = await newFlag({ enabled: true, rollout: 40 });
    expect(await admin.disable(flag)).toMatchObject({ ok: true, state: { enabled: false, rollout: { percent: 40 } } });
    const said = await unleashSays(flag.name);
    expect(said.enabled).toBe(false);
    expect(said.strategies).toHaveLength(1);
  });

  it('says the admin token was refused, naming the flag and the Secret, without the token', async () => {
    const flag = await newFlag();
    const wrongToken = `*:*.${randomBytes(16).toString('hex')}`;
    const result = await new UnleashAdmin({ url: info.url, adminToken: wrongToken }).setRollout(flag, 10);
    expect(result).toEqual({
      ok: false,
      kind: 'auth',
      message: `Unleash refused the admin token (401) while setting the rollout of flag ${flag.name} in project default, environment development: check the Secret behind SLUICE_UNLEASH_ADMIN_TOKEN`,
    });
    expect(JSON.stringify(result)).not.toContain(wrongToken.slice(5));
    expect((await unleashSays(flag.name)).strategies).toEqual([]);
  });

  it("refuses a client token in the admin token's place as a token problem (403)", async () => {
    const flag = await newFlag();
    const result = await new UnleashAdmin({ url: info.url, adminToken: info.clientToken }).read(flag);
    expect(result).toMatchObject({ ok: false, kind: 'auth' });
    expect(result.ok ? '' : result.message).toContain('SLUICE_UNLEASH_ADMIN_TOKEN must be an admin API token');
    expect(result.ok ? '' : result.message).not.toContain(info.clientToken);
  });

  it('says which flag, project or environment does not exist', async () => {
    const flag = await newFlag();
    for (const missing of [
      { ...flag, name: `${flag.name}-nope` },
      { ...flag, project: 'nope' },
      { ...flag, environment: 'nope' },
    ]) {
      const result = await admin.setRollout(missing, 10);
      expect(result).toMatchObject({ ok: false, kind: 'notFound' });
      expect(result.ok ? '' : result.message).toContain(
        `flag ${missing.name} in project ${missing.project}, environment ${missing.environment}`,
      );
    }
  });

  it('reports an Unleash that does not answer as unreachable', async () => {
    const url = await closedUrl();
    const result = await new UnleashAdmin({ url, adminToken: info.adminToken }).setRollout(
      { name: 'any', project: 'default', environment },
      10,
    );
    expect(result).toEqual({
      ok: false,
      kind: 'unreachable',
      message: `Unleash at ${url} is unreachable (connection refused (ECONNREFUSED)) while setting the rollout of flag any in project default, environment development; Sluice will retry`,
    });
  });
});

describe("setFlag steps and aborts: the planner's operations, carried out against Unleash", () => {
  /** A flag-only rollout whose first step sets the flag; the rest waits for a promote. */
  function release(name: string, rollout: number, onAbort: 'restore' | 'disable' = 'restore'): SimCluster {
    return new SimCluster({
      strategy: { canary: { steps: [{ setFlag: { name, rollout, environment, onAbort } }, { pause: {} }] } },
    });
  }

  /** Reconciles as the controller would: each plan, then the Unleash operations it asks for, as the background runs them. */
  async function drive(
    sim: SimCluster,
    using: UnleashAdmin,
    until: (s: SimCluster) => boolean,
    max = 12,
  ): Promise<void> {
    for (let i = 0; i < max && !until(sim); i++) {
      const plan = sim.reconcile();
      for (const op of plan.flagOperations)
        sim.flagOutcomes.set(op.id, { result: await runFlagOperation(op.operation, using), at: sim.now.getTime() });
    }
  }

  it('records a flag before changing it, sets it, and an abort puts it back exactly', async () => {
    const flag = await newFlag({ enabled: false, rollout: 5 });
    const [userStrategy] = (await unleashSays(flag.name)).strategies;
    const sim = release(flag.name, 20);
    await drive(sim, admin, (s) => s.rollout.status?.flags?.length === 1);
    const recorded: TouchedFlag = {
      name: flag.name,
      project: 'default',
      environment,
      previousEnabled: false,
      previousRollout: 5,
      strategyId: userStrategy!.id,
      rollout: 5,
      onAbort: 'restore',
    };
    expect(sim.rollout.status?.flags).toEqual([recorded]);
    expect((await unleashSays(flag.name)).enabled).toBe(false); // recorded, not changed yet

    await drive(sim, admin, (s) => s.rollout.status?.currentStepIndex === 1);
    expect(sim.rollout.status?.flags).toEqual([{ ...recorded, rollout: 20 }]);
    expect(await unleashSays(flag.name)).toMatchObject({
      enabled: true,
      strategies: [{ id: userStrategy!.id, parameters: { rollout: '20' } }],
    });

    sim.request('abort');
    await drive(sim, admin, (s) => s.rollout.status?.abort === true && s.rollout.status.flags?.length === 0);
    expect(sim.rollout.status?.flags).toEqual([]);
    expect(sim.events.filter((e) => e.reason === 'FlagRestored').map((e) => e.message)).toEqual([
      `put flag ${flag.name} in project default, environment development back: disabled, gradual rollout back at 5%`,
    ]);
    expect(await unleashSays(flag.name)).toMatchObject({
      enabled: false,
      strategies: [{ id: userStrategy!.id, parameters: { rollout: '5' } }],
    });
  });

  it('turns the flag off on abort when the step says onAbort: disable', async () => {
    const flag = await newFlag();
    const sim = release(flag.name, 50, 'disable');
    await drive(sim, admin, (s) => s.rollout.status?.currentStepIndex === 1);
    expect((await unleashSays(flag.name)).enabled).toBe(true);
    sim.request('abort');
    await drive(sim, admin, (s) => s.rollout.status?.flags?.length === 0);
    expect(sim.events.filter((e) => e.reason === 'FlagRestored').map((e) => e.message)).toEqual([
      `turned flag ${flag.name} in project default, environment development off (onAbort: disable)`,
    ]);
    expect((await unleashSays(flag.name)).enabled).toBe(false);
  });

  it('turns a refused token into InvalidSpec, naming the field, and records nothing', async () => {
    const flag = await newFlag();
    const refused = new UnleashAdmin({ url: info.url, adminToken: `*:*.${randomBytes(8).toString('hex')}` });
    const sim = release(flag.name, 10);
    await drive(sim, refused, () => false, 4);
    const condition = sim.rollout.status?.conditions?.find((c) => c.type === 'InvalidSpec');
    expect(condition).toMatchObject({
      status: 'True',
      message: expect.stringContaining(
        'spec.strategy.canary.steps[0].setFlag: Unleash refused the admin token',
      ) as string,
    });
    expect(condition?.message).toContain('SLUICE_UNLEASH_ADMIN_TOKEN');
    expect(sim.rollout.status?.flags ?? []).toEqual([]);
  });

  it('never calls a step done while Unleash is unreachable, and keeps the flag to restore', async () => {
    const unreachable = new UnleashAdmin({ url: await closedUrl(), adminToken: info.adminToken });
    const flag = await newFlag();
    const sim = release(flag.name, 10);
    await drive(sim, admin, (s) => s.rollout.status?.currentStepIndex === 1);
    sim.request('abort');
    await drive(sim, unreachable, () => false, 4);
    expect(sim.rollout.status?.flags).toHaveLength(1);
    expect(sim.rollout.status?.message).toMatch(/flags still to restore: .*unreachable/);
    const fresh = release((await newFlag()).name, 10);
    await drive(fresh, unreachable, () => false, 4);
    expect(fresh.rollout.status?.currentStepIndex).toBe(0);
    expect(fresh.rollout.status?.message).toContain('unreachable');
  });
});

describe('the freeze gate', () => {
  const gates: FreezeGate[] = [];
  afterAll(() => gates.forEach((g) => g.destroy()));
  const gate = (url: string, clientToken = info.clientToken) => {
    const g = new FreezeGate({ url, clientToken, refreshIntervalMs: 500 });
    gates.push(g);
    return g;
  };
  const context = { namespace: 'shop', rollout: 'checkout' };

  it('holds while the freeze flag is on and lets go once it is turned off', async () => {
    const flag = await newFlag({ enabled: true, rollout: 100 });
    const g = gate(info.url);
    const on = await waitFor(
      () => {
        const reading = g.isFrozen(flag.name, context);
        return reading.message.includes('cannot be read') ? undefined : reading;
      },
      { timeoutMs: 30_000, what: 'the freeze gate to synchronize' },
    );
    expect(on).toEqual({
      frozen: true,
      message: `freeze flag ${flag.name} is enabled in Unleash: no step advances until it is turned off`,
    });

    await unleash.admin('POST', `${features}/${flag.name}/environments/${environment}/off`);
    const off = await waitFor(
      () => {
        const reading = g.isFrozen(flag.name, context);
        return reading.frozen ? undefined : reading;
      },
      { timeoutMs: 30_000, what: 'the freeze gate to see the flag turned off' },
    );
    expect(off).toEqual({ frozen: false, message: `freeze flag ${flag.name} is off` });
    expect(g.isFrozen(`${flag.name}-missing`, context)).toMatchObject({
      frozen: false,
      message: expect.stringContaining('does not exist in Unleash') as string,
    });
  });

  it("asks about the Rollout's namespace and name, so a freeze can be aimed with constraints", async () => {
    const flag = await newFlag();
    await unleash.admin('POST', `${features}/${flag.name}/environments/${environment}/strategies`, {
      name: 'flexibleRollout',
      parameters: { rollout: '100', stickiness: 'default', groupId: flag.name },
      constraints: [{ contextName: 'namespace', operator: 'IN', values: ['shop'] }],
    });
    await unleash.admin('POST', `${features}/${flag.name}/environments/${environment}/on`);
    const g = gate(info.url);
    await waitFor(() => g.isFrozen(flag.name, context).message.includes('is enabled'), {
      timeoutMs: 30_000,
      what: 'the freeze gate to see the flag',
    });
    expect(g.isFrozen(flag.name, { namespace: 'payments', rollout: 'checkout' })).toEqual({
      frozen: false,
      message: `freeze flag ${flag.name} is off`,
    });
  });

  it('holds when Unleash cannot be reached, and says so', async () => {
    const url = await closedUrl();
    const g = gate(url);
    expect(g.isFrozen('deploy-freeze', context)).toEqual({
      frozen: true,
      message: `freeze flag deploy-freeze cannot be read: Unleash at ${url} has not answered yet; holding`,
    });
    const reading = await waitFor(
      () => {
        const r = g.isFrozen('deploy-freeze', context);
        return r.message.includes('unreachable') ? r : undefined;
      },
      { timeoutMs: 60_000, what: 'the freeze gate to report Unleash unreachable' },
    );
    expect(reading).toEqual({
      frozen: true,
      message: `freeze flag deploy-freeze cannot be read: Unleash at ${url} unreachable (connect ECONNREFUSED ${url.replace('http://', '')}); holding`,
    });
  });

  it('holds when Unleash refuses the client token, and says which Secret to check', async () => {
    const g = gate(info.url, `default:development.${randomBytes(16).toString('hex')}`);
    const reading = await waitFor(
      () => {
        const r = g.isFrozen('deploy-freeze', context);
        return r.message.includes('refused') ? r : undefined;
      },
      { timeoutMs: 30_000, what: 'the freeze gate to report the refused token' },
    );
    expect(reading).toEqual({
      frozen: true,
      message:
        `freeze flag deploy-freeze cannot be read: Unleash at ${info.url} refused the client token (401), and the client has stopped polling: ` +
        'check the Secret behind SLUICE_UNLEASH_CLIENT_TOKEN, then restart the controller; holding',
    });
  });
});
