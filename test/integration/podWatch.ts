/**
 * Every change to a Rollout's pods, from a watch, so that a story can say what held at every moment (the fewest
 * ready pods of a revision while they were being replaced), not only at the moments it happened to poll.
 */
import { KubeJsonApi } from '../../controller/src/kube/kubeJsonApi.ts';
import { clients } from './rolloutStory.ts';
import { adminKubeConfig } from './support.ts';

export interface WatchedPod {
  name: string;
  revision: string;
  createdAt: string;
  ready: boolean;
  /** It has a deletionTimestamp (evicted or deleted), or is gone. */
  leaving: boolean;
}

export interface PodHistory {
  /** The pods as they are now (gone ones included, as leaving). */
  readonly pods: ReadonlyMap<string, WatchedPod>;
  /** The fewest ready pods of `revision` not on their way out, at any moment since the watch began. */
  fewestReady(revision: string): number;
  /** Ends the watch; throws if it broke off early (the history would have a hole). */
  stop(): Promise<void>;
}

interface PodJson {
  metadata: {
    name: string;
    resourceVersion: string;
    creationTimestamp: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
  };
  status?: { conditions?: { type: string; status: string }[] };
}

function read(pod: PodJson, gone: boolean): WatchedPod {
  return {
    name: pod.metadata.name,
    revision: pod.metadata.labels?.['sluice.dev/revision'] ?? '',
    createdAt: pod.metadata.creationTimestamp,
    ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
    leaving: gone || pod.metadata.deletionTimestamp !== undefined,
  };
}

export async function watchPods(namespace: string, rollout: string): Promise<PodHistory> {
  const labelSelector = `sluice.dev/rollout=${rollout}`;
  const list = await clients().core.listNamespacedPod({ namespace, labelSelector });
  const pods = new Map<string, WatchedPod>();
  const fewest = new Map<string, number>();
  const count = () => {
    const ready = new Map<string, number>();
    for (const p of pods.values()) if (p.ready && !p.leaving) ready.set(p.revision, (ready.get(p.revision) ?? 0) + 1);
    for (const revision of new Set([...ready.keys(), ...fewest.keys()]))
      fewest.set(revision, Math.min(fewest.get(revision) ?? Infinity, ready.get(revision) ?? 0));
  };
  for (const item of list.items)
    pods.set(item.metadata!.name!, read(JSON.parse(JSON.stringify(item)) as PodJson, false));
  count();
  const stopper = new AbortController();
  let broken: Error | undefined;
  const watching = adminKubeConfig()
    .makeApiClient(KubeJsonApi)
    .watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { labelSelector, resourceVersion: list.metadata!.resourceVersion!, timeoutSeconds: 600 },
      (event) => {
        if (event.type === 'ERROR') broken = new Error(`the pod watch failed: ${JSON.stringify(event.object)}`);
        if (event.type !== 'ADDED' && event.type !== 'MODIFIED' && event.type !== 'DELETED') return;
        const pod = read(event.object as unknown as PodJson, event.type === 'DELETED');
        pods.set(pod.name, pod);
        count();
      },
      stopper.signal,
    )
    .then(
      () => {
        broken ??= new Error('the API server ended the pod watch: the history may have a hole');
      },
      (err: unknown) => {
        if (!stopper.signal.aborted) broken ??= err instanceof Error ? err : new Error(String(err));
      },
    );
  return {
    pods,
    fewestReady: (revision) => fewest.get(revision) ?? 0,
    async stop() {
      stopper.abort();
      await watching;
      if (broken !== undefined) throw broken;
    },
  };
}
