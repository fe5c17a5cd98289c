#!/usr/bin/env node
// kubectl plugin entry point: `kubectl sluice ...` finds this file on PATH as kubectl-sluice.
// Runs the TypeScript source directly (Node 24 strips types), so it works from a checkout of this repository.
// The `node` on PATH is often the machine's own, older one (Debian's npm brings Node 18 or 20): then this file
// starts itself again with the project's Node 24 (the `node` devDependency, installed by `npm ci`), found beside
// the file's real path, so that a symlink on PATH works. Only node: built-ins are imported statically, because
// an old Node must get as far as that.
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 23 || (major === 23 && minor < 6)) {
  // Node resolves the main script's symlink itself unless told not to (--preserve-symlinks-main); realpath either way.
  const script = realpathSync(fileURLToPath(import.meta.url));
  const checkout = dirname(dirname(script));
  const projectNode = join(checkout, 'node_modules', 'node', 'bin', 'node');
  // The variable stops a loop should the project's Node itself be too old.
  if (!existsSync(projectNode) || process.env.SLUICE_PLUGIN_REEXEC === '1') {
    console.error(
      `kubectl-sluice needs Node.js 24 (found ${process.version}); run npm ci in ${checkout} to install it`,
    );
    process.exit(1);
  }
  const child = spawn(projectNode, [script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, SLUICE_PLUGIN_REEXEC: '1' },
  });
  // Ctrl-C reaches both processes; this one waits for the child (status --watch) to end, and ends the same way.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (err) => {
    console.error(`kubectl-sluice: cannot start ${projectNode}: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal !== null) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
  // The hook first, then the plugin's graph (see controller/src/kube/clientNodeHook.ts): without it, loading
  // client-node's KubeConfig loads every generated model too (0.7 s of each command's start-up, measured).
  const { importWithSlimClientNode } = await import('../controller/src/kube/clientNodeHook.ts');
  const { run, errorText } = await importWithSlimClientNode(() => import('../controller/src/plugin/cli.ts'));
  try {
    process.exitCode = await run(process.argv.slice(2), (s) => console.log(s));
  } catch (err) {
    console.error(errorText(err));
    process.exitCode = 1;
  }
}
