import { mkdtempSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keptMetadata, objectId, type Converter } from '../convert/conversion.ts';
import { convertCommand, convertExit } from './convertCommand.ts';

/** Widget -> ConfigMap; a Widget with spec.size loses it (reported). */
const widgets: Converter = (input) =>
  input.kind !== 'Widget'
    ? undefined
    : {
        objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: keptMetadata(input), data: { from: 'widget' } }],
        dropped:
          (input.spec as { size?: number } | undefined)?.size === undefined
            ? []
            : [{ object: objectId(input), path: 'spec.size', reason: 'no size here' }],
      };

const widget = (name: string, size?: number) =>
  `apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: ${name}}\n${size === undefined ? '' : `spec: {size: ${size}}\n`}`;

function run(files: string[], options: { outputDir?: string; strict?: boolean; stdin?: string } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const done = convertCommand(
    { files, outputDir: options.outputDir, strict: options.strict ?? false },
    { out: (s) => out.push(s), err: (s) => err.push(s), stdin: () => Promise.resolve(options.stdin ?? '') },
    [widgets],
  );
  return done.then((code) => ({ code, out: out.join('\n'), err }));
}

describe('kubectl sluice convert', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-convert-'));
  mkdirSync(join(dir, 'in', 'nested'), { recursive: true });
  writeFileSync(join(dir, 'in', 'a.yaml'), widget('a'));
  writeFileSync(
    join(dir, 'in', 'nested', 'b.yml'),
    `${widget('b', 3)}---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n`,
  );
  writeFileSync(join(dir, 'in', 'notes.txt'), 'not a manifest');

  it('reads a directory tree, writes YAML on stdout, lists dropped and skipped on stderr, and exits 3', async () => {
    const { code, out, err } = await run([join(dir, 'in')]);
    expect(code).toBe(convertExit.dropped);
    expect(out).toContain('name: a');
    expect(out).toContain('name: b');
    expect(err).toEqual([
      `skipped ${join(dir, 'in', 'nested', 'b.yml')}: v1 Service/web: not an Argo Rollouts or Flagger object; apply it as it is`,
      'dropped Widget/b spec.size: no size here',
    ]);
  });

  it('exits 0 when nothing is dropped, and reads standard input for -', async () => {
    const { code, out } = await run(['-'], { stdin: widget('from-stdin') });
    expect(code).toBe(convertExit.ok);
    expect(out).toContain('name: from-stdin');
  });

  it('--strict writes nothing when anything is dropped', async () => {
    const target = join(dir, 'strict-out');
    const { code, out, err } = await run([join(dir, 'in')], { strict: true, outputDir: target });
    expect(code).toBe(convertExit.dropped);
    expect(out).toBe('');
    expect(err.at(-1)).toBe('--strict: 1 field(s) could not be converted (above); nothing was written');
    expect(() => readdirSync(target)).toThrow();
  });

  it('-o writes one file per object', async () => {
    const target = join(dir, 'out');
    const { code } = await run([join(dir, 'in', 'a.yaml')], { outputDir: target });
    expect(code).toBe(convertExit.ok);
    expect(readdirSync(target)).toEqual(['configmap.a.yaml']);
    expect(readFileSync(join(target, 'configmap.a.yaml'), 'utf8')).toContain('from: widget');
  });

  it('fails with 1 and a message on a missing file, bad YAML, or no -f', async () => {
    expect((await run([join(dir, 'missing.yaml')])).code).toBe(convertExit.failed);
    writeFileSync(join(dir, 'bad.yaml'), 'kind: [');
    const bad = await run([join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(convertExit.failed);
    expect(bad.err[0]).toMatch(/^error: .*bad\.yaml: document 1: /);
    expect((await run([])).err).toEqual(['error: convert needs -f <file|directory|-> (one or more)']);
  });

  it('reads a manifest a directory holds through a symlink, and names a symlinked directory it does not follow', async () => {
    const linked = join(dir, 'linked');
    mkdirSync(linked);
    symlinkSync(join(dir, 'in', 'a.yaml'), join(linked, 'a.yaml'));
    symlinkSync('..', join(linked, 'loop.yaml')); // a loop, with a manifest's name
    const { code, out, err } = await run([linked]);
    expect(code).toBe(convertExit.ok);
    expect(out).toContain('name: a');
    expect(err).toEqual([
      `skipped ${join(linked, 'loop.yaml')}: a symlink to a directory is not followed; pass it with -f`,
    ]);
  });

  it('stops reading a file at the size bound and fails naming it, even one that never ends', async () => {
    const { code, err } = await run(['/dev/zero']);
    expect(code).toBe(convertExit.failed);
    expect(err).toEqual(['error: /dev/zero: larger than 10485760 bytes; split it']);
  });

  it('-o says which files it replaced', async () => {
    const target = join(dir, 'again');
    await run([join(dir, 'in', 'a.yaml')], { outputDir: target });
    const { code, err } = await run([join(dir, 'in', 'a.yaml')], { outputDir: target });
    expect(code).toBe(convertExit.ok);
    expect(err).toEqual([`replaced ${join(target, 'configmap.a.yaml')}`, `wrote 1 object(s) to ${target}`]);
  });
});
