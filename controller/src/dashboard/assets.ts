/**
 * The page's built files (dashboard/dist, from `npm run build:dashboard`), read once into memory: the bundle is
 * small, and serving from memory needs no static-file plugin and cannot be tricked into reading outside the folder.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  body: Buffer;
  contentType: string;
  /** Hashed file names (assets/*) never change, so browsers may keep them for a year. */
  immutable: boolean;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** Reads every file under `dir` by its URL path ("index.html", "assets/index-3f2a.js"); undefined when not built. */
export function loadAssets(dir: string | undefined): Map<string, Asset> | undefined {
  if (dir === undefined || !existsSync(join(dir, 'index.html'))) return undefined;
  const assets = new Map<string, Asset>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder)) {
      const path = join(folder, entry);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const urlPath = relative(dir, path).split(sep).join('/');
        const contentType = contentTypes[extname(entry)];
        if (contentType !== undefined)
          assets.set(urlPath, { body: readFileSync(path), contentType, immutable: urlPath.startsWith('assets/') });
      }
    }
  };
  walk(dir);
  return assets;
}

/** dashboard/dist of the checkout or image this runs from: the nearest one above this file that has an index.html. */
export function findAssetsDir(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'dashboard', 'dist');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}
