import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { judgeReport, projectsOf, type VitestReport } from './vitestReport.ts';

const root = '/repo';
const projects = [
  { name: 'unit', files: ['controller/a.test.ts', 'controller/b.test.ts'] },
  { name: 'integration', files: ['test/integration/story.test.ts'] },
];
const file = (name: string, statuses: string[], status = 'passed') => ({
  name: `${root}/${name}`,
  status,
  assertionResults: statuses.map((s, i) => ({ fullName: `${name} test ${i}`, status: s })),
});

describe('the CI verdict on a vitest report', () => {
  it('counts passed and failed tests and finds nothing wrong when every file of every project ran', () => {
    const report: VitestReport = {
      testResults: [
        file('controller/a.test.ts', ['passed', 'passed']),
        file('controller/b.test.ts', ['failed']),
        file('test/integration/story.test.ts', ['passed']),
      ],
    };
    expect(judgeReport(report, projects, root)).toEqual({ passed: 3, failed: 1, skipped: 0, problems: [] });
  });

  it('fails a run in which a project ran no file, though every test that ran passed', () => {
    const report: VitestReport = {
      testResults: [file('controller/a.test.ts', ['passed']), file('controller/b.test.ts', ['passed'])],
    };
    expect(judgeReport(report, projects, root).problems).toEqual(['project integration ran none of its 1 test files']);
  });

  it('names a file that did not run, and one that loaded no test', () => {
    const report: VitestReport = {
      testResults: [
        file('controller/a.test.ts', ['passed']),
        { ...file('test/integration/story.test.ts', [], 'failed'), message: 'Cannot find module x\nstack' },
      ],
    };
    expect(judgeReport(report, projects, root).problems).toEqual([
      'project unit: controller/b.test.ts did not run',
      'project integration: test/integration/story.test.ts ran no test (failed: Cannot find module x)',
    ]);
  });

  it('fails on a skipped or todo test and counts it as skipped', () => {
    const report: VitestReport = {
      testResults: [
        file('controller/a.test.ts', ['passed', 'skipped', 'todo']),
        file('controller/b.test.ts', ['passed']),
        file('test/integration/story.test.ts', ['passed']),
      ],
    };
    const verdict = judgeReport(report, projects, root);
    expect(verdict).toMatchObject({ passed: 3, failed: 0, skipped: 2 });
    expect(verdict.problems).toEqual([
      'controller/a.test.ts: "controller/a.test.ts test 1" was skipped, not run',
      'controller/a.test.ts: "controller/a.test.ts test 2" was todo, not run',
    ]);
  });

  it('fails when there is no report, and when a project has no test file at all', () => {
    expect(judgeReport(undefined, projects, root)).toMatchObject({
      passed: 0,
      failed: 0,
      problems: [expect.stringMatching(/no JSON report/)],
    });
    expect(judgeReport({ testResults: [] }, [{ name: 'unit', files: [] }], root).problems).toEqual([
      'project unit has no test file: its include globs match nothing',
    ]);
  });
});

describe('the test files of each project', () => {
  it('are the files its include globs match in vitest.config.ts, node_modules left out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-report-'));
    for (const f of [
      'controller/x.test.ts',
      'controller/node_modules/dep/y.test.ts',
      'test/integration/s.test.ts',
      'test/integration/helper.ts',
    ]) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), '');
    }
    writeFileSync(
      join(dir, 'vitest.config.ts'),
      `export default { test: { projects: [
      { test: { name: 'unit', include: ['controller/**/*.test.ts'] } },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
    ] } };\n`,
    );
    expect(await projectsOf(dir)).toEqual([
      { name: 'unit', files: ['controller/x.test.ts'] },
      { name: 'integration', files: ['test/integration/s.test.ts'] },
    ]);
  });

  it("of this repository: both projects have files, and the integration stories are the integration project's", async () => {
    const [unit, integration] = await projectsOf(join(import.meta.dirname, '../..'));
    expect(unit?.files).toContain('test/support/vitestReport.test.ts');
    expect(integration?.files).toContain('test/integration/canary.test.ts');
    expect(unit?.files.some((f) => f.startsWith('test/integration/'))).toBe(false);
  });
});
