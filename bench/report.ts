/** Prints the benchmark's tables and says what each number includes. */
import type { ReactionResult } from './reaction.ts';
import type { BlueGreenReaction } from './reactionBlueGreen.ts';
import type { CanaryResult, ScaleResult } from './scale.ts';
import type { Summary } from './stats.ts';

const perSec = (r: { readsPerSecond: number; writesPerSecond: number }) =>
  String(Math.round((r.readsPerSecond + r.writesPerSecond) * 10) / 10);
const ms = (x: number | undefined) => (x === undefined ? '-' : `${x.toFixed(x < 10 ? 1 : 0)} ms`);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

const summaryRow = (what: string, s: Summary, includes: string) => [
  what,
  String(s.n),
  ms(s.p50),
  ms(s.p99),
  ms(s.max),
  includes,
];

export function reactionTable(r: ReactionResult): string {
  const object = r.router.object;
  return table(
    [`Reaction (--router ${r.router.name}: ${object})`, 'n', 'p50', 'p99', 'max', 'what it includes'],
    [
      summaryRow(
        'failing measurement -> weight 0',
        r.aborts.failedMeasurementToWeight0Ms,
        `plan + ${object} write + watch delivery, in the reconcile that measured`,
      ),
      summaryRow(
        'error flip -> failing measurement',
        r.aborts.errorFlipToFailedMeasurementMs,
        'Prometheus scrape (1 s) + the 3 s rate window crossing 5% + analysis interval (1 s)',
      ),
      summaryRow('error flip -> weight 0', r.aborts.errorFlipToWeight0Ms, 'both of the above: what a user sees'),
      summaryRow(
        'kubectl sluice promote -> next weight',
        r.promotes.promoteToNextWeightMs,
        `annotation PATCH, watch to the controller, queue, reconcile, ${object} write, watch back`,
      ),
      summaryRow(
        'promote annotation written -> next weight',
        r.promotes.annotationWrittenToNextWeightMs,
        "the same without the plugin's own PATCH round trip",
      ),
    ],
  );
}

export function blueGreenTable(r: BlueGreenReaction): string {
  const { service, httpRoute } = r;
  return table(
    [`Blue-green (${r.setup.rounds} rounds per kind)`, 'n', 'p50', 'p99', 'max', 'what it includes'],
    [
      summaryRow(
        'switch: decision -> active Service selector',
        service.decisionToSwitchMs,
        'status.blueGreen.switchedAt -> Service watch event: status PUT, Service PATCH, watch delivery',
      ),
      summaryRow(
        'switch back: decision -> active Service selector',
        service.decisionToSwitchBackMs,
        'status.abortedAt -> Service watch event: status PUT, Service PATCH, watch delivery',
      ),
      summaryRow(
        'switch: decision -> HTTPRoute weight 100',
        httpRoute.decisionToSwitchMs,
        'status.blueGreen.switchedAt -> HTTPRoute watch event: status PUT, HTTPRoute PATCH, watch delivery',
      ),
      summaryRow(
        'switch back: decision -> HTTPRoute weight 0',
        httpRoute.decisionToSwitchBackMs,
        'status.abortedAt -> HTTPRoute watch event: status PUT, HTTPRoute PATCH, watch delivery',
      ),
      summaryRow(
        'promote annotation written -> switch (Service)',
        service.promoteWrittenToSwitchMs,
        'the watch to the controller, the queue, the decision, and the above',
      ),
      summaryRow(
        'abort annotation written -> switch back (Service)',
        service.abortWrittenToSwitchBackMs,
        'the same for the abort',
      ),
      summaryRow(
        'promote annotation written -> switch (HTTPRoute)',
        httpRoute.promoteWrittenToSwitchMs,
        'the watch to the controller, the queue, the decision, and the above',
      ),
      summaryRow(
        'abort annotation written -> switch back (HTTPRoute)',
        httpRoute.abortWrittenToSwitchBackMs,
        'the same for the abort',
      ),
    ],
  );
}

