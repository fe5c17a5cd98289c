import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findAssetsDir, loadAssets, type Asset } from './assets.ts';

describe('the built page (dashboard/dist, built by the test setup when stale)', () => {
  const dir = findAssetsDir();
  const assets = loadAssets(dir);

  it('is found next to the code, with an index and its hashed assets', () => {
    expect(dir).toMatch(/dashboard[/\\]dist$/);
    expect(assets?.get('index.html')?.contentType).toBe('text/html; charset=utf-8');
    const referenced = [
      ...(assets?.get('index.html')?.body.toString() ?? '').matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g),
    ].map((m) => m[1]!);
    expect(referenced.length).toBeGreaterThanOrEqual(2);
    for (const path of referenced) expect(assets?.get(path)?.immutable, path).toBe(true);
  });

  it('loads nothing from another origin (the cluster may have no internet) and has no inline script (CSP)', () => {
    const index = assets?.get('index.html')?.body.toString() ?? '';
    expect(index).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    expect(index).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
  });

  it('stays small: under 100 KB of script and 20 KB of styles before compression', () => {
    const size = (ext: string) =>
      [...(assets ?? new Map<string, Asset>()).entries()]
        .filter(([p]) => p.endsWith(ext))
        .reduce((n, [, a]) => n + a.body.length, 0);
    expect(size('.js')).toBeGreaterThan(10_000);
    expect(size('.js')).toBeLessThan(100_000);
    expect(size('.css')).toBeLessThan(20_000);
  });
});

describe('loadAssets', () => {
  it('says "not built" for a folder without index.html, and ignores files it has no type for', () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-assets-'));
    expect(loadAssets(root)).toBeUndefined();
    expect(loadAssets(undefined)).toBeUndefined();
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html>');
    writeFileSync(join(root, 'assets', 'a.js'), '1');
    writeFileSync(join(root, 'assets', 'notes.txt'), 'x');
    expect([...(loadAssets(root)?.keys() ?? [])].sort()).toEqual(['assets/a.js', 'index.html']);
  });
});
