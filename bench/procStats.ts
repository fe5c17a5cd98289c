/**
 * What the kernel says about a controller's memory, the same way for a Node and a Go process: resident memory now
 * (VmRSS), its high-water mark (VmHWM), and the largest of once-a-second samples, since a figure read only at the
 * end of a phase misses what a process grew to and gave back in between.
 */
import { readFileSync } from 'node:fs';

/** VmRSS and VmHWM from the text of /proc/<pid>/status, in bytes; undefined for a line that is not there. */
export function parseProcStatus(text: string): { rssBytes?: number; hwmBytes?: number } {
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text);
    return m === null ? undefined : Number(m[1]) * 1024;
  };
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
}

/** Resident memory of a process now, in bytes; 0 when it cannot be read (the process is gone). */
export function rssOf(pid: number): number {
  try {
    return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8')).rssBytes ?? 0;
  } catch {
    return 0;
  }
}

export interface RssSampler {
  /** The largest VmRSS sampled so far, in bytes. */
  max: () => number;
  stop: () => void;
}

/** Samples VmRSS of `pid` every second (and once now) until stop(). */
export function sampleRss(pid: number, intervalMs = 1_000): RssSampler {
  let max = rssOf(pid);
  const timer = setInterval(() => {
    max = Math.max(max, rssOf(pid));
  }, intervalMs);
  // A sampler must not keep the benchmark alive after an error elsewhere.
  timer.unref();
  return {
    max: () => max,
    stop: () => clearInterval(timer),
  };
}
