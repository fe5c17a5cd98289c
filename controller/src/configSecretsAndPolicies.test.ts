import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { files, load, problemsOf, tenancyFile, tokenFile } from './config.test-support.ts';

describe('secrets and policies', () => {
  it('refuses the admin token as a flag, which the process list would show, and says what to use', () => {
    const refusal =
      "--unleash-admin-token is not accepted: a flag's value is visible to every user of the machine in the process list; " +
      'use SLUICE_UNLEASH_ADMIN_TOKEN (from a Secret) or --unleash-admin-token-file=<path>';
    expect(problemsOf(['--unleash-admin-token=*:*.secret'])).toEqual([refusal]);
    expect(problemsOf(['--unleash-admin-token', '*:*.secret', '--namespace=shop'])).toEqual([refusal]);
  });

  it('reads the admin token from its file, once, and not beside the variable', () => {
    expect(load([`--unleash-admin-token-file=${tokenFile}`]).unleashAdminToken).toBe('*:*.from-a-file');
    expect(problemsOf([`--unleash-admin-token-file=${tokenFile}`], { SLUICE_UNLEASH_ADMIN_TOKEN: '*:*.x' })).toEqual([
      `--unleash-admin-token-file / SLUICE_UNLEASH_ADMIN_TOKEN_FILE and SLUICE_UNLEASH_ADMIN_TOKEN are both set: set only one`,
    ]);
    expect(problemsOf(['--unleash-admin-token-file=/nonexistent/token'])).toEqual([
      expect.stringMatching(
        /^--unleash-admin-token-file \/ SLUICE_UNLEASH_ADMIN_TOKEN_FILE: cannot read \/nonexistent\/token: ENOENT/,
      ),
    ]);
    const empty = join(files, 'empty');
    writeFileSync(empty, '\n');
    expect(problemsOf([`--unleash-admin-token-file=${empty}`])).toEqual([expect.stringContaining(`${empty} is empty`)]);
  });

  it('reads the tenancy policy from a file, and says what is wrong with one it cannot use', () => {
    expect(load([`--unleash-tenancy=${tenancyFile}`]).unleashTenancy).toEqual({
      namespaces: { shop: { projects: ['shop'], environments: ['production'] } },
      source: 'setting',
    });
    expect(problemsOf(['--unleash-tenancy={namespaces: {shop: {projects: [shop]}}}'])).toEqual([
      '--unleash-tenancy / SLUICE_UNLEASH_TENANCY: the policy namespaces.shop.environments must be a list of at least one Unleash name, or ["*"]',
    ]);
    expect(problemsOf(['--unleash-tenancy=/nonexistent/policy.yaml'])).toEqual([
      expect.stringMatching(
        /^--unleash-tenancy \/ SLUICE_UNLEASH_TENANCY: cannot read the policy file \/nonexistent\/policy\.yaml/,
      ),
    ]);
  });

  it('says which allowed host it cannot read, and refuses a budget smaller than two answers', () => {
    expect(problemsOf(['--analysis-allowed-hosts=prometheus:9090,http://x'])).toEqual([
      '--analysis-allowed-hosts / SLUICE_ANALYSIS_ALLOWED_HOSTS: "http://x" is not a host, host:port, *.domain or *.domain:port',
    ]);
    expect(problemsOf(['--analysis-answer-budget=8Mi'])).toEqual([
      '--analysis-answer-budget / SLUICE_ANALYSIS_ANSWER_BUDGET: "8Mi" is not a size of at least 16Mi (like 64Mi or 1Gi)',
    ]);
    expect(load(['--analysis-answer-budget=1Gi']).analysisAnswerBudget).toBe(1024 ** 3);
  });
});
