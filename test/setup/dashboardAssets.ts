/**
 * Vitest global setup: builds the dashboard page (dashboard/dist) when it is missing or older than its sources,
 * so that `npm test` serves and tests the page as it is now. Takes about two seconds, and nothing when fresh.
 */
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../cluster/paths.ts';

const distDir = join(repoRoot, 'dashboard', 'dist');
const dist = join(distDir, 'index.html');
const sources = [
  join(repoRoot, 'dashboard', 'index.html'),
  join(repoRoot, 'dashboard', 'vite.config.ts'),
  join(repoRoot, 'dashboard', 'src'),
  join(repoRoot, 'controller', 'src', 'dashboard', 'model.ts'),
  join(repoRoot, 'controller', 'src', 'plugin', 'age.ts'),
];

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newest(join(path, entry))));
}

export function dashboardAssetsStale(): boolean {
  return !existsSync(dist) || statSync(dist).mtimeMs < Math.max(...sources.map(newest));
}

export default async function setup(): Promise<void> {
  if (!dashboardAssetsStale()) return;
  const { build } = await import('vite');
  // Built beside dist and moved into place, so that two projects' setups never see a half-written folder.
  const staging = join(repoRoot, 'dashboard', `.dist-${process.pid}-${Date.now()}`);
  await build({
    configFile: join(repoRoot, 'dashboard', 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: staging, emptyOutDir: true },
  });
  try {
    rmSync(distDir, { recursive: true, force: true });
    renameSync(staging, distDir);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(dist)) throw err; // another setup moved its build in first
  }
}
