/**
 * The figures of the side-by-side run (`npm run bench -- --compare argo`), what each controller must offer to be
 * measured, and the table that prints them with the ratio Sluice / Argo Rollouts. Pure: compare.ts measures.
 */
import { round } from './controller.ts';
import type { Sample } from './stats.ts';

/** API requests a controller counted since it started, by what they do. */
export interface RequestTotals {
  writes: number;
  /** get and list; watches are not reads of a state but the stream of it, counted apart. */
  reads: number;
  watches: number;
}

const writeVerbs = new Set(['create', 'update', 'patch', 'apply', 'delete', 'deletecollection']);
const readVerbs = new Set(['get', 'list']);

/**
 * Sums a request counter by its `verb` label, in either spelling: Sluice's sluice_kube_api_requests_total says
 * "patch", Argo's controller_clientset_k8s_request_total says "Patch". Every status code counts (a refused write
 * still cost the API server a request); Argo's "Unknown" verb (a request it could not classify) counts as neither.
 */
export function requestTotals(samples: readonly Sample[], metric: string): RequestTotals {
  const out: RequestTotals = { writes: 0, reads: 0, watches: 0 };
  for (const s of samples) {
    if (s.name !== metric) continue;
    const verb = (s.labels.verb ?? '').toLowerCase();
    if (writeVerbs.has(verb)) out.writes += s.value;
    else if (readVerbs.has(verb)) out.reads += s.value;
    else if (verb === 'watch') out.watches += s.value;
  }
  return out;
}

/** A controller process under measurement, whichever it is. */
export interface ComparedController {
  pid: number;
  /** performance.now() just before the process was spawned. */
  spawnedAt: number;
  logFile: string;
  requests(): Promise<RequestTotals>;
  /** A full collection in the process, so that the next RSS reading holds live memory (see the notes). */
  collectGarbage(): Promise<void>;
  stop(): Promise<void>;
}

export interface ControllerFigures {
  /** Process spawned -> every Rollout Healthy on its first revision and every Deployment scaled to 0. */
  takeoverSeconds: number;
  /** First image patch sent -> every Rollout Healthy on the new revision. */
  canarySeconds: number;
  /** CPU seconds of the process (user + system, /proc/<pid>/stat). */
  cpuSeconds: { wholeRun: number; canary: number };
  /** Requests per rollout during the canary (first patch -> last Rollout through), from the controller's metrics. */
  canaryRequestsPerRollout: RequestTotals;
  /** Resident memory, MiB: as sampled, and right after a forced full collection. */
  rssMiB: {
    idleAfterTakeover: number;
    idleAfterTakeoverGc: number;
    /** The kernel's high-water mark (VmHWM) over the whole run. */
    peakHwm: number;
    /** The largest of the 1 Hz VmRSS samples, from the controller's first answer on (VmHWM covers its start-up). */
    peakSampled: number;
    idleAfterCanary: number;
    idleAfterCanaryGc: number;
  };
  logFile: string;
}

export interface Comparison {
  rollouts: number;
  replicasPerRollout: number;
  /** Which controller ran first (each on its own namespace, the other's objects deleted before). */
  order: string[];
  sluice: ControllerFigures;
  /** Absent when only Sluice's side ran (--compare sluice). */
  argo?: ControllerFigures;
}

export const compareNotes = [
  'Compared: N Deployments of 4 replicas (kwok pods), each with a Rollout canary setWeight 25/50/75, no pauses, no traffic router (replica ratio); both controllers at the same QPS and burst (Sluice at its --concurrency, Argo at its default 10 rollout threads), one at a time, each in its own namespace.',
  "Taken over: from the controller's start (objects created before it) until every Rollout is Healthy on its first revision and every Deployment is at 0 replicas (Argo: workloadRef scaleDown onsuccess).",
  'Reads are get and list requests the controller counted itself (watches apart); writes are create, update, patch and delete.',
  "RSS after GC: Sluice after V8's full collection through the inspector; Argo after runtime.GC() through pprof's heap?gc=1. Go returns freed pages to the OS in the background (the scavenger), so Argo's RSS right after its GC can stay higher than its live heap.",
];

