/**
 * Several watches of one cluster merged into one sequence of states, in the order the API server wrote them. The
 * resource versions of one etcd are one sequence, so a merge by resource version replays the states in between two
 * polls too: a story checks each of them, not a sample (the test cluster has one etcd; a resource version is opaque
 * only across etcds). routeTimeline and meshTimeline say which objects to watch and what a state is.
 */
import { KubeJsonApi } from '../../controller/src/kube/kubeJsonApi.ts';
import { adminKubeConfig } from './support.ts';

export type Obj = Record<string, unknown> & { metadata?: { name?: string; resourceVersion?: string } };

/** A collection to watch; `kind` names it in the state. */
export interface WatchSource {
  kind: string;
  path: string;
  q: Record<string, string>;
}

/** The objects of each source by name, as they were right after one write. */
export type WatchState = Map<string, Map<string, Obj>>;

export interface MergedTimeline<M> {
  /** Ends the watches and returns every state from the start of the watch; throws if a watch broke off. */
  stop(): Promise<M[]>;
}

/** Lists and watches every source; on stop, `moment` describes each state (the one at `start`, then each write). */
export async function watchMerged<M>(
  sources: readonly WatchSource[],
  moment: (state: WatchState, rv: number) => M,
): Promise<MergedTimeline<M>> {
  const api = adminKubeConfig().makeApiClient(KubeJsonApi);
  const stopper = new AbortController();
  const events: { rv: number; seq: number; kind: string; type: string; object: Obj }[] = [];
  let broken: Error | undefined;
  const initial: WatchState = new Map();
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
      const state: WatchState = new Map([...initial].map(([kind, objects]) => [kind, new Map(objects)]));
      const ordered = [...events].sort((a, b) => a.rv - b.rv || a.seq - b.seq);
      const apply = (e: (typeof events)[number]) => {
        const objects = state.get(e.kind)!;
        if (e.type === 'DELETED') objects.delete(e.object.metadata!.name!);
        else objects.set(e.object.metadata!.name!, e.object);
      };
      // A kind listed before another may have events up to the later list's resource version: the first state
      // every watch agrees on is at `start`.
      for (const e of ordered) if (e.rv <= start) apply(e);
      const moments = [moment(state, start)];
      const later = ordered.filter((e) => e.rv > start);
      for (const [i, e] of later.entries()) {
        apply(e);
        if (later[i + 1]?.rv !== e.rv) moments.push(moment(state, e.rv));
      }
      return moments;
    },
  };
}
