/**
 * Runs the real controller (`node controller/src/main.ts`, or another entry such as the image's compiled one) as a
 * separate process against the local control plane, scoped to one test namespace unless asked for all, with the
 * admin's kubeconfig or another one, and its logs in .sluice/test-logs/ for a post-mortem.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { repoRoot } from '../cluster/paths.ts';
import { exitCause } from '../support/exitCause.ts';
import { freePorts } from '../support/ports.ts';
import { GiveUp, waitFor } from '../support/wait.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, clusterInfo } from './support.ts';

export interface ControllerProcess {
  name: string;
  metricsUrl: string;
  /** The dashboard at its base path, e.g. http://127.0.0.1:40123/ (every controller gets a free port for it). */
  dashboardUrl: string;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** SIGKILL: no graceful shutdown, as when a node dies. */
  kill(): Promise<void>;
  /** Reads one series value from /metrics (sum over matching label sets). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

export interface ControllerOptions {
  /** The namespace whose Rollouts it handles (--namespace); also names the log file. */
  namespace: string;
  name?: string;
  /** Flags after the fixed ones; default --leader-elect=false. */
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Flags for the dashboard, such as --dashboard-actions=true or --dashboard-base-path=/sluice/. */
  dashboardArgs?: string[];
  /** A kubeconfig other than the admin's, such as one holding only a ServiceAccount's token. */
  kubeconfig?: string;
  /** Handle the Rollouts of every namespace: no --namespace (pair it with --instance-id in extraArgs). */
  allNamespaces?: boolean;
  /** The script to run instead of controller/src/main.ts, such as the image's dist/bundle/controller.js. */
  entry?: string;
  /** Options for node before the script, such as the image's heap settings. */
  nodeFlags?: string[];
}

/**
 * A port that freePorts found free and that someone else bound, or used as the local end of a connection, before
 * the controller listened: the harness's race, not the controller's fault, so the start is tried again on new ports.
 */
const portTaken = (cause: string): boolean => cause.includes('EADDRINUSE');

export async function startController(opts: ControllerOptions): Promise<ControllerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startControllerOnce(opts);
    } catch (err) {
      if (!(err instanceof ControllerExited) || !portTaken(err.exitCause) || attempt === 3) throw err;
    }
  }
}

/** Thrown at once (GiveUp): a process that exited will not become ready. */
class ControllerExited extends GiveUp {
  readonly exitCause: string;
  constructor(message: string, exitCause: string) {
    super(message);
    this.exitCause = exitCause;
  }
}

async function startControllerOnce(opts: ControllerOptions): Promise<ControllerProcess> {
  const name = opts.name ?? 'sluice';
  const [port, dashboardPort] = (await freePorts(2)) as [number, number];
  const basePath =
    opts.dashboardArgs
      ?.find((a) => a.startsWith('--dashboard-base-path='))
      ?.split('=')[1]
      ?.replace(/\/?$/, '/') ?? '/';
  const logDir = join(repoRoot, '.sluice', 'test-logs');
  mkdirSync(logDir, { recursive: true });
  const logPath = join(logDir, `${opts.namespace}-${name}.log`);
  // Only this start's lines are read for the cause: the file gathers every start in the namespace.
  const logStart = await stat(logPath).then(
    (st) => st.size,
    () => 0,
  );
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = spawn(
    process.execPath,
    [
      ...(opts.nodeFlags ?? []),
      opts.entry ?? join(repoRoot, 'controller/src/main.ts'),
      '--kubeconfig',
      opts.kubeconfig ?? clusterInfo().kubeconfig,
      ...(opts.allNamespaces === true ? [] : ['--namespace', opts.namespace]),
      '--metrics-port',
      String(port),
      '--metrics-address',
      '127.0.0.1',
      '--dashboard-port',
      String(dashboardPort),
      ...(opts.dashboardArgs ?? []),
      '--pod-name',
      name,
      '--log-level',
      'debug',
      ...(opts.extraArgs ?? ['--leader-elect=false']),
    ],
    {
      // The stories' AnalysisTemplates are namespaced and query Prometheus on loopback, which an admin allows so.
      env: { ...process.env, SLUICE_ANALYSIS_ALLOWED_HOSTS: '127.0.0.1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // Not ended by the first of the two pipes to end (the other may still carry lines): once both are closed.
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  void closed.then(() => log.end());
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const metricsUrl = `http://127.0.0.1:${port}`;
  const proc: ControllerProcess = {
    name,
    metricsUrl,
    dashboardUrl: `http://127.0.0.1:${dashboardPort}${basePath}`,
    child,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async metric(metricName, labels = {}) {
      const text = await (await fetch(`${metricsUrl}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) {
        const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
        if (m === null || m[1] !== metricName) continue;
        const got: Record<string, string> = {};
        for (const x of (m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)) got[x[1]!] = x[2]!;
        if (Object.entries(labels).every(([k, v]) => got[k] === v)) sum += Number(m[4]);
      }
      return sum;
    },
  };
  try {
    await waitFor(
      async () => {
        // Ended by a signal (the OOM killer, V8's abort on a full heap) sets signalCode, not exitCode.
        if (child.exitCode !== null || child.signalCode !== null) {
          // 'exit' can come before its last words are read from the pipes: wait until they are closed ('close'), for
          // a while (a process it left behind may hold them open), then stop reading and flush the file.
          await Promise.race([closed, sleep(5_000, undefined, { ref: false })]);
          child.stdout.unpipe(log);
          child.stderr.unpipe(log);
          child.stdout.destroy();
          child.stderr.destroy();
          await new Promise((r) => log.end(r));
          // logStart counts bytes: cut the bytes, then decode (a string's slice counts UTF-16 units, and skips this
          // start's lines once the file holds multi-byte characters).
          const cause = exitCause(readFileSync(logPath).subarray(logStart).toString('utf8'));
          throw new ControllerExited(
            `controller exited with ${child.exitCode ?? `signal ${child.signalCode}`} (${cause}); see .sluice/test-logs/${opts.namespace}-${name}.log`,
            cause,
          );
        }
        return (await fetch(`${metricsUrl}/readyz`)).ok;
      },
      { timeoutMs: 30_000, what: `controller ${name} /readyz` },
    );
  } catch (err) {
    await proc.kill();
    throw err;
  }
  return proc;
}

/** For stories whose tests each run their own controller: the start function, and the stop after each test. */
export function useControllerPerTest(): (opts: ControllerOptions) => Promise<ControllerProcess> {
  let running: ControllerProcess | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });
  return async (opts) => {
    running = await startController(opts);
    return running;
  };
}

/** For stories whose tests share one controller: the Sluice CRDs and a controller watching `ns` before them, stopped after. */
export function useController(ns: { readonly name: string }): void {
  let controller: ControllerProcess | undefined;
  beforeAll(async () => {
    await installSluiceCrds(adminKubeConfig());
    controller = await startController({ namespace: ns.name });
  });
  afterAll(async () => controller?.stop());
}
