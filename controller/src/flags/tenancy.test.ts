import { describe, expect, it } from 'vitest';
import { defaultTenancy, flagAllowed, parseTenancy, type TenancyPolicy } from './tenancy.ts';

const policy = parseTenancy(`
namespaces:
  shop: {projects: [shop], environments: [production, staging]}
  platform: {projects: ["*"], environments: ["*"]}
  "*": {projects: [default], environments: [development]}
`) as TenancyPolicy;

describe('flagAllowed', () => {
  it('lets a namespace change the projects and environments of its own entry, and no others', () => {
    expect(flagAllowed(policy, 'shop', { project: 'shop', environment: 'production' })).toBeUndefined();
    expect(
      flagAllowed(
        policy,
        'shop',
        { project: 'payments', environment: 'production' },
        'spec.strategy.canary.steps[2].setFlag',
      ),
    ).toBe(
      'spec.strategy.canary.steps[2].setFlag.project: the Rollouts of namespace shop may not change flags of Unleash project payments (allowed: shop): ' +
        'name an allowed project, or a cluster admin can allow it in --unleash-tenancy / SLUICE_UNLEASH_TENANCY',
    );
    expect(flagAllowed(policy, 'shop', { project: 'shop', environment: 'development' })).toBe(
      'setFlag.environment: the Rollouts of namespace shop may not change flags in Unleash environment development (allowed: production, staging): ' +
        'name an allowed environment, or a cluster admin can allow it in --unleash-tenancy / SLUICE_UNLEASH_TENANCY',
    );
  });

  it('uses the "*" entry for a namespace without one, without merging entries', () => {
    expect(flagAllowed(policy, 'blog', { project: 'default', environment: 'development' })).toBeUndefined();
    expect(flagAllowed(policy, 'blog', { project: 'shop', environment: 'development' })).toMatch(
      /^setFlag\.project: .*namespace blog.*project shop/,
    );
    // shop's entry does not inherit "*": development is not in it.
    expect(flagAllowed(policy, 'shop', { project: 'default', environment: 'development' })).toMatch(
      /^setFlag\.project:/,
    );
  });

  it('reads "*" in a list as any name', () => {
    expect(flagAllowed(policy, 'platform', { project: 'anything', environment: 'production' })).toBeUndefined();
  });

  it('refuses every flag to a namespace the policy does not name when it has no "*" entry', () => {
    const strict = parseTenancy(
      '{namespaces: {shop: {projects: [shop], environments: [production]}}}',
    ) as TenancyPolicy;
    expect(flagAllowed(strict, 'blog', { project: 'default', environment: 'development' })).toBe(
      'setFlag: the Rollouts of namespace blog may not change Unleash flags (the policy has no entry for it, nor "*"): ' +
        'a cluster admin can allow it in --unleash-tenancy / SLUICE_UNLEASH_TENANCY',
    );
  });

  it('without a policy, allows only the default project and environment, and says where to allow more', () => {
    const defaults = defaultTenancy('default', 'development');
    expect(flagAllowed(defaults, 'shop', { project: 'default', environment: 'development' })).toBeUndefined();
    expect(flagAllowed(defaults, 'shop', { project: 'default', environment: 'production' })).toBe(
      'setFlag.environment: the Rollouts of namespace shop may not change flags in Unleash environment production (allowed: development): name an allowed environment, ' +
        "or with no --unleash-tenancy / SLUICE_UNLEASH_TENANCY, only the controller's default project and environment are allowed: a cluster admin can allow more there",
    );
  });
});

describe('parseTenancy', () => {
  it('reads JSON as well as YAML', () => {
    expect(parseTenancy('{"namespaces": {"shop": {"projects": ["shop"], "environments": ["production"]}}}')).toEqual({
      namespaces: { shop: { projects: ['shop'], environments: ['production'] } },
      source: 'setting',
    });
  });

  it.each([
    ['namespaces: [', /^is not YAML or JSON/],
    ['shop: {projects: [shop]}', /needs a "namespaces" map/],
    ['{namespaces: {}, extra: 1}', /unknown key "extra"/],
    ['{namespaces: {Shop: {projects: [a], environments: [b]}}}', /namespaces\.Shop: "Shop" is not a namespace name/],
    ['{namespaces: {shop: {projects: [a]}}}', /namespaces\.shop\.environments must be a list of at least one/],
    [
      '{namespaces: {shop: {projects: [], environments: [b]}}}',
      /namespaces\.shop\.projects must be a list of at least one/,
    ],
    [
      '{namespaces: {shop: {projects: ["a b"], environments: [b]}}}',
      /namespaces\.shop\.projects: "a b" is not an Unleash name/,
    ],
    ['{namespaces: {shop: {projects: [a], environments: [b], project: c}}}', /unknown key "project"/],
  ])('refuses %j, saying where', (text, problem) => {
    const parsed = parseTenancy(text);
    expect('problem' in parsed && parsed.problem).toMatch(problem);
  });
});