/** The notes of Sluice's side alone (--compare sluice): the same scenario, and nothing said of a run that did not happen. */
const sluiceAloneNotes = [
  "Sluice's figures alone, on the scenario of the side-by-side comparison: N Deployments of 4 replicas (kwok pods), each with a Rollout canary setWeight 25/50/75, no pauses, no traffic router (replica ratio); Sluice at the bench's QPS, burst and --concurrency. No other controller ran: no ratio is given.",
  "Taken over: from the controller's start (objects created before it) until every Rollout is Healthy on its first revision and every Deployment is at 0 replicas.",
  'Reads are get and list requests the controller counted itself (watches apart); writes are create, update, patch and delete.',
  "RSS after GC: after V8's full collection through the inspector.",
];

/** The notes printed and written beside the compared runs: the side-by-side run's, or those of Sluice alone. */
export function compareNotesFor(argoRan: boolean): string[] {
  return argoRan ? compareNotes : sluiceAloneNotes;
}

type Row = [label: string, pick: (f: ControllerFigures) => number, digits: number];

const rows: Row[] = [
  ['all taken over (s, from start)', (f) => f.takeoverSeconds, 1],
  ['all through the canary (s)', (f) => f.canarySeconds, 1],
  ['controller CPU, whole run (s)', (f) => f.cpuSeconds.wholeRun, 1],
  ['controller CPU in the canary (s)', (f) => f.cpuSeconds.canary, 1],
  ['writes per rollout in the canary', (f) => f.canaryRequestsPerRollout.writes, 1],
  ['reads per rollout in the canary', (f) => f.canaryRequestsPerRollout.reads, 1],
  ['RSS idle after takeover (MiB)', (f) => f.rssMiB.idleAfterTakeover, 0],
  ['RSS idle after takeover, after GC (MiB)', (f) => f.rssMiB.idleAfterTakeoverGc, 0],
  ['RSS peak, VmHWM (MiB)', (f) => f.rssMiB.peakHwm, 0],
  ['RSS peak, max of 1 Hz samples (MiB)', (f) => f.rssMiB.peakSampled, 0],
  ['RSS idle after canary (MiB)', (f) => f.rssMiB.idleAfterCanary, 0],
  ['RSS idle after canary, after GC (MiB)', (f) => f.rssMiB.idleAfterCanaryGc, 0],
];

/** Sluice / Argo, to two places; "n/a" when Argo's figure is 0 (no ratio to give). */
export function ratio(sluice: number, argo: number): string {
  if (argo === 0) return sluice === 0 ? '1.00' : 'n/a';
  return (sluice / argo).toFixed(2);
}

/** The side-by-side table in Markdown, one per size, as the README shows it. */
export function comparisonTable(c: Comparison): string {
  if (c.argo === undefined) {
    const lines = [`| N = ${c.rollouts.toLocaleString('en')} | Sluice |`, '| --- | ---: |'];
    for (const [label, pick, digits] of rows)
      lines.push(`| ${label} | ${round(pick(c.sluice), digits).toFixed(digits)} |`);
    return lines.join('\n');
  }
  const argo = c.argo;
  const lines = [
    `| N = ${c.rollouts.toLocaleString('en')} | Sluice | Argo Rollouts | Sluice / Argo |`,
    '| --- | ---: | ---: | ---: |',
  ];
  for (const [label, pick, digits] of rows) {
    const s = round(pick(c.sluice), digits);
    const a = round(pick(argo), digits);
    lines.push(`| ${label} | ${s.toFixed(digits)} | ${a.toFixed(digits)} | ${ratio(s, a)} |`);
  }
  return lines.join('\n');
}
