#!/usr/bin/env node
// kubectl plugin entry point: `kubectl sluice ...` finds this file on PATH as kubectl-sluice.
// Runs the TypeScript source directly (Node 24 strips types), so it works from a checkout of this repository.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 23 || (major === 23 && minor < 6)) {
  console.error(`kubectl-sluice needs Node.js 24 (found ${process.version}); run it through npm exec -- kubectl-sluice, which uses the project's Node`);
  process.exit(1);
}
const { run, errorText } = await import('../controller/src/plugin/cli.ts');
try {
  process.exitCode = await run(process.argv.slice(2), (s) => console.log(s));
} catch (err) {
  console.error(errorText(err));
  process.exitCode = 1;
}
