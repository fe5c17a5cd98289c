/**
 * What the Dockerfile's final stage holds, assembled without a container engine (none runs on these machines):
 * each stage gets a scratch root, its COPY lines are carried out (honouring .dockerignore) and its RUN lines are
 * run, so the files and commands are the Dockerfile's own, not a second list kept by hand. Two stand-ins, said
 * where they happen: the build stage's full `npm ci` is the repo's node_modules linked in (same lockfile), and
 * `npm cache clean` is skipped (here it would empty the machine's npm cache; in the image it only shrinks a layer).
 * The base image's own files are not there (a scratch root is empty): an `rm -rf` of them is carried out inside the
 * stage's root, never on this machine.
 * A RUN line this file does not know fails the build, so a Dockerfile change cannot slip past the tests.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, isAbsolute, join, matchesGlob, relative } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../cluster/paths.ts';
import { dockerInstructions, splitNodeCommand } from '../support/imageCommand.ts';

interface Stage {
  name: string;
  root: string;
  workdir: string;
}

export interface ImagePayload {
  /** The final stage's file system. */
  root: string;
  /** The final stage's working directory, inside root. */
  workdir: string;
  /** CMD, as JSON in the Dockerfile. */
  cmd: string[];
  /** The script CMD runs, as a path on this machine. */
  entry: string;
  /** The options CMD gives node before the script (V8's heap settings). */
  nodeFlags: string[];
}

const run = promisify(execFile);

function ignored(path: string, patterns: string[]): boolean {
  return patterns.some(
    (p) => path === p || path.startsWith(`${p}/`) || matchesGlob(path, p) || matchesGlob(path, `**/${p}`),
  );
}

export async function buildImagePayload(scratch: string): Promise<ImagePayload> {
  const ignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const stages = new Map<string, Stage>();
  let stage: Stage | undefined;
  let cmd: string[] | undefined;
  const inStage = (s: Stage, path: string) => join(s.root, isAbsolute(path) ? path : join(s.workdir, path));

  for (const { op, args } of dockerInstructions(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'))) {
    if (op === 'FROM') {
      const name = /\bAS\s+(\S+)$/i.exec(args)?.[1] ?? 'final';
      stage = { name, root: join(scratch, name), workdir: '/' };
      mkdirSync(stage.root, { recursive: true });
      stages.set(name, stage);
      continue;
    }
    if (stage === undefined) throw new Error(`Dockerfile: ${op} before FROM`);
    const current = stage;
    switch (op) {
      case 'WORKDIR':
        current.workdir = isAbsolute(args) ? args : join(current.workdir, args);
        mkdirSync(inStage(current, '.'), { recursive: true });
        break;
      case 'COPY': {
        const words = args.split(/\s+/);
        const from = words[0]?.startsWith('--from=') ? stages.get(words.shift()!.slice('--from='.length)) : undefined;
        const dest = words.pop()!;
        for (const src of words) {
          const source = from === undefined ? join(repoRoot, src) : inStage(from, src);
          const target = dest.endsWith('/')
            ? join(inStage(current, dest), src.split('/').pop()!)
            : inStage(current, dest);
          if (!existsSync(source)) throw new Error(`Dockerfile: COPY ${src}: not found`);
          mkdirSync(dirname(target), { recursive: true });
          cpSync(source, target, {
            recursive: true,
            filter: (p) => from !== undefined || !ignored(relative(repoRoot, p), ignore),
          });
        }
        break;
      }
      case 'RUN':
        for (const command of args.split('&&').map((c) => c.trim()))
          await runStep(current, command, inStage(current, '.'));
        break;
      case 'CMD':
        cmd = JSON.parse(args) as string[];
        break;
      case 'ENV':
      case 'USER':
      case 'EXPOSE':
        break; // no effect on the files; manifestsRender.test.ts checks USER against the Deployment
      default:
        throw new Error(`Dockerfile: ${op} is not handled by test/integration/imagePayload.ts`);
    }
  }
  const final = stage;
  if (final === undefined || cmd === undefined) throw new Error('Dockerfile: no stage or no CMD');
  const workdir = join(final.root, final.workdir);
  const { nodeFlags, script } = splitNodeCommand(cmd);
  return { root: final.root, workdir, cmd, entry: join(workdir, script), nodeFlags };
}

async function runStep(stage: Stage, command: string, cwd: string): Promise<void> {
  const words = command.split(/\s+/);
  // Node 24 first on PATH, as in the node:24 base image (this machine's own node may be older).
  const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
  if (words[0] === 'npm' && words[1] === 'ci' && !words.includes('--omit=dev')) {
    symlinkSync(join(repoRoot, 'node_modules'), join(cwd, 'node_modules')); // stand-in: same lockfile, installed already
  } else if (words[0] === 'npm' && words[1] === 'ci') {
    await run('npm', [...words.slice(1), '--prefer-offline', '--loglevel=error'], {
      cwd,
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
  } else if (words[0] === 'npm' && words[1] === 'run') {
    await run('npm', words.slice(1), { cwd, env, maxBuffer: 16 * 1024 * 1024 });
  } else if (words[0] === 'npm' && words[1] === 'cache') {
    // stand-in: skipped, see the file comment
  } else if (words[0] === 'rm' && words[1] === '-rf') {
    for (const path of words.slice(2)) removeInStage(stage, path);
  } else {
    throw new Error(
      `Dockerfile stage ${stage.name}: RUN ${command} is not handled by test/integration/imagePayload.ts`,
    );
  }
}

/** `rm -rf path` inside the stage: absolute paths only, a `*` only in the last part, as the shell would expand it. */
function removeInStage(stage: Stage, path: string): void {
  if (!isAbsolute(path) || path.split('/').includes('..') || path.slice(0, path.lastIndexOf('/')).includes('*')) {
    throw new Error(
      `Dockerfile stage ${stage.name}: rm -rf ${path} is not handled by test/integration/imagePayload.ts`,
    );
  }
  const parent = join(stage.root, dirname(path));
  const last = path.slice(path.lastIndexOf('/') + 1);
  const names = !last.includes('*')
    ? [last]
    : existsSync(parent)
      ? readdirSync(parent).filter((n) => matchesGlob(n, last))
      : [];
  for (const name of names) rmSync(join(parent, name), { recursive: true, force: true });
}
