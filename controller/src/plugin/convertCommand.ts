/**
 * `kubectl sluice convert -f <file|dir|-> [-f ...] [-o dir] [--strict]`: reads Argo Rollouts and Flagger objects,
 * writes Sluice objects (YAML on stdout, or one file per object in the -o directory), and every field it could not
 * carry over on stderr. Exit status: 0 everything converted, 3 something was dropped (listed), 1 nothing could be
 * done (a file unreadable, a document not YAML). --strict turns "dropped" into a failure that writes nothing.
 */
import { access, mkdir, open, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Converter } from '../convert/conversion.ts';
import {
  convertLimits,
  convertSources,
  droppedLines,
  fileNameOf,
  toYaml,
  type ConvertSource,
} from '../convert/convert.ts';

export const convertExit = { ok: 0, failed: 1, dropped: 3 } as const;

export interface ConvertOptions {
  files: readonly string[];
  outputDir: string | undefined;
  strict: boolean;
}

export interface ConvertIo {
  out: (s: string) => void;
  err: (s: string) => void;
  stdin: () => Promise<string>;
}

const manifestFile = /\.(ya?ml|json)$/i;

/**
 * The files of a directory tree that hold manifests, in a stable order. A symlink to a file is read (manifests kept
 * in Git are often linked from a shared directory); a symlink to a directory is not followed (it may loop, or lead
 * to /proc) and is named in `skipped`.
 */
async function manifestsIn(dir: string, skipped: string[]): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: string[] = [];
  for (const e of entries.filter((e) => manifestFile.test(e.name))) {
    const path = join(e.parentPath, e.name);
    if (e.isFile()) files.push(path);
    else if (e.isSymbolicLink()) {
      const target = await stat(path).catch(() => undefined);
      if (target?.isFile()) files.push(path);
      else
        skipped.push(
          `${path}: a symlink to ${target?.isDirectory() ? 'a directory' : 'no file'} is not followed; pass it with -f`,
        );
    } else if (!e.isDirectory()) skipped.push(`${path}: not a file`);
  }
  return files.sort();
}

/**
 * A file's text, read up to one byte past the per-source bound (the conversion then refuses it, naming the bound):
 * a huge file, or one that never ends such as /dev/zero, is not read whole into memory.
 */
async function readBoundedFile(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    while (size <= convertLimits.bytesPerSource) {
      const { bytesRead, buffer } = await handle.read({ buffer: Buffer.alloc(64 * 1024) });
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    await handle.close();
  }
}

async function readSources(files: readonly string[], io: ConvertIo, skipped: string[]): Promise<ConvertSource[]> {
  const sources: ConvertSource[] = [];
  for (const file of files) {
    if (file === '-') {
      sources.push({ name: '<stdin>', text: await io.stdin() });
      continue;
    }
    const paths = (await stat(file)).isDirectory() ? await manifestsIn(file, skipped) : [file];
    for (const path of paths) sources.push({ name: path, text: await readBoundedFile(path) });
  }
  return sources;
}

export async function convertCommand(
  options: ConvertOptions,
  io: ConvertIo,
  converters: readonly Converter[],
): Promise<number> {
  if (options.files.length === 0) {
    io.err('error: convert needs -f <file|directory|-> (one or more)');
    return convertExit.failed;
  }
  let sources: ConvertSource[];
  const unread: string[] = [];
  try {
    sources = await readSources(options.files, io, unread);
  } catch (err) {
    io.err(`error: ${(err as Error).message}`);
    return convertExit.failed;
  }
  const result = convertSources(sources, converters);
  for (const e of result.errors) io.err(`error: ${e}`);
  if (result.errors.length > 0) return convertExit.failed;
  for (const s of unread) io.err(`skipped ${s}`);
  for (const s of result.skipped) io.err(`skipped ${s}: not an Argo Rollouts or Flagger object; apply it as it is`);
  for (const line of droppedLines(result.dropped)) io.err(line);
  if (options.strict && result.dropped.length > 0) {
    io.err(`--strict: ${result.dropped.length} field(s) could not be converted (above); nothing was written`);
    return convertExit.dropped;
  }
  if (options.outputDir === undefined) {
    if (result.objects.length > 0) io.out(toYaml(result.objects));
  } else {
    const names = result.objects.map(fileNameOf);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) {
      io.err(`error: two converted objects would both be written to ${twice}; convert them separately`);
      return convertExit.failed;
    }
    await mkdir(options.outputDir, { recursive: true });
    for (const object of result.objects) {
      const path = join(options.outputDir, fileNameOf(object));
      // A file left from an earlier run (perhaps edited by hand since) is replaced, and the user is told.
      if (
        await access(path).then(
          () => true,
          () => false,
        )
      )
        io.err(`replaced ${path}`);
      await writeFile(path, toYaml([object]));
    }
    io.err(`wrote ${result.objects.length} object(s) to ${options.outputDir}`);
  }
  return result.dropped.length > 0 ? convertExit.dropped : convertExit.ok;
}
