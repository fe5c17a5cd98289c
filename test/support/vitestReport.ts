/**
 * Reads vitest's JSON report for CI: the counts for the `N passed, N failed, N skipped` line, and what makes a
 * green run untrustworthy. A run can pass with tests left out: a project that ran no file (a wrong filter, a
 * setup that found nothing), a file that failed to load, a skipped or todo test. Each of those is a problem here,
 * so CI fails on it with a line that names it.
 *
 * Which files a project has comes from its include globs in vitest.config.ts, matched on the disk; which tests a
 * file has is what vitest collected from it (a skipped test is collected and reported as skipped).
 *
 * Usage: node test/support/vitestReport.ts test-results/vitest.json
 *   prints `passed failed skipped` on stdout and one `[ci] ...` line per problem on stderr; exits 1 on a problem.
 */
import { existsSync, globSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';

export interface VitestReport {
  testResults: {
    name: string;
    status: string;
    message?: string;
    assertionResults: { fullName: string; status: string }[];
  }[];
}

export interface Project {
  name: string;
  /** Repository-relative paths of the test files the project has. */
  files: string[];
}

export interface Verdict {
  passed: number;
  failed: number;
  skipped: number;
  problems: string[];
}

/** Counts the report's tests and lists every way in which it ran fewer tests than the projects have. */
export function judgeReport(report: VitestReport | undefined, projects: readonly Project[], root: string): Verdict {
  if (report === undefined)
    return {
      passed: 0,
      failed: 0,
      skipped: 0,
      problems: ['vitest wrote no JSON report: it stopped before or while running the tests'],
    };
  const byFile = new Map(report.testResults.map((r) => [relative(root, r.name), r]));
  const verdict: Verdict = { passed: 0, failed: 0, skipped: 0, problems: [] };
  for (const result of report.testResults) {
    for (const test of result.assertionResults) {
      if (test.status === 'passed') verdict.passed++;
      else if (test.status === 'failed') verdict.failed++;
      else {
        verdict.skipped++;
        verdict.problems.push(`${relative(root, result.name)}: "${test.fullName}" was ${test.status}, not run`);
      }
    }
  }
  for (const project of projects) {
    if (project.files.length === 0)
      verdict.problems.push(`project ${project.name} has no test file: its include globs match nothing`);
    const ran = project.files.filter((f) => byFile.has(f));
    if (project.files.length > 0 && ran.length === 0)
      verdict.problems.push(`project ${project.name} ran none of its ${project.files.length} test files`);
    for (const file of project.files) {
      const result = byFile.get(file);
      if (result === undefined) {
        if (ran.length > 0) verdict.problems.push(`project ${project.name}: ${file} did not run`);
      } else if (result.assertionResults.length === 0) {
        verdict.problems.push(
          `project ${project.name}: ${file} ran no test (${result.status}${result.message ? `: ${result.message.split('\n')[0]}` : ''})`,
        );
      }
    }
  }
  const known = new Set(projects.flatMap((p) => p.files));
  for (const file of byFile.keys())
    if (!known.has(file)) verdict.problems.push(`${file} ran but belongs to no project's include globs`);
  return verdict;
}

/** Each project's test files, from the include globs of vitest.config.ts (and vitest's default of node_modules left out). */
export async function projectsOf(root: string): Promise<Project[]> {
  const config = (await import(resolve(root, 'vitest.config.ts'))) as {
    default: { test?: { projects?: { test?: { name?: string; include?: string[] } }[] } };
  };
  return (config.default.test?.projects ?? []).map((p) => ({
    name: p.test?.name ?? '(unnamed)',
    files: [
      ...new Set(
        (p.test?.include ?? []).flatMap((glob) =>
          globSync(glob, {
            cwd: root,
            exclude: (f) => f === 'node_modules' || f === '.git' || f.endsWith('/node_modules'),
          }),
        ),
      ),
    ].sort(),
  }));
}

if (import.meta.main) {
  const root = resolve(import.meta.dirname, '../..');
  const file = resolve(process.argv[2] ?? 'test-results/vitest.json');
  const report = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as VitestReport) : undefined;
  const verdict = judgeReport(report, await projectsOf(root), root);
  for (const problem of verdict.problems) console.error(`[ci] ${problem}`);
  console.log(`${verdict.passed} ${verdict.failed} ${verdict.skipped}`);
  process.exitCode = verdict.problems.length > 0 ? 1 : 0;
}
