import { describe, expect, it } from 'vitest';
import { defaultTenancy, flagAllowed, parseTenancy } from './tenancy.ts';

/**
 * Review repro: "constructor" is a valid namespace name, and policy.namespaces is a plain object, so
 * policy.namespaces["constructor"] is Object.prototype.constructor. flagAllowed then throws (grant.projects is
 * undefined); reconcile.ts flagTenancyErrors calls it before planRollout, so every reconcile of a Rollout with a
 * setFlag step in that namespace throws, and its abort (even a user's) is never planned.
 */
describe('tenancy lookup of a namespace named like an Object.prototype key', () => {
  it('the default policy answers for namespace "constructor" instead of throwing', () => {
    expect(() =>
      flagAllowed(defaultTenancy('default', 'production'), 'constructor', {
        project: 'default',
        environment: 'production',
      }),
    ).not.toThrow();
  });

  it('a parsed policy without an entry for "constructor" falls back to "*"', () => {
    const policy = parseTenancy('{namespaces: {"*": {projects: [default], environments: [production]}}}');
    if ('problem' in policy) throw new Error(policy.problem);
    expect(() => flagAllowed(policy, 'constructor', { project: 'default', environment: 'production' })).not.toThrow();
  });
});