export function costTable(r: ReactionResult, scale: ScaleResult[]): string {
  const rows = [
    [
      'Prometheus queries per analysis interval per rollout',
      String(r.cost.promQueriesPerIntervalPerRollout),
      `counted by a proxy in front of Prometheus, ${r.cost.rolloutsMeasured} rollouts x 1 metric, ${r.cost.promQueryWindowSeconds} s window`,
    ],
    [
      'status bytes, canary paused with background analysis',
      `${r.cost.statusBytesWithAnalysis.p50 ?? '-'} (max ${r.cost.statusBytesWithAnalysis.max ?? '-'})`,
      'JSON of .status, 1 metric, up to 10 measurements kept',
    ],
    ...scale.map((s) => [
      `status bytes after a 3-step canary (N=${s.rollouts})`,
      `${s.statusBytes.p50 ?? '-'} (max ${s.statusBytes.max ?? '-'})`,
      'JSON of .status, no analysis',
    ]),
  ];
  return table(['Cost per rollout', 'value', 'how'], rows);
}

export function scaleTable(results: ScaleResult[]): string {
  const col = (f: (s: ScaleResult) => string) => results.map(f);
  const canaryCol = (f: (c: CanaryResult) => string) =>
    results.map((s) => (s.canary === undefined ? 'not run' : f(s.canary)));
  const mem = (m: { rssMiB: number; heapUsedMiB: number } | undefined) =>
    m === undefined ? 'not run' : `${m.rssMiB} / ${m.heapUsedMiB} MiB`;
  const rows: [string, ...string[]][] = [
    ['created objects (Deployment+HTTPRoute+Rollout)', ...col((s) => `${s.objectsCreated} in ${s.createSeconds} s`)],
    ['start-up to caches synced', ...col((s) => `${s.startupToCachesSyncedSeconds} s`)],
    [
      'RSS / heap at caches synced',
      ...col((s) => `${s.memory.atCachesSynced.rssMiB} / ${s.memory.atCachesSynced.heapUsedMiB} MiB`),
    ],
    [
      'RSS / heap idle after takeover',
      ...col((s) => `${s.memory.idleAfterTakeover.rssMiB} / ${s.memory.idleAfterTakeover.heapUsedMiB} MiB`),
    ],
    [
      '  the same after a forced full GC',
      ...col((s) => `${s.memory.idleAfterTakeoverGc.rssMiB} / ${s.memory.idleAfterTakeoverGc.heapUsedMiB} MiB`),
    ],
    ['RSS / heap idle after the canary', ...col((s) => mem(s.memory.idleAfterCanary))],
    ['  the same after a forced full GC', ...col((s) => mem(s.memory.idleAfterCanaryGc))],
    ['peak RSS (VmHWM)', ...col((s) => `${s.memory.peakRssMiB} MiB`)],
    ['takeover: all Healthy after start', ...col((s) => `${s.takeoverSeconds} s`)],
    [
      '  reconcile p50 / p99; API writes/s',
      ...col(
        (s) => `${ms(s.takeover.reconcileP50Ms)} / ${ms(s.takeover.reconcileP99Ms)}; ${s.takeover.api.writesPerSecond}`,
      ),
    ],
    [
      '  cores: sluice / apiserver',
      ...col((s) => `${s.takeover.cores.sluice ?? '-'} / ${s.takeover.cores['kube-apiserver'] ?? '-'}`),
    ],
    ['3-step canary: all N promoted', ...canaryCol((c) => `${c.allFinishedSeconds} s`)],
    [
      '  per rollout p50 / p99',
      ...canaryCol((c) => `${c.perRolloutFinishSeconds.p50} / ${c.perRolloutFinishSeconds.p99} s`),
    ],
    ['  reconcile p50 / p99', ...canaryCol((c) => `${ms(c.reconcileP50Ms)} / ${ms(c.reconcileP99Ms)}`)],
    ['  reconciles per rollout', ...canaryCol((c) => String(c.reconcilesPerRollout))],
    ['  API requests/s (writes/s)', ...canaryCol((c) => `${perSec(c.api)} (${c.api.writesPerSecond})`)],
    [
      '  API requests (writes) per rollout',
      ...canaryCol((c) => `${c.apiRequestsPerRollout} (${c.apiWritesPerRollout})`),
    ],
    [
      '  API server write latency p50 / p99 (all clients)',
      ...canaryCol((c) => `${ms(c.apiserverWrites.p50Ms)} / ${ms(c.apiserverWrites.p99Ms)}`),
    ],
    [
      '  cores: sluice / apiserver / etcd',
      ...canaryCol((c) => `${c.cores.sluice ?? '-'} / ${c.cores['kube-apiserver'] ?? '-'} / ${c.cores.etcd ?? '-'}`),
    ],
    [
      '  cores: kcm / scheduler / kwok',
      ...canaryCol(
        (c) =>
          `${c.cores['kube-controller-manager'] ?? '-'} / ${c.cores['kube-scheduler'] ?? '-'} / ${c.cores.kwok ?? '-'}`,
      ),
    ],
    [
      '  load average at start / end; other test runs',
      ...canaryCol(
        (c) =>
          `${c.machine.atStart.loadAverage[0]} / ${c.machine.atEnd.loadAverage[0]}; ${c.machine.atStart.otherTestRuns.length + c.machine.atEnd.otherTestRuns.length > 0 ? 'yes' : 'none'}`,
      ),
    ],
    [
      'idle API requests/s (writes) after takeover',
      ...col(
        (s) =>
          `${perSec(s.idle.afterTakeover)} (${s.idle.afterTakeover.writes} writes in ${s.idle.afterTakeover.seconds} s)`,
      ),
    ],
    [
      'idle API requests/s (writes) after canary',
      ...col((s) =>
        s.idle.afterCanary === undefined
          ? 'not run'
          : `${perSec(s.idle.afterCanary)} (${s.idle.afterCanary.writes} writes in ${s.idle.afterCanary.seconds} s)`,
      ),
    ],
  ];
  return table(['Scale', ...results.map((s) => `N = ${s.rollouts.toLocaleString('en-US')}`)], rows);
}

