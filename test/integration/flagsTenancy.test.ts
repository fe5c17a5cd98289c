/**
 * Tenancy of feature flags, against a real Unleash server: the controller is told (--unleash-tenancy) which
 * Unleash projects and environments each namespace's Rollouts may change. A Rollout that names another project or
 * environment is InvalidSpec, saying which field and which setting, and its flag does not move in Unleash (read
 * back); within the policy, the same namespace's flags move as before.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CanaryStep, Rollout, RolloutSpec } from '../../controller/src/api/types.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { createFlag, flagEverywhere } from './flagStory.ts';
import { createRollout, waitForRollout } from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const shop = useNamespace('tenancy-shop');
const unleashInfo = inject('unleash');
const controllers: ControllerProcess[] = [];

const flagOnly = (steps: CanaryStep[]): RolloutSpec => ({
  strategy: { canary: { steps } },
});
const invalidSpec = (r: Rollout) => r.status?.conditions?.find((c) => c.type === 'InvalidSpec' && c.status === 'True');

beforeAll(async () => {
  if (unleashInfo === null) throw new Error('this suite needs Unleash: include it in SLUICE_TEST_SERVICES');
  await installSluiceCrds(adminKubeConfig());
  // The shop namespace may change the default project in development only; no other namespace may change any flag.
  const tenancy = { namespaces: { [shop.name]: { projects: ['default'], environments: ['development'] } } };
  controllers.push(
    await startController({
      namespace: shop.name,
      env: {
        SLUICE_UNLEASH_URL: unleashInfo.url,
        SLUICE_UNLEASH_ADMIN_TOKEN: unleashInfo.adminToken,
        SLUICE_UNLEASH_CLIENT_TOKEN: unleashInfo.clientToken,
        SLUICE_UNLEASH_TENANCY: JSON.stringify(tenancy),
      },
    }),
  );
});
afterAll(async () => {
  await Promise.all(controllers.map((c) => c.stop()));
});

describe('given a controller with an Unleash tenancy policy', () => {
  it('a Rollout naming an environment its namespace may not change is InvalidSpec, and the flag does not move in any environment', async () => {
    const flag = await createFlag('prod-only');
    const before = await flagEverywhere(flag);
    const created = performance.now();
    await createRollout(
      shop.name,
      'to-production',
      flagOnly([{ setFlag: { name: flag, rollout: 50, environment: 'production' } }, { pause: { duration: '1s' } }]),
    );
    const r = await waitForRollout(
      shop.name,
      'to-production',
      'InvalidSpec',
      (x) => invalidSpec(x) !== undefined,
      30_000,
    );
    const reconcileMs = performance.now() - created;
    expect(invalidSpec(r)?.message).toMatch(
      new RegExp(
        `spec\\.strategy\\.canary\\.steps\\[0\\]\\.setFlag\\.environment: the Rollouts of namespace ${shop.name} may not change flags in Unleash environment production ` +
          '\\(allowed: development\\).*--unleash-tenancy / SLUICE_UNLEASH_TENANCY',
      ),
    );
    // Give a wrongly wired controller the time to write, then read the flag back from Unleash: a few reconciles,
    // as long as this one took here (a loaded machine takes longer for both).
    await new Promise((resolve) => setTimeout(resolve, Math.max(3_000, 3 * reconcileMs)));
    expect(await flagEverywhere(flag)).toEqual(before);
    expect(
      (await waitForRollout(shop.name, 'to-production', 'still InvalidSpec', () => true)).status?.flags ?? [],
    ).toEqual([]);
  });

  it('a Rollout naming a project its namespace may not use is InvalidSpec before Unleash is asked anything', async () => {
    const flag = await createFlag('other-team');
    const before = await flagEverywhere(flag);
    const created = performance.now();
    await createRollout(
      shop.name,
      'other-project',
      flagOnly([{ setFlag: { name: flag, rollout: 10, project: 'payments' } }]),
    );
    const r = await waitForRollout(
      shop.name,
      'other-project',
      'InvalidSpec',
      (x) => invalidSpec(x) !== undefined,
      30_000,
    );
    const reconcileMs = performance.now() - created;
    // The policy's words, not Unleash's "project not found": the check comes first.
    expect(invalidSpec(r)?.message).toMatch(
      /steps\[0\]\.setFlag\.project: .* may not change flags of Unleash project payments \(allowed: default\)/,
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(2_000, 3 * reconcileMs))); // as above
    expect(await flagEverywhere(flag)).toEqual(before);
  });

  it('within its policy, the same namespace moves its flag and ends Healthy (the control)', async () => {
    const flag = await createFlag('allowed');
    await createRollout(shop.name, 'allowed', flagOnly([{ setFlag: { name: flag, rollout: 30 } }]));
    await waitForRollout(shop.name, 'allowed', 'Healthy', (x) => x.status?.phase === 'Healthy', 60_000);
    expect((await flagEverywhere(flag)).development).toEqual({ enabled: true, rollouts: [30] });
  });
});
