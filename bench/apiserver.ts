/**
 * The API server's own view of a phase: how long it took to answer writes (apiserver_request_duration_seconds,
 * every client, not only Sluice), read from its /metrics with the admin's kubectl. It tells whether a slow
 * reconcile was waiting on the API server.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { clusterBinDir } from '../test/cluster/paths.ts';
import { bucketDelta, histogramBuckets, histogramQuantile, parseExposition, type Sample } from './stats.ts';

export async function apiserverMetrics(kubeconfig: string): Promise<Sample[]> {
  const { stdout } = await promisify(execFile)(
    join(clusterBinDir(), 'kubectl'),
    ['--kubeconfig', kubeconfig, 'get', '--raw', '/metrics'],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  return parseExposition(stdout).filter(
    (s) => s.name.startsWith('apiserver_request_duration_seconds') || s.name === 'apiserver_request_total',
  );
}

export interface WriteLatency {
  /** Writes (POST, PUT, PATCH, DELETE) the API server answered in the window, from every client. */
  writes: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Its buckets: 5, 25, 50, 100, 200, 400, 600, 800 ms, 1 s and up, so p50 and p99 are coarse. */
  note: string;
}

const mutating = (l: Record<string, string>) => ['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE'].includes(l.verb ?? '');

export function writeLatency(before: readonly Sample[], after: readonly Sample[]): WriteLatency {
  const name = 'apiserver_request_duration_seconds';
  const b = bucketDelta(histogramBuckets(before, name, mutating), histogramBuckets(after, name, mutating));
  const q = (x: number) => {
    const v = histogramQuantile(x, b);
    return v === undefined ? undefined : Math.round(v * 1000);
  };
  return {
    writes: b.at(-1)?.count ?? 0,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    note: 'apiserver_request_duration_seconds of POST/PUT/PATCH/APPLY/DELETE, all clients; buckets 5, 25, 50, 100, 200, 400, 600, 800 ms, 1 s, ...',
  };
}

/**
 * Writes the API server counted in the window by verb and resource ("PUT rollouts/status", "POST events"), from
 * every client: rollouts, httproutes and Sluice's Services are written by Sluice alone; events, replicasets and
 * pods also by kube-controller-manager and the scheduler.
 */
export function writesByResource(before: readonly Sample[], after: readonly Sample[]): Record<string, number> {
  const count = (samples: readonly Sample[]) => {
    const m = new Map<string, number>();
    for (const s of samples) {
      if (s.name !== 'apiserver_request_total' || !mutating(s.labels)) continue;
      const key = `${s.labels.verb} ${s.labels.resource}${s.labels.subresource ? `/${s.labels.subresource}` : ''}`;
      m.set(key, (m.get(key) ?? 0) + s.value);
    }
    return m;
  };
  const a = count(before);
  const out: Record<string, number> = {};
  for (const [k, v] of [...count(after)].sort((x, y) => y[1] - x[1]))
    if (v - (a.get(k) ?? 0) > 0) out[k] = v - (a.get(k) ?? 0);
  return out;
}
