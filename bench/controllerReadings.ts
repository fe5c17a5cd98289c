/**
 * Readings of a running controller through its /metrics: memory, reconciles and API requests while busy, the wait
 * until it goes quiet, and its API requests while idle.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { round, type RunningController, type Snapshot } from './controller.ts';
import {
  apiRates,
  bucketDelta,
  histogramBuckets,
  histogramQuantile,
  sumOf,
  type ApiRates,
  type Summary,
} from './stats.ts';

export interface MemoryReading {
  rssMiB: number;
  heapUsedMiB: number;
}

export const mib = (bytes: number) => round(bytes / 1024 ** 2, 1);
export const memoryOf = (s: Snapshot): MemoryReading => ({
  rssMiB: mib(s.rssBytes),
  heapUsedMiB: mib(s.heapUsedBytes),
});

export function roundSummary(s: Summary): Summary {
  return Object.fromEntries(
    Object.entries(s).map(([k, v]: [string, number]) => [k, k === 'n' ? v : round(v, 1)]),
  ) as unknown as Summary;
}

export interface BusyStats {
  reconcileP50Ms?: number;
  reconcileP99Ms?: number;
  reconcilesPerRollout: number;
  api: ApiRates;
  apiWritesPerRollout: number;
  cores: Record<string, number>;
}

export function busyStats(before: Snapshot, after: Snapshot, cores: Record<string, number>, n: number): BusyStats {
  const buckets = bucketDelta(
    histogramBuckets(before.samples, 'sluice_reconcile_duration_seconds'),
    histogramBuckets(after.samples, 'sluice_reconcile_duration_seconds'),
  );
  const q = (x: number) => {
    const v = histogramQuantile(x, buckets);
    return v === undefined ? undefined : round(v * 1000, 1);
  };
  const api = apiRates(before.samples, after.samples, (after.at - before.at) / 1000);
  return {
    reconcileP50Ms: q(0.5),
    reconcileP99Ms: q(0.99),
    reconcilesPerRollout: round((buckets.at(-1)?.count ?? 0) / n, 1),
    api,
    apiWritesPerRollout: round(api.writes / n, 1),
    cores,
  };
}

/** Waits until no key is queued and no write went out for 5 s in a row (at most 5 minutes). */
export async function settle(c: RunningController): Promise<void> {
  const deadline = performance.now() + 300_000;
  let quietSince: number | undefined;
  let last = await c.scrape();
  while (performance.now() < deadline) {
    await sleep(1_000);
    const now = await c.scrape();
    const queued = sumOf(now.samples, 'sluice_workqueue_depth', { state: 'queued' });
    const writes = apiRates(last.samples, now.samples, 1).writes;
    last = now;
    if (queued > 0 || writes > 0) quietSince = undefined;
    else quietSince ??= performance.now();
    if (quietSince !== undefined && performance.now() - quietSince >= 5_000) return;
  }
}

/** API request rates over `seconds` of idling. */
export async function idleWindow(c: RunningController, seconds: number): Promise<ApiRates> {
  const a = await c.scrape();
  await sleep(seconds * 1000);
  const b = await c.scrape();
  return apiRates(a.samples, b.samples, (b.at - a.at) / 1000);
}
