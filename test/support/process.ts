/**
 * Background processes for the local services (control plane, Prometheus, Unleash, PostgreSQL).
 * Each runs in its own process group with its output in a log file, and is recorded in a pid file so that a
 * later command (`cluster down`, a test teardown) can stop it even after the starter has exited.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  pidFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface RunningProcess {
  name: string;
  pid: number;
  logFile: string;
  pidFile: string;
}

/** Starts a detached process whose stdout and stderr go to `logFile` (appended, so restarts keep history). */
export function startProcess(spec: ProcessSpec): RunningProcess {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  mkdirSync(dirname(spec.pidFile), { recursive: true });
  const fd = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: spec.env ?? process.env,
      cwd: spec.cwd,
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
    child.on('error', () => undefined); // an exec failure shows in isAlive/log; never crash the starter
    child.unref();
    writeFileSync(spec.pidFile, `${child.pid}\n${spec.command}\n`);
    return { name: spec.name, pid: child.pid, logFile: spec.logFile, pidFile: spec.pidFile };
  } finally {
    closeSync(fd);
  }
}

/** True while the pid is alive and still runs `command` (a recycled pid belongs to somebody else). */
export function isAlive(pid: number, command?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (command === undefined) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.split(') ')[1]?.startsWith('Z')) return false; // a zombie has exited already
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return argv0 === command || argv0.endsWith(`/${command.split('/').pop()}`);
  } catch {
    return false;
  }
}

/** Reads a pid file written by startProcess; undefined when there is none or its process is gone. */
export function readPidFile(pidFile: string): { pid: number; command: string } | undefined {
  if (!existsSync(pidFile)) return undefined;
  const [pidLine, command] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  if (!Number.isInteger(pid) || pid <= 0 || command === undefined) return undefined;
  return isAlive(pid, command) ? { pid, command } : undefined;
}

/**
 * Stops the process recorded in `pidFile`: SIGTERM to its whole group, SIGKILL after `graceMs`.
 * Removes the pid file. Returns once the process is gone.
 */
export async function stopProcess(pidFile: string, graceMs = 10_000): Promise<void> {
  const rec = readPidFile(pidFile);
  if (rec !== undefined) {
    signalGroup(rec.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(rec.pid, rec.command) && Date.now() < deadline) await sleep(50);
    if (isAlive(rec.pid, rec.command)) {
      signalGroup(rec.pid, 'SIGKILL');
      while (isAlive(rec.pid, rec.command)) await sleep(20);
    }
  }
  rmSync(pidFile, { force: true });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal); // detached: the pid leads its own group, which also holds its children
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** The last lines of a log, for error messages that show why a process did not come up. */
export function tailLog(logFile: string, lines = 20): string {
  if (!existsSync(logFile)) return '(no log)';
  return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
