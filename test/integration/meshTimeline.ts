/**
 * Every state an Istio mesh went through for one app: its VirtualService, its DestinationRule and its pods, from
 * three watches merged in the order the API server wrote them. The resource versions of one etcd are one sequence,
 * so a merge by resource version replays the states in between two polls too: a story checks each of them, not a
 * sample (the test cluster has one etcd; a resource version is opaque only across etcds).
 */
import { KubeJsonApi } from '../../controller/src/kube/kubeJsonApi.ts';
import { drRef, vsRef } from './istioStory.ts';
import { adminKubeConfig } from './support.ts';

type Obj = Record<string, unknown> & { metadata?: { name?: string; resourceVersion?: string } };

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

export interface MeshTimeline {
  /** Ends the watches and returns every state from the start of the watch; throws if a watch broke off. */
  stop(): Promise<MeshMoment[]>;
}

const isReady = (pod: Pod) =>
  pod.metadata?.deletionTimestamp === undefined &&
  (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** The pods a subset selects (all its labels) that can take a request: Ready and not terminating. */
export function readyPodsOf(moment: MeshMoment, subset: Subset): number {
  const labels = Object.entries(subset.labels ?? {});
  return moment.pods.filter((p) => isReady(p) && labels.every(([k, v]) => p.metadata?.labels?.[k] === v)).length;
}

export async function watchMesh(namespace: string, name: string): Promise<MeshTimeline> {
  const api = adminKubeConfig().makeApiClient(KubeJsonApi);
  const stopper = new AbortController();
  const events: { rv: number; seq: number; kind: string; type: string; object: Obj }[] = [];
  let broken: Error | undefined;
  const sources = [
    { kind: 'vs', path: `/apis/${vsRef.group}/${vsRef.version}/namespaces/${namespace}/${vsRef.plural}`, q: {} },
    { kind: 'dr', path: `/apis/${drRef.group}/${drRef.version}/namespaces/${namespace}/${drRef.plural}`, q: {} },
    { kind: 'pod', path: `/api/v1/namespaces/${namespace}/pods`, q: { labelSelector: `app=${name}` } },
  ];
  const initial = new Map<string, Map<string, Obj>>();
  let start = 0;
  const watches: Promise<void>[] = [];
  for (const source of sources) {
    const list = await api.list<Obj>(source.path, source.q);
    const rv = Number(list.metadata?.resourceVersion);
    start = Math.max(start, rv);
    initial.set(source.kind, new Map((list.items ?? []).map((o) => [o.metadata!.name!, o])));
    const query = { ...source.q, resourceVersion: String(rv), allowWatchBookmarks: false, timeoutSeconds: 900 };
    watches.push(
      api
        .watch(
          source.path,
          query,
          (e) => {
            const object = e.object as Obj;
            if (e.type === 'ERROR') broken ??= new Error(`${source.kind} watch failed: ${JSON.stringify(object)}`);
            else if (e.type !== 'BOOKMARK')
              events.push({
                rv: Number(object.metadata?.resourceVersion),
                seq: events.length,
                kind: source.kind,
                type: e.type,
                object,
              });
          },
          stopper.signal,
        )
        .then(
          () => {
            broken ??= new Error(`the API server ended the ${source.kind} watch: the timeline may have a hole`);
          },
          (err: unknown) => {
            if (!stopper.signal.aborted) broken ??= err instanceof Error ? err : new Error(String(err));
          },
        ),
    );
  }
  return {
    async stop() {
      stopper.abort();
      await Promise.all(watches);
      if (broken !== undefined) throw broken;
      const state = new Map([...initial].map(([kind, objects]) => [kind, new Map(objects)]));
      const moment = (rv: number): MeshMoment => ({
        rv,
        virtualService: state.get('vs')!.get(name) as MeshMoment['virtualService'],
        destinationRule: state.get('dr')!.get(name) as MeshMoment['destinationRule'],
        pods: [...state.get('pod')!.values()] as Pod[],
      });
      const ordered = [...events].sort((a, b) => a.rv - b.rv || a.seq - b.seq);
      const apply = (e: (typeof events)[number]) => {
        const objects = state.get(e.kind)!;
        if (e.type === 'DELETED') objects.delete(e.object.metadata!.name!);
        else objects.set(e.object.metadata!.name!, e.object);
      };
      // A kind listed before another may have events up to the later list's resource version: the first state
      // every watch agrees on is at `start`.
      for (const e of ordered) if (e.rv <= start) apply(e);
      const moments = [moment(start)];
      const later = ordered.filter((e) => e.rv > start);
      for (const [i, e] of later.entries()) {
        apply(e);
        if (later[i + 1]?.rv !== e.rv) moments.push(moment(e.rv));
      }
      return moments;
    },
  };
}
