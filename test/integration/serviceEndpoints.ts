/**
 * Every state of a Service's ready endpoints, from a watch on its EndpointSlices: what kube-proxy and every mesh
 * would route to. A poll samples: a Service that was empty for 300 ms between two polls looks as if it never was.
 * The watch sees each write of the EndpointSlice controller, so a story can prove there was no such moment.
 */
import { KubeJsonApi } from '../../controller/src/kube/kubeJsonApi.ts';
import { adminKubeConfig } from './support.ts';

interface Endpoint {
  conditions?: { ready?: boolean };
  targetRef?: { kind?: string; name?: string };
}
interface EndpointSlice {
  metadata: { name: string; resourceVersion?: string };
  endpoints?: Endpoint[] | null;
}

/** One state of the Service: the names of the pods behind it that are ready, after one EndpointSlice event. */
export interface EndpointSample {
  at: number;
  readyPods: string[];
}

export interface EndpointHistory {
  /** Every state seen so far, the one current when the watch started first. */
  readonly samples: readonly EndpointSample[];
  /** Ends the watch; throws if it broke off early, since the history would then have a hole. */
  stop(): Promise<void>;
}

/** A ready endpoint: the API says a missing `ready` means ready; a terminating pod's endpoint has ready false. */
function readyPods(slices: Map<string, EndpointSlice>): string[] {
  const pods: string[] = [];
  for (const slice of slices.values())
    for (const e of slice.endpoints ?? [])
      if (e.conditions?.ready !== false && e.targetRef?.kind === 'Pod' && e.targetRef.name !== undefined)
        pods.push(e.targetRef.name);
  return pods.sort();
}

/** The ready pods behind a Service now, from one list of its EndpointSlices. */
export async function readyEndpoints(namespace: string, service: string): Promise<string[]> {
  const list = await adminKubeConfig()
    .makeApiClient(KubeJsonApi)
    .list<EndpointSlice>(`/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`, {
      labelSelector: `kubernetes.io/service-name=${service}`,
    });
  return readyPods(new Map((list.items ?? []).map((s) => [s.metadata.name, s])));
}

export async function watchServiceEndpoints(namespace: string, service: string): Promise<EndpointHistory> {
  const api = adminKubeConfig().makeApiClient(KubeJsonApi);
  const path = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`;
  const labelSelector = `kubernetes.io/service-name=${service}`;
  const list = await api.list<EndpointSlice>(path, { labelSelector });
  const slices = new Map((list.items ?? []).map((s) => [s.metadata.name, s]));
  const samples: EndpointSample[] = [{ at: Date.now(), readyPods: readyPods(slices) }];
  const stopper = new AbortController();
  let broken: Error | undefined;
  const watching = api
    .watch(
      path,
      { labelSelector, resourceVersion: list.metadata?.resourceVersion, timeoutSeconds: 600 },
      (event) => {
        if (event.type === 'ERROR') {
          broken ??= new Error(`the EndpointSlice watch failed: ${JSON.stringify(event.object)}`);
          return;
        }
        if (event.type === 'BOOKMARK') return;
        const slice = event.object as unknown as EndpointSlice;
        if (event.type === 'DELETED') slices.delete(slice.metadata.name);
        else slices.set(slice.metadata.name, slice);
        samples.push({ at: Date.now(), readyPods: readyPods(slices) });
      },
      stopper.signal,
    )
    .then(
      () => {
        broken ??= new Error('the API server ended the EndpointSlice watch: the history may have a hole');
      },
      (err: unknown) => {
        if (!stopper.signal.aborted) broken ??= err instanceof Error ? err : new Error(String(err));
      },
    );
  return {
    samples,
    async stop() {
      stopper.abort();
      await watching;
      if (broken !== undefined) throw broken;
    },
  };
}

/** The ReplicaSet a pod belongs to, from its generated name (`<replicaset>-<5 characters>`). */
export function replicaSetOfPod(pod: string): string {
  return pod.replace(/-[a-z0-9]{5}$/, '');
}
