import { describe, expect, it } from 'vitest';
import { nameProblem, repositoryImports, unmarkedTestHelpers } from './fileNames.ts';

const root = new URL('../..', import.meta.url).pathname;

describe('file names in the repository', () => {
  const repo = repositoryImports(root);

  it('are camelCase, with dots only for roles', () => {
    expect(repo.files.map(nameProblem).filter(Boolean)).toEqual([]);
  });

  it('mark every module under controller/src that only tests use as *.test-support.ts', () => {
    expect(unmarkedTestHelpers(repo.imports, repo.scripts)).toEqual([]);
  });
});

describe('the naming rule', () => {
  it('accepts camelCase and role suffixes, refuses kebab-case and other separators', () => {
    for (const ok of [
      'controller/src/api/rolloutStatus.schema.ts',
      'a/leaseDecision.simulation.test.ts',
      'a/fixtures.test-support.ts',
      'dashboard/src/viteEnv.d.ts',
      'bin/kubectl-sluice.js',
      'README.md',
      'test/setup/ensure-deps.sh',
    ]) {
      expect(nameProblem(ok), ok).toBeUndefined();
    }
    for (const bad of [
      'controller/src/api/generate-crds.ts',
      'test/integration/abort-safety.test.ts',
      'a/Widget.ts',
      'a/snake_case.ts',
      'a/x.test_support.ts',
    ]) {
      expect(nameProblem(bad), bad).toMatch(/is not camelCase/);
    }
  });

  it('finds a test double that would be compiled into dist/, and leaves scripts and shared modules alone', () => {
    const imports = new Map([
      [
        'controller/src/queue/workQueue.test.ts',
        ['controller/src/queue/testing.ts', 'controller/src/queue/workQueue.ts'],
      ],
      ['controller/src/queue/workQueue.ts', []],
      ['controller/src/main.ts', ['controller/src/queue/workQueue.ts']],
      ['controller/src/generateSettingsTable.test.ts', ['controller/src/generateSettingsTable.ts']],
      ['test/integration/canary.test.ts', ['test/support/wait.ts']],
    ]);
    expect(unmarkedTestHelpers(imports, new Set(['controller/src/generateSettingsTable.ts']))).toEqual([
      'controller/src/queue/testing.ts is imported only by tests (controller/src/queue/workQueue.test.ts): name it *.test-support.ts',
    ]);
  });
});
