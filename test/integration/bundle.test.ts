/**
 * The bundle the image runs (controller/bundle.ts): given the sources, when they are bundled, then the controller
 * starts from it, its CEL worker sits beside it, and it holds no client-node generated model and no text that
 * would make V8 keep it as two-byte characters. (manifestsClusterInstall.test.ts runs a rollout on it.)
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleController } from '../../controller/bundle.ts';

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'sluice-bundle-'));
const jsFiles = () =>
  readdirSync(out, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.js'))
    .map((f) => join(out, f));

describe('the controller bundle', () => {
  beforeAll(() => bundleController(out), 60_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('starts: --help prints the flags and exits 0', async () => {
    const { stdout } = await run(process.execPath, [join(out, 'controller.js'), '--help']);
    expect(stdout).toContain('Usage: sluice-controller [flags]');
    expect(stdout).toContain('--kube-api-qps');
  });

  it('has the CEL worker beside it, where celSandbox.ts starts it from', () => {
    expect(existsSync(join(out, 'celWorker.js'))).toBe(true);
  });

  it("holds none of client-node's generated models or typed APIs", () => {
    const text = jsFiles()
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    // Names only the generated code has: the model serializer's type map and a typed API's request factory.
    expect(text).not.toContain('CoreV1ApiRequestFactory');
    expect(text).not.toMatch(/"V1PodTemplateSpec"\s*:/);
    // ...while the kubeconfig loader is there (the test would pass on an empty bundle otherwise).
    expect(text).toContain('loadFromDefault');
  });

  it('is ASCII only, so V8 keeps its source as one byte per character', () => {
    for (const file of jsFiles()) {
      const text = readFileSync(file, 'utf8');
      const at = text.search(/[\u0080-\uffff]/);
      expect(at < 0 ? '' : `${file}: ${text.slice(Math.max(0, at - 40), at + 10)}`).toBe('');
    }
  });
});
