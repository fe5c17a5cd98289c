import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePorts } from './ports.ts';
import { isAlive, readPidFile, startProcess, stopProcess } from './process.ts';
import { waitFor } from './wait.ts';

describe('background processes', () => {
  it('starts a detached process with its output in a log, and stops it with its children', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-proc-'));
    const spec = {
      name: 'sleeper',
      command: '/bin/sh',
      // The child `sleep` is in the same process group, so stopping the group must end it too.
      args: ['-c', 'echo started; sleep 300 & echo $! > child.pid; wait'],
      logFile: join(dir, 'sleeper.log'),
      pidFile: join(dir, 'sleeper.pid'),
      cwd: dir,
    };
    const proc = startProcess(spec);
    expect(readPidFile(spec.pidFile)?.pid).toBe(proc.pid);
    const childPid = await waitFor(
      () => {
        const t = readFileSync(join(dir, 'child.pid'), 'utf8').trim();
        return t === '' ? undefined : Number(t);
      },
      { timeoutMs: 5_000, what: 'the child pid' },
    );
    expect(readFileSync(spec.logFile, 'utf8')).toContain('started');

    await stopProcess(spec.pidFile, 2_000);
    expect(isAlive(proc.pid, '/bin/sh')).toBe(false);
    await waitFor(() => !isAlive(childPid, 'sleep'), { timeoutMs: 5_000, what: 'the child to exit' });
    expect(readPidFile(spec.pidFile)).toBeUndefined();
  });

  it('does not mistake a recycled pid for its process', () => {
    expect(isAlive(process.pid, '/no/such/binary')).toBe(false);
    expect(isAlive(process.pid)).toBe(true);
  });
});

describe('freePorts', () => {
  it('hands out distinct ports', async () => {
    const ports = await freePorts(20);
    expect(new Set(ports).size).toBe(20);
    for (const p of ports) expect(p).toBeGreaterThan(0);
  });
});
