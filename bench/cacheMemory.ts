/**
 * What the informer caches weigh, with and without the projection and the string interning
 * (controller/src/reconcile/projection.ts, controller/src/kube/internTable.ts). For each cached kind it builds N
 * objects as the API server sends them (JSON text in list pages of 500, with managedFields as a kubectl apply and the
 * controller-manager leave them, the last-applied copy, status), parses each page as the informer does, keeps each
 * object as the chosen mode would, and prints the heap used after a full collection.
 *
 *   node --expose-gc bench/cacheMemory.ts [N]        # every mode, each in a process of its own
 *   node --expose-gc bench/cacheMemory.ts N <mode>   # one mode (what the first form runs)
 *
 * Modes: `empty` (nothing cached: the process's own heap), `whole` (as the API server sent them), `before` (forCache:
 * managedFields and last-applied dropped, pods summarized: the caches before the projection), `projected`
 * (the projection of each kind), `interned` (projected and interned), `shared` (cacheTransforms: projected, interned,
 * and the pod specs of Deployments and ReplicaSets shared: the caches as the controller keeps them now).
 */
import { spawnSync } from 'node:child_process';
import { forCache } from '../controller/src/kube/informerDecisions.ts';
import { InternTable } from '../controller/src/kube/internTable.ts';
import type { KubeObject } from '../controller/src/kube/objectStore.ts';
import {
  autoscalersRef,
  deploymentsRef,
  podDisruptionBudgetsRef,
  podsRef,
  replicaSetsRef,
  servicesRef,
  type ResourceRef,
} from '../controller/src/kube/resourceRef.ts';
import {
  apiServerAutoscaler,
  apiServerDeployment,
  apiServerPod,
  apiServerPodDisruptionBudget,
  apiServerReplicaSet,
  apiServerRollout,
  apiServerService,
} from '../controller/src/reconcile/apiServerObjects.test-support.ts';
import { summarizePod } from '../controller/src/reconcile/pods.ts';
import {
  projectAutoscaler,
  projectDeployment,
  projectPodDisruptionBudget,
  projectReplicaSet,
  projectService,
  cacheTransforms,
  type Projection,
} from '../controller/src/reconcile/projection.ts';

type Transforms = ReturnType<typeof cacheTransforms>;

const modes = ['empty', 'whole', 'before', 'projected', 'interned', 'shared'] as const;
type Mode = (typeof modes)[number];

interface CachedKind {
  name: string;
  ref: ResourceRef;
  make: (i: number) => Record<string, unknown>;
  projection: Projection | undefined;
  /** Its transform in cacheTransforms. */
  transform: keyof Transforms;
  /** Projected before this change too (pods): `before` applies it. */
  projectedBefore?: boolean;
}

const rolloutRef: ResourceRef = {
  group: 'sluice.dev',
  version: 'v1alpha1',
  plural: 'rollouts',
  kind: 'Rollout',
  namespaced: true,
};
const kinds: CachedKind[] = [
  { name: 'Rollout', ref: rolloutRef, make: apiServerRollout, projection: undefined, transform: 'whole' },
  {
    name: 'Deployment',
    ref: deploymentsRef,
    make: apiServerDeployment,
    projection: projectDeployment,
    transform: 'deployment',
  },
  {
    name: 'ReplicaSet',
    ref: replicaSetsRef,
    make: (i) => apiServerReplicaSet(i),
    projection: projectReplicaSet,
    transform: 'replicaSet',
  },
  {
    name: 'Service',
    ref: servicesRef,
    make: (i) => apiServerService(i),
    projection: projectService,
    transform: 'service',
  },
  {
    name: 'Pod',
    ref: podsRef,
    make: (i) => apiServerPod(i),
    projection: summarizePod,
    transform: 'pod',
    projectedBefore: true,
  },
  {
    name: 'PodDisruptionBudget',
    ref: podDisruptionBudgetsRef,
    make: apiServerPodDisruptionBudget,
    projection: projectPodDisruptionBudget,
    transform: 'podDisruptionBudget',
  },
  {
    name: 'HorizontalPodAutoscaler',
    ref: autoscalersRef,
    make: apiServerAutoscaler,
    projection: projectAutoscaler,
    transform: 'autoscaler',
  },
];

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** What the cache keeps of one parsed object in this mode. */
function keeper(mode: Mode, kind: CachedKind, strings: InternTable, transforms: Transforms): Projection {
  const project = kind.projection ?? ((o: KubeObject) => o);
  switch (mode) {
    case 'shared':
      return (o: KubeObject) => transforms[kind.transform](forCache(o, kind.ref));
    case 'whole':
      return (o) => o;
    case 'before':
      return (o) => (kind.projectedBefore === true ? project(forCache(o, kind.ref)) : forCache(o, kind.ref));
    case 'projected':
      return (o) => project(forCache(o, kind.ref));
    default:
      return (o: KubeObject) => strings.internValues(project(forCache(o, kind.ref)));
  }
}

