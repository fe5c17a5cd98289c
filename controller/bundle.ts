/**
 * Bundles the controller into dist/bundle/ (`npm run build`; the image runs dist/bundle/controller.js):
 * one minified module for the controller, one for the CEL worker, and chunks for what is loaded on demand.
 *
 * Why a bundle (issue 20, memory): Node keeps every loaded module's source text and its compiled code. Tsc's
 * output loads about 1,500 files (typebox alone is 373, fastify's schema stack about 250), with their comments and
 * whole libraries of which the controller uses a part. The bundle keeps only what is reached, minified: at idle
 * with no Rollouts, 20 instead of 32 MiB of V8 heap and about 11 MiB less RSS.
 *
 * client-node's config.js imports its `gen/index.js`, which loads every generated model (about 45 MiB); the
 * bundle resolves that import to kube/clientNodeGen.ts, the two names config.js uses, as main.ts's resolve hook
 * does for the unbundled source (kube/clientNodeHook.ts).
 *
 *   node controller/bundle.ts [--out-dir dist/bundle]
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';
import { parseSync } from 'rolldown/utils';

const here = dirname(fileURLToPath(import.meta.url));

export async function bundleController(outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  await build({
    input: {
      // celSandbox.ts starts the worker from ./celWorker.js beside the module it runs in, the bundle here.
      controller: join(here, 'src/runController.ts'),
      celWorker: join(here, 'src/analysis/celWorker.ts'),
    },
    platform: 'node',
    plugins: [
      {
        name: 'slim-client-node',
        resolveId(source, importer) {
          if (source === './gen/index.js' && importer?.replaceAll('\\', '/').endsWith('/client-node/dist/config.js'))
            return join(here, 'src/kube/clientNodeGen.ts');
          return null;
        },
      },
    ],
    output: {
      dir: outDir,
      format: 'esm',
      minify: true,
      // Class and function names as in the sources: pino logs an error's type from err.constructor.name, and a
      // stack trace names its frames by them. Minified, an API refusal was logged as {"type":"au"}, not
      // {"type":"ApiException"}. About 180 kB more source (7%).
      keepNames: true,
      entryFileNames: '[name].js',
      chunkFileNames: 'chunks/[name]-[hash].js',
      // V8 keeps a module's source as one-byte text only if every character is ASCII; one "…" in a library's
      // message would double the bundle's 2.4 MB in memory.
      charset: 'ascii',
      // For reading a logged stack trace back to the source (the image does not load them: that costs memory).
      sourcemap: true,
    },
  });
  // charset 'ascii' escapes code, not the license comments it keeps (one names "Jimmy Wärting").
  for (const entry of readdirSync(outDir, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.js')) continue;
    const file = join(outDir, entry);
    const text = readFileSync(file, 'utf8');
    const ascii = asciiOnly(text, entry);
    if (ascii !== text) writeFileSync(file, ascii);
  }
}

/**
 * `code` with the non-ASCII characters of its comments written as \uXXXX. Only comments: the code itself is
 * rolldown's to escape, and what it leaves is what it cannot escape without changing it, such as a template's raw
 * text (String.raw`é` is "é", String.raw`\u00e9` six characters). Such a character stays, and the bundle test that
 * finds it says where.
 */
export function asciiOnly(code: string, filename = 'bundle.js'): string {
  const { comments } = parseSync(filename, code, { sourceType: 'module' });
  let out = '';
  let at = 0;
  for (const { start, end } of comments) {
    out += code.slice(at, start) + escapeNonAscii(code.slice(start, end));
    at = end;
  }
  return out + code.slice(at);
}

const escapeNonAscii = (text: string): string =>
  text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out-dir');
  await bundleController(resolve(at > 0 ? process.argv[at + 1]! : join(here, '..', 'dist', 'bundle')));
}
