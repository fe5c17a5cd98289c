/**
 * The README's way to run the controller, on a fresh clone: `npm start` must serve the dashboard page, not only
 * its JSON API. A fresh clone has no dashboard/dist (it is git-ignored), so the page exists only if `npm start`
 * builds it; the clone here is a copy of the files git knows, beside the same node_modules that `npm ci` made.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoRoot } from '../cluster/paths.ts';
import { freePorts } from '../support/ports.ts';
import { GiveUp, waitFor } from '../support/wait.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, clusterInfo, useNamespace } from './support.ts';

const ns = useNamespace('npm-start');
const clone = mkdtempSync(join(tmpdir(), 'sluice-fresh-clone-'));
beforeAll(() => installSluiceCrds(adminKubeConfig()));
afterAll(() => rmSync(clone, { recursive: true, force: true }));

function copyCheckout(): void {
  // Tracked and new files as in the working tree; nothing git ignores (dashboard/dist, .sluice, node_modules).
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  for (const file of files.split('\0')) {
    if (file === '' || file === 'node_modules' || !existsSync(join(repoRoot, file))) continue;
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    copyFileSync(join(repoRoot, file), join(clone, file));
  }
  symlinkSync(realpathSync(join(repoRoot, 'node_modules')), join(clone, 'node_modules'));
}

it('npm start on a fresh clone serves the dashboard page and its scripts', async () => {
  copyCheckout();
  expect(existsSync(join(clone, 'dashboard', 'dist'))).toBe(false);
  const [metricsPort, dashboardPort] = (await freePorts(2)) as [number, number];
  const output: string[] = [];
  // Its own process group, so that stopping it stops npm, its shell and the controller together.
  const npm = spawn(
    'npm',
    [
      'start',
      '--',
      '--kubeconfig',
      clusterInfo().kubeconfig,
      '--namespace',
      ns.name,
      '--leader-elect=false',
      '--metrics-address',
      '127.0.0.1',
      '--metrics-port',
      String(metricsPort),
      '--dashboard-port',
      String(dashboardPort),
    ],
    {
      cwd: clone,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  npm.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  npm.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise((resolve) => npm.once('exit', resolve));
  try {
    await waitFor(
      async () => {
        if (npm.exitCode !== null) throw new GiveUp(`npm start exited with ${npm.exitCode}`);
        return (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined))?.ok;
      },
      { timeoutMs: 90_000, what: 'npm start: controller ready' },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\nnpm start printed:\n${output.join('')}`);
    });
    const page = await fetch(`http://127.0.0.1:${dashboardPort}/`);
    const html = await page.text();
    expect(page.status, output.join('')).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const script = /<script[^>]+src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script, html).toBeDefined();
    const bundle = await fetch(`http://127.0.0.1:${dashboardPort}/${script}`);
    expect(bundle.status).toBe(200);
    expect(output.join('')).not.toContain('the page is not built');
  } finally {
    // The whole group, even when npm has exited: the controller it started may outlive it.
    try {
      process.kill(-npm.pid!, 'SIGTERM');
    } catch {
      // ESRCH: the group is gone already
    }
    await exited;
  }
});
