/**
 * Who else is using the machine. The benchmark shares 2 cores with whatever runs beside it (another checkout's
 * test suite brings its own control plane), so each phase records the load and any vitest run it saw.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';

export interface Contention {
  /** 1, 5 and 15 minute load averages. */
  loadAverage: number[];
  /** Command lines of vitest processes running at that moment (other test suites). */
  otherTestRuns: string[];
}

export function otherTestRuns(): string[] {
  try {
    return execFileSync('pgrep', ['-af', 'vitest'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.includes('<defunct>'));
  } catch {
    return [];
  }
}

export function contention(): Contention {
  return { loadAverage: loadavg().map((x) => Math.round(x * 100) / 100), otherTestRuns: otherTestRuns() };
}