export const explanations = [
  'Times are wall clock on one machine: the controller, the control plane and this benchmark share its cores.',
  '"weight 0" and "next weight" are the arrival of the watch event of the router object (an HTTPRoute unless --router says otherwise) carrying the new weight, so they include the API server\'s write and its watch delivery.',
  'Blue-green: "decision" is the time the controller planned the switch (status.blueGreen.switchedAt) or the abort (status.abortedAt), written to status before the Service or HTTPRoute; the preview runs at full size, so no switch waits on a pod.',
  '"failing measurement" is the finishedAt the controller wrote into the Rollout\'s status for the first Failed measurement after the flip.',
  'Reconcile p50/p99 are interpolated inside the sluice_reconcile_duration_seconds buckets (5, 10, 25, 50, 100, 250, 500 ms, 1, 2.5, 5, 10, 30, 60 s): a p99 of 37 ms means "between 25 and 50 ms".',
  "API requests/s are deltas of the controller's sluice_kube_api_requests_total (every request it sent, watches included, whatever the answer), divided by the window.",
  'Cores are CPU seconds from /proc/<pid>/stat over the window, divided by its length (2 cores on the machine in all).',
  'RSS and heap are the controller\'s process_resident_memory_bytes and nodejs_heap_size_used_bytes; peak RSS is VmHWM from /proc. "After a forced full GC" is read right after HeapProfiler.collectGarbage through the controller\'s inspector (it runs with --inspect on loopback for this): the heap it really holds, without garbage V8 has not collected yet.',
];
