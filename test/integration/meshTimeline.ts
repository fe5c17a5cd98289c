/**
 * Every state an Istio mesh went through for one app: its VirtualService, its DestinationRule and its pods, from
 * three watches merged in the order the API server wrote them (see mergedWatch.ts).
 */
import { drRef, vsRef } from './istioStory.ts';
import { watchMerged, type MergedTimeline, type WatchSource } from './mergedWatch.ts';

export interface Pod {
  metadata?: { name?: string; labels?: Record<string, string>; deletionTimestamp?: string };
  status?: { conditions?: { type?: string; status?: string }[] };
}
export interface RouteDest {
  destination?: { host?: string; subset?: string };
  weight?: number;
}
export interface Subset {
  name?: string;
  labels?: Record<string, string>;
}

/** One state: the objects as they were right after the write with resource version `rv`. */
export interface MeshMoment {
  rv: number;
  virtualService: { spec?: { http?: { name?: string; route?: RouteDest[] }[] } } | undefined;
  destinationRule: { spec?: { subsets?: Subset[] } } | undefined;
  pods: Pod[];
}

export type MeshTimeline = MergedTimeline<MeshMoment>;

const isReady = (pod: Pod) =>
  pod.metadata?.deletionTimestamp === undefined &&
  (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** The pods a subset selects (all its labels) that can take a request: Ready and not terminating. */
export function readyPodsOf(moment: MeshMoment, subset: Subset): number {
  const labels = Object.entries(subset.labels ?? {});
  return moment.pods.filter((p) => isReady(p) && labels.every(([k, v]) => p.metadata?.labels?.[k] === v)).length;
}

export async function watchMesh(namespace: string, name: string): Promise<MeshTimeline> {
  const sources: WatchSource[] = [
    { kind: 'vs', path: `/apis/${vsRef.group}/${vsRef.version}/namespaces/${namespace}/${vsRef.plural}`, q: {} },
    { kind: 'dr', path: `/apis/${drRef.group}/${drRef.version}/namespaces/${namespace}/${drRef.plural}`, q: {} },
    { kind: 'pod', path: `/api/v1/namespaces/${namespace}/pods`, q: { labelSelector: `app=${name}` } },
  ];
  return watchMerged(sources, (state, rv): MeshMoment => ({
    rv,
    virtualService: state.get('vs')!.get(name) as MeshMoment['virtualService'],
    destinationRule: state.get('dr')!.get(name) as MeshMoment['destinationRule'],
    pods: [...state.get('pod')!.values()] as Pod[],
  }));
}
