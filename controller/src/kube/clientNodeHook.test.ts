/**
 * The controller's entry loads @kubernetes/client-node's KubeConfig without its generated models (44 MiB of RSS on
 * Node 24): the process is started as a user starts it, with a load hook that records every module it loads. A
 * negative control loads KubeConfig without Sluice's hook, so a recorder that saw nothing cannot pass the test.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { genUrl, importWithSlimClientNode, isGeneratedIndexOfConfig } from './clientNodeHook.ts';

const node = process.execPath;
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sluice-client-node-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const recorder = join(dir, 'recorder.mjs');
writeFileSync(
  recorder,
  `import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
registerHooks({ load(url, context, next) { appendFileSync(process.env.LOADED, url + '\\n'); return next(url, context); } });
`,
);

/** The URLs of the modules a node process loads, run with `args` from the repository's root. */
function loadedBy(name: string, args: string[]): { urls: string[]; status: number | null; stderr: string } {
  const out = join(dir, `${name}.txt`);
  writeFileSync(out, '');
  const run = spawnSync(node, ['--import', recorder, ...args], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, LOADED: out },
  });
  return { urls: readFileSync(out, 'utf8').split('\n').filter(Boolean), status: run.status, stderr: run.stderr };
}

const generatedModels = (urls: string[]) =>
  urls.filter((u) => u.includes('/client-node/dist/gen/models/') || u.endsWith('/ObjectSerializer.js'));

describe("the controller process and client-node's generated models", () => {
  it('the entry (main.ts, as `npm start` runs it) loads KubeConfig and no generated model', () => {
    // --help prints and exits after the whole module graph is linked and evaluated, with no cluster.
    const { urls, status, stderr } = loadedBy('main', ['controller/src/main.ts', '--help']);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(urls.some((u) => u.endsWith('/@kubernetes/client-node/dist/config.js'))).toBe(true);
    expect(urls.some((u) => u.endsWith('/kube/clientNodeGen.ts'))).toBe(true);
    expect(urls.some((u) => u.endsWith('/@kubernetes/client-node/dist/gen/index.js'))).toBe(false);
    expect(generatedModels(urls)).toEqual([]);
  });

  it('the plugin (bin/kubectl-sluice.js) loads none either', () => {
    const { urls, status, stderr } = loadedBy('plugin', ['bin/kubectl-sluice.js', 'help']);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(urls.some((u) => u.endsWith('/@kubernetes/client-node/dist/config.js'))).toBe(true);
    expect(generatedModels(urls)).toEqual([]);
  });

  it('negative control: KubeConfig imported without the hook loads them all', () => {
    const { urls, status } = loadedBy('bare', [
      '--input-type=module',
      '-e',
      "await import('@kubernetes/client-node/dist/config.js')",
    ]);
    expect(status).toBe(0);
    expect(generatedModels(urls).length).toBeGreaterThan(100);
  });

  it("clientNodeGen.ts exports every name config.js imports from './gen/index.js' (a client-node upgrade may add one)", async () => {
    // The very module the hook sends the import to.
    const generatedIndexOfConfig = (await import(/* @vite-ignore */ genUrl)) as Record<string, unknown>;
    const require = createRequire(import.meta.url);
    const configJs = require.resolve('@kubernetes/client-node/dist/config.js');
    const source = readFileSync(configJs, 'utf8');
    const imports = [...source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'\.\/gen\/index\.js'/g)];
    expect(imports).toHaveLength(1);
    const names = imports[0]![1]!
      .split(',')
      .map((n) => n.trim().split(/\s+as\s+/)[0]!)
      .filter((n) => n !== '' && !n.startsWith('type '));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(Object.keys(generatedIndexOfConfig), name).toContain(name);
    // And no other import of the generated index (a namespace or default import would not be redirected safely).
    expect(source.match(/from\s*'\.\/gen\/index\.js'/g)).toHaveLength(1);
  });

  it('redirects only config.js of client-node, only its import of the generated index', () => {
    const config = 'file:///app/node_modules/@kubernetes/client-node/dist/config.js';
    expect(isGeneratedIndexOfConfig('./gen/index.js', config)).toBe(true);
    expect(isGeneratedIndexOfConfig('./gen/index.js', config.replace('config.js', 'index.js'))).toBe(false);
    expect(isGeneratedIndexOfConfig('./gen/servers.js', config)).toBe(false);
    expect(isGeneratedIndexOfConfig('./gen/index.js', 'file:///app/src/config.js')).toBe(false);
    expect(isGeneratedIndexOfConfig('./gen/index.js', undefined)).toBe(false);
  });

  it('a link error about a name the redirected index lacks fails the start with what to do', async () => {
    // Node's own words when config.js imports a name clientNodeGen.ts does not export.
    const linkError = new SyntaxError(
      "The requested module './gen/index.js' does not provide an export named 'ServerConfiguration'",
    );
    await expect(importWithSlimClientNode(() => Promise.reject(linkError))).rejects.toThrow(
      /config\.js imports something controller\/src\/kube\/clientNodeGen\.ts does not export .*'ServerConfiguration'/,
    );
    const other = new Error('ECONNREFUSED');
    await expect(importWithSlimClientNode(() => Promise.reject(other))).rejects.toBe(other);
  });
});