/** One list page as the informer receives it: JSON text, parsed (the text is garbage once this returns). */
function listPage(kind: CachedKind, start: number, end: number): { items: KubeObject[] } {
  const items = [];
  for (let i = start; i < end; i++) {
    const { apiVersion: _v, kind: _k, ...item } = kind.make(i); // list items come without them
    items.push(item);
  }
  return JSON.parse(JSON.stringify({ metadata: { resourceVersion: '1' }, items })) as { items: KubeObject[] };
}

/** Fills one Map per kind, as the informers' stores are, from list pages parsed as the informer parses them. */
/** The caches, and the CPU time their transforms took (the parse excluded: every mode pays it alike). */
function fill(n: number, mode: Mode): { caches: Map<string, Map<string, KubeObject>>; transformMs: number } {
  const strings = new InternTable();
  const transforms = cacheTransforms();
  const caches = new Map<string, Map<string, KubeObject>>();
  let transformMs = 0;
  if (mode === 'empty') return { caches, transformMs };
  for (const kind of kinds) {
    const store = new Map<string, KubeObject>();
    const keep = keeper(mode, kind, strings, transforms);
    for (let start = 0; start < n; start += 500) {
      const parsed = listPage(kind, start, Math.min(n, start + 500));
      const started = performance.now();
      const kept = parsed.items.map((obj) => keep(obj));
      transformMs += performance.now() - started;
      for (const obj of kept) store.set(`${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`, obj);
    }
    caches.set(kind.name, store);
  }
  return { caches, transformMs };
}

function measure(n: number, mode: Mode): void {
  const { caches, transformMs } = fill(n, mode);
  const heap = heapAfterGc();
  const objects = [...caches.values()].reduce((sum, store) => sum + store.size, 0);
  process.stdout.write(JSON.stringify({ mode, n, objects, heapUsed: heap, transformMs }) + '\n');
}

function compare(n: number): void {
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  const rows: { mode: string; objects: number; heapUsed: number; transformMs: number }[] = [];
  for (const mode of modes) {
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, String(n), mode], {
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`mode ${mode} failed: ${child.stderr}`);
    rows.push(JSON.parse(child.stdout.trim().split('\n').at(-1)!) as (typeof rows)[number]);
  }
  const empty = rows[0]!.heapUsed;
  const before = rows.find((r) => r.mode === 'before')!.heapUsed - empty;
  console.log(`N = ${n} per kind (${kinds.map((k) => k.name).join(', ')}); heap used after a full collection`);
  console.log('| mode | objects | heap used MiB | caches MiB | caches vs before | transforms ms |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const cachesBytes = r.heapUsed - empty;
    const ratio = r.mode === 'empty' ? '' : `${((cachesBytes / before) * 100).toFixed(0)} %`;
    const ms = r.transformMs.toFixed(0);
    console.log(`| ${r.mode} | ${r.objects} | ${mib(r.heapUsed)} | ${mib(cachesBytes)} | ${ratio} | ${ms} |`);
  }
}

const n = Number(process.argv[2] ?? 10_000);
const mode = process.argv[3] as Mode | undefined;
if (!Number.isInteger(n) || n <= 0) throw new Error(`N must be a positive integer, not ${process.argv[2]}`);
if (mode === undefined) compare(n);
else if (modes.includes(mode)) measure(n, mode);
else throw new Error(`mode must be one of ${modes.join(', ')}`);
