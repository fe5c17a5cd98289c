/**
 * The repository's file naming rules, checked by fileNames.test.ts so that they hold without a reviewer:
 * - source files are camelCase; a dot only adds a role (`.test`, `.test-support`, `.schema`, `.simulation`, `.d`);
 * - a module under controller/src that only tests import is a test helper, and is named `*.test-support.ts`:
 *   tsconfig.build.json leaves that pattern out of dist/, so test doubles never ship in the image.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

const sourceExtension = /\.(ts|tsx|js|mjs|cjs)$/;
const camelCase = /^[a-z][a-zA-Z0-9]*$/;

/** Files whose names are fixed by something outside the project, and why. */
export const exemptNames = new Map([
  ['bin/kubectl-sluice.js', 'kubectl finds a plugin by the name kubectl-<plugin> on PATH'],
]);

export function isTest(path: string): boolean {
  return /\.test\.ts$|\.test-support\.ts$/.test(path);
}

/** Why a source file's name breaks the rule, or undefined when it keeps it. */
export function nameProblem(path: string): string | undefined {
  if (!sourceExtension.test(path) || exemptNames.has(path)) return undefined;
  const base = path.slice(path.lastIndexOf('/') + 1).replace(sourceExtension, '');
  const parts = base.split('.');
  const bad = parts.find((part, i) => !(camelCase.test(part) || (i > 0 && part === 'test-support')));
  return bad === undefined
    ? undefined
    : `${path}: "${bad}" is not camelCase (name source files like rolloutStatus.schema.ts)`;
}

/**
 * Modules under controller/src that only tests import, and that are not named as test helpers. A script run by
 * `node` (it checks import.meta.main) is not a helper even when only its test imports it.
 */
export function unmarkedTestHelpers(
  imports: ReadonlyMap<string, readonly string[]>,
  scripts: ReadonlySet<string>,
): string[] {
  const importers = new Map<string, string[]>();
  for (const [from, targets] of imports)
    for (const to of targets) importers.set(to, [...(importers.get(to) ?? []), from]);
  return [...importers]
    .filter(([to, by]) => to.startsWith('controller/src/') && !isTest(to) && !scripts.has(to) && by.every(isTest))
    .map(([to, by]) => `${to} is imported only by tests (${by.join(', ')}): name it *.test-support.ts`)
    .sort();
}

/** Relative imports of every tracked TypeScript file, as repository paths. */
export function repositoryImports(root: string): {
  files: string[];
  imports: Map<string, string[]>;
  scripts: Set<string>;
} {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
  const imports = new Map<string, string[]>();
  const scripts = new Set<string>();
  for (const file of files.filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(root, file), 'utf8');
    if (text.includes('import.meta.main')) scripts.add(file);
    const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] ?? '');
    imports.set(
      file,
      specifiers.map((s) => normalize(join(dirname(file), s))),
    );
  }
  return { files, imports, scripts };
}
