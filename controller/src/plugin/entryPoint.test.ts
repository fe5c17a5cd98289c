/**
 * The plugin as a user runs it: bin/kubectl-sluice.js linked onto PATH as kubectl-sluice, started by whatever
 * `node` that PATH finds. On a Debian machine that is the system's Node (npm from Debian brings Node 18 or 20), too
 * old to strip TypeScript types; the plugin must then find the project's Node 24 itself.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const plugin = fileURLToPath(new URL('../../../bin/kubectl-sluice.js', import.meta.url));

/** A Node older than 24 outside the project, or undefined when the machine has none. */
function machineOldNode(): { path: string; version: string } | undefined {
  for (const path of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(path)) continue;
    const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
    if (Number(/^v(\d+)/.exec(version)?.[1]) < 24) return { path, version };
  }
  return undefined;
}

const oldNode = machineOldNode();
const bin = mkdtempSync(join(tmpdir(), 'sluice-plugin-path-'));
afterAll(() => rmSync(bin, { recursive: true, force: true }));

/** Runs kubectl-sluice by name, as kubectl does, with only the link folder and the system's folders on PATH. */
function runLinked(args: string[]) {
  return spawnSync('kubectl-sluice', args, {
    encoding: 'utf8',
    timeout: 30_000,
    // No node_modules/.bin on PATH (npm and vitest put it there): `node` is the machine's old one.
    env: { ...process.env, PATH: `${bin}:/usr/bin:/bin`, SLUICE_PLUGIN_REEXEC: undefined },
  });
}

describe.skipIf(oldNode === undefined)(
  `kubectl-sluice linked onto PATH, started by the machine's ${oldNode?.version ?? 'old'} Node`,
  () => {
    beforeAll(() => {
      symlinkSync(plugin, join(bin, 'kubectl-sluice'));
      symlinkSync(oldNode!.path, join(bin, 'node'));
    });

    it('the node on that PATH really is the old one', () => {
      const seen = spawnSync('node', ['--version'], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin` } });
      expect(seen.stdout.trim()).toBe(oldNode!.version);
    });

    it('prints its usage and exits 0', () => {
      const result = runLinked(['--help']);
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain('Usage: kubectl sluice <command>');
      expect(result.status).toBe(0);
    });

    it('converts an Argo Rollout from standard input with no cluster, and exits 3 for what it dropped', () => {
      const argo = [
        'apiVersion: argoproj.io/v1alpha1',
        'kind: Rollout',
        'metadata: {name: web}',
        'spec:',
        '  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}',
        '  strategy: {canary: {maxSurge: 1, steps: [{setWeight: 20}, {pause: {duration: 60}}]}}',
      ].join('\n');
      const result = spawnSync('kubectl-sluice', ['convert', '-f', '-'], {
        input: argo,
        encoding: 'utf8',
        timeout: 30_000,
        env: {
          ...process.env,
          PATH: `${bin}:/usr/bin:/bin`,
          SLUICE_PLUGIN_REEXEC: undefined,
          KUBECONFIG: '/nonexistent',
        },
      });
      expect(result.stdout).toContain('apiVersion: sluice.dev/v1alpha1');
      expect(result.stdout).toContain('duration: 60s');
      expect(result.stderr).toContain('dropped Rollout/web spec.strategy.canary.maxSurge');
      expect(result.status).toBe(3);
    });

    it('passes the exit code of a failed command through', () => {
      const result = runLinked(['no-such-command']);
      expect(result.stderr).toContain('unknown command no-such-command');
      expect(result.status).toBe(1);
    });
  },
);

it('runs in place when started by Node 24 itself', () => {
  const result = spawnSync(process.execPath, [plugin, '--help'], { encoding: 'utf8', timeout: 30_000 });
  expect(result.stderr).toBe('');
  expect(result.stdout).toContain('Usage: kubectl sluice <command>');
  expect(result.status).toBe(0);
});
