/** The arithmetic of the benchmark: percentiles of samples, quantiles of Prometheus histograms, counter deltas. */

/** The q-quantile (0..1) of samples by the nearest-rank method: p99 of 50 samples is the 50th smallest. */
export function percentile(samples: readonly number[], q: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1];
}

export interface Summary {
  n: number;
  min?: number;
  p50?: number;
  p90?: number;
  p99?: number;
  max?: number;
  mean?: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { n: 0 };
  return {
    n: samples.length,
    min: Math.min(...samples),
    p50: percentile(samples, 0.5),
    p90: percentile(samples, 0.9),
    p99: percentile(samples, 0.99),
    max: Math.max(...samples),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
  };
}

/** One series of a Prometheus text exposition: its name, labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (what prom-client serves on /metrics). */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? (\S+)/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const x of (m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[x[1]!] = x[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return out;
}

/** The sum of every series named `name` whose labels include `match`. */
export function sumOf(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

/** Cumulative bucket counts of a histogram (summed over its other labels), by upper bound, ascending. */
export function histogramBuckets(
  samples: readonly Sample[],
  name: string,
  only: (labels: Record<string, string>) => boolean = () => true,
): { le: number; count: number }[] {
  const byLe = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || !only(s.labels)) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
}

/** Bucket counts of `after` minus those of `before`: the observations made between two scrapes. */
export function bucketDelta(
  before: { le: number; count: number }[],
  after: { le: number; count: number }[],
): { le: number; count: number }[] {
  const prev = new Map(before.map((b) => [b.le, b.count]));
  return after.map((b) => ({ le: b.le, count: b.count - (prev.get(b.le) ?? 0) }));
}

/**
 * The q-quantile of cumulative buckets the way PromQL's histogram_quantile computes it: linear interpolation
 * inside the bucket the rank falls in (from 0 for the first bucket). A rank in the +Inf bucket returns the
 * highest finite bound. So the answer is only as fine as the buckets: it says "between 10 and 25 ms", placed linearly.
 */
export function histogramQuantile(q: number, buckets: readonly { le: number; count: number }[]): number | undefined {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket === 0 ? b.le : prevLe + (b.le - prevLe) * ((rank - prevCount) / inBucket);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

const writeVerbs = new Set(['create', 'update', 'patch', 'apply', 'delete']);

export interface ApiRates {
  seconds: number;
  /** Requests per second by verb (sluice_kube_api_requests_total, every status code). */
  perSecondByVerb: Record<string, number>;
  writesPerSecond: number;
  readsPerSecond: number;
  /** Requests in the window: all of them, writes, and those the API server refused (429) or failed (5xx, no answer). */
  total: number;
  writes: number;
  throttledOrFailed: number;
}

/** Request rates between two scrapes of the controller's sluice_kube_api_requests_total. */
export function apiRates(before: readonly Sample[], after: readonly Sample[], seconds: number): ApiRates {
  const counts = (samples: readonly Sample[]) => {
    const m = new Map<string, number>();
    for (const s of samples)
      if (s.name === 'sluice_kube_api_requests_total')
        m.set(`${s.labels.verb}|${s.labels.code}`, (m.get(`${s.labels.verb}|${s.labels.code}`) ?? 0) + s.value);
    return m;
  };
  const a = counts(before);
  const byVerb: Record<string, number> = {};
  let total = 0;
  let writes = 0;
  let bad = 0;
  for (const [key, value] of counts(after)) {
    const delta = value - (a.get(key) ?? 0);
    if (delta === 0) continue;
    const [verb, code] = key.split('|') as [string, string];
    byVerb[verb] = (byVerb[verb] ?? 0) + delta;
    total += delta;
    if (writeVerbs.has(verb)) writes += delta;
    if (code === '429' || code === 'error' || code.startsWith('5')) bad += delta;
  }
  const rate = (x: number) => Math.round((x / seconds) * 100) / 100;
  return {
    seconds: Math.round(seconds * 10) / 10,
    perSecondByVerb: Object.fromEntries(Object.entries(byVerb).map(([k, v]) => [k, rate(v)])),
    writesPerSecond: rate(writes),
    readsPerSecond: rate(total - writes),
    total,
    writes,
    throttledOrFailed: bad,
  };
}
