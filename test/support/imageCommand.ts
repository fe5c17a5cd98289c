/**
 * The image's command, read from the Dockerfile's text: the tests that run the compiled controller and the benchmark
 * start it with the same node options as the image, so what they measure is what a cluster runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../cluster/paths.ts';

/** Instructions of the Dockerfile, one per line (continuation lines joined), comments dropped. */
export function dockerInstructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/**
 * node's options that take their value as the next word when written without "=" (`--require ./tracing.js`): that
 * word is the option's, not the script. (V8's options, like --max-semi-space-size, take theirs only after "=".)
 */
const optionsWithValue = new Set([
  '-r',
  '--require',
  '--import',
  '--loader',
  '--experimental-loader',
  '-C',
  '--conditions',
  '--env-file',
  '--env-file-if-exists',
  '--title',
  '--disable-warning',
  '--redirect-warnings',
  '--unhandled-rejections',
  '--dns-result-order',
]);

/** `[node, ...options, script]` split into node's options and the script. */
export function splitNodeCommand(cmd: readonly string[]): { nodeFlags: string[]; script: string } {
  if (cmd[0] !== 'node') throw new Error(`the image's CMD starts with ${String(cmd[0])}, not node`);
  let at = 1;
  while (at < cmd.length && cmd[at]!.startsWith('-')) at += optionsWithValue.has(cmd[at]!) ? 2 : 1;
  if (at >= cmd.length) throw new Error(`the image's CMD ${JSON.stringify(cmd)} names no script`);
  return { nodeFlags: cmd.slice(1, at), script: cmd[at]! };
}

/** The final CMD of the repository's Dockerfile, as JSON words. */
export function imageCmd(dockerfile = join(repoRoot, 'Dockerfile')): string[] {
  const cmd = dockerInstructions(readFileSync(dockerfile, 'utf8')).findLast((i) => i.op === 'CMD');
  if (cmd === undefined) throw new Error(`${dockerfile} has no CMD`);
  return JSON.parse(cmd.args) as string[];
}

/** The node options the image runs the controller with. */
export const imageNodeFlags = (): string[] => splitNodeCommand(imageCmd()).nodeFlags;
