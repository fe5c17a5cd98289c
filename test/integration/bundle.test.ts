/**
 * The bundle the image runs (controller/bundle.ts): given the sources, when they are bundled, then the controller
 * starts from it, its CEL worker sits beside it, and it holds no client-node generated model and no text that
 * would make V8 keep it as two-byte characters. (manifestsClusterInstall.test.ts runs a rollout on it.)
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleController } from '../../controller/bundle.ts';
import { freePorts } from '../support/ports.ts';

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

  // review: the minifier renamed every class, and pino's error serializer logs `err.type` from
  // err.constructor.name: run from the bundle, an API refusal was logged as {"type":"au"} where the sources log
  // {"type":"ApiException"} (and stack frames read "tj.createDispatcherOptions" for
  // "InstrumentedKubeConfig.createDispatcherOptions"). Log queries and alerts on err.type, and on-call reading a
  // line, lose the one word that says what failed, and only in the image, never in the tests that run the sources.
  it('logs an error under its class name, as the sources do', async () => {
    const api = createServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403 }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const kubeconfig = join(out, 'kubeconfig.yaml');
    const server = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
        users: [{ name: 'u', user: { token: 'x' } }],
        'current-context': 'c',
      }),
    );
    const [metricsPort, dashboardPort] = await freePorts(2);
    const child = spawn(
      process.execPath,
      [join(out, 'controller.js'), `--metrics-port=${metricsPort}`, `--dashboard-port=${dashboardPort}`],
      { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const refused = await new Promise<{ err: { type: string } }>((resolve, reject) => {
        let text = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
          for (const line of text.split('\n').slice(0, -1)) {
            const entry = JSON.parse(line) as { err?: { type: string; message?: string } };
            if (entry.err?.message?.startsWith('HTTP-Code: 403') === true) resolve(entry as { err: { type: string } });
          }
        });
        child.on('exit', (code) => reject(new Error(`the controller exited (${code}) before logging a refusal`)));
      });
      expect(refused.err.type).toBe('ApiException');
    } finally {
      child.kill();
      api.close();
    }
  }, 30_000);
});
