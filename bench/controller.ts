/**
 * The controller under test, as its own process (so its RSS is its own): `node controller/src/main.ts` with the
 * flags the benchmark states, its /metrics read as snapshots, and what /proc says about it and about the
 * control plane's processes (CPU seconds), to tell which one a number was waiting on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts } from '../test/support/ports.ts';
import { parseExposition, sumOf, type Sample } from './stats.ts';

export interface ControllerFlags {
  qps: number;
  burst: number;
  concurrency: number;
  /** Options for the controller's node, such as --max-old-space-size=128 (a container's memory limit). */
  nodeOptions: string[];
}

export interface RunningController {
  pid: number;
  metricsUrl: string;
  logFile: string;
  /** performance.now() when the process was spawned, and when /readyz first answered 200 (caches synced). */
  spawnedAt: number;
  readyAt: number;
  scrape(): Promise<Snapshot>;
  /** Forces a full garbage collection in the controller (through its inspector), so the next scrape shows live memory. */
  collectGarbage(): Promise<void>;
  stop(): Promise<void>;
}

/** What the controller reported at one moment, with the time it was read. */
export interface Snapshot {
  at: number;
  samples: Sample[];
  rssBytes: number;
  heapUsedBytes: number;
  cpuSeconds: number;
}

export async function startController(opts: {
  entry: string;
  kubeconfig: string;
  namespace: string;
  flags: ControllerFlags;
  logDir: string;
  label: string;
}): Promise<RunningController> {
  const [metricsPort, dashboardPort, inspectPort] = (await freePorts(3)) as [number, number, number];
  mkdirSync(opts.logDir, { recursive: true });
  const logFile = join(opts.logDir, `controller-${opts.label}.log`);
  const log = createWriteStream(logFile);
  const spawnedAt = performance.now();
  // The inspector, on loopback, lets the benchmark force a full GC before it reads the heap (see collectGarbage).
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...opts.flags.nodeOptions,
      `--inspect=127.0.0.1:${inspectPort}`,
      opts.entry,
      '--kubeconfig',
      opts.kubeconfig,
      '--namespace',
      opts.namespace,
      '--leader-elect=false',
      '--metrics-port',
      String(metricsPort),
      '--metrics-address',
      '127.0.0.1',
      '--dashboard-port',
      String(dashboardPort),
      '--kube-api-qps',
      String(opts.flags.qps),
      '--kube-api-burst',
      String(opts.flags.burst),
      '--concurrency',
      String(opts.flags.concurrency),
      '--log-level',
      'info',
      '--pod-name',
      `sluice-bench-${opts.label}`,
    ],
    {
      // The benchmark's Prometheus is on loopback; by the environment, so that older controllers without the
      // setting (--commit) run unchanged.
      env: { ...process.env, SLUICE_ANALYSIS_ALLOWED_HOSTS: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;
  let readyAt: number;
  for (const deadline = Date.now() + 600_000; ;) {
    if (child.exitCode !== null) throw new Error(`the controller exited with ${child.exitCode}; see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`the controller's caches did not sync in 10 minutes; see ${logFile}`);
    const ok = await fetch(`${metricsUrl}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) {
      readyAt = performance.now();
      break;
    }
    await sleep(20);
  }
  return {
    pid: child.pid!,
    metricsUrl,
    logFile,
    spawnedAt,
    readyAt,
    async scrape() {
      const text = await (await fetch(`${metricsUrl}/metrics`, { signal: AbortSignal.timeout(30_000) })).text();
      const samples = parseExposition(text);
      return {
        at: performance.now(),
        samples,
        rssBytes: sumOf(samples, 'process_resident_memory_bytes'),
        heapUsedBytes: sumOf(samples, 'nodejs_heap_size_used_bytes'),
        cpuSeconds: sumOf(samples, 'process_cpu_seconds_total'),
      };
    },
    collectGarbage: () => collectGarbage(inspectPort),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
      log.end();
    },
  };
}

/** HeapProfiler.collectGarbage through the inspector protocol: what a heap snapshot does first. */
async function collectGarbage(port: number): Promise<void> {
  const [target] = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  if (target === undefined) throw new Error("the controller's inspector lists no target");
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
      ws.onmessage = (m: MessageEvent) => {
        if ((JSON.parse(String(m.data)) as { id?: number }).id === 1) resolve();
      };
      ws.onerror = () => reject(new Error("the controller's inspector closed the connection"));
      setTimeout(() => reject(new Error('no answer to HeapProfiler.collectGarbage in 60 s')), 60_000);
    });
  } finally {
    ws.close();
  }
}

/** Peak resident memory of a process (VmHWM), in bytes; 0 when it cannot be read. */
export function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used; 0 when it cannot be read. */
export function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // After "pid (comm) ": state is field 0, utime field 11, stime field 12, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

const controlPlaneComponents = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;

/** The pid of each control-plane component, from the pid files `npm run cluster -- up` writes. */
export function controlPlanePids(clusterDir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of controlPlaneComponents) {
    const file = join(clusterDir, 'run', `${c}.pid`);
    if (!existsSync(file)) continue;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0) out[c] = pid;
  }
  return out;
}

/** CPU seconds of every control-plane process and of the controller, to diff across a phase. */
export function cpuCounters(pids: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSecondsOf(pid)]));
}

/** Cores used by each process between two cpuCounters readings `seconds` apart. */
export function coresBetween(
  before: Record<string, number>,
  after: Record<string, number>,
  seconds: number,
): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, round((after[k]! - (before[k] ?? 0)) / seconds, 2)]));
}

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
