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

/** `[node, ...options, script]` split into node's options and the script. */
export function splitNodeCommand(cmd: readonly string[]): { nodeFlags: string[]; script: string } {
  if (cmd[0] !== 'node') throw new Error(`the image's CMD starts with ${String(cmd[0])}, not node`);
  const at = cmd.findIndex((word, i) => i > 0 && !word.startsWith('-'));
  if (at < 0) throw new Error(`the image's CMD ${JSON.stringify(cmd)} names no script`);
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
