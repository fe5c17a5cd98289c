/**
 * Building blocks of the blue-green stories: the Rollout spec, which revision a Service selects, and a watch that
 * keeps every version of one object. Polling samples: a selector that went blue -> green -> blue between two polls
 * looks like one that never moved, so a story that claims "active never selected the new revision" watches.
 */
import type { RolloutSpec } from '../../controller/src/api/types.ts';
import { KubeJsonApi, type KubeList } from '../../controller/src/kube/kubeJsonApi.ts';
import { revisionLabel } from '../../controller/src/workload/names.ts';
import { clients } from './rolloutStory.ts';
import { adminKubeConfig } from './support.ts';

export const blueGreenSpec = (name: string, blueGreen: Record<string, unknown> = {}): RolloutSpec => ({
  workloadRef: { name },
  service: { port: 80, targetPort: 8080 },
  strategy: {
    blueGreen: { activeService: `${name}-active`, previewService: `${name}-preview`, ...blueGreen },
  },
});

/** The revision label of the pods a Service's selector picks, read from the Service itself. */
export async function selectedRevision(namespace: string, service: string): Promise<string | undefined> {
  const s = await clients().core.readNamespacedService({ namespace, name: service });
  return s.spec?.selector?.[revisionLabel];
}

/** One version of a watched object and when the watch delivered it (Date.now(), the controller's clock too). */
export interface SeenVersion<T> {
  object: T;
  seenAt: number;
}

export interface ObjectHistory<T> {
  /** Every version so far, the one current when the watch started first. */
  readonly versions: readonly SeenVersion<T>[];
  /** Ends the watch; throws if it broke off early, since the history would then have a hole. */
  stop(): Promise<void>;
}

type Versioned = { metadata?: { resourceVersion?: string } };

/**
 * Watches the object `name` in the collection at `path` (e.g. /api/v1/namespaces/shop/services) from the version
 * current now, keeping every version in the order the API server wrote them.
 */
export async function watchObject<T extends Versioned>(path: string, name: string): Promise<ObjectHistory<T>> {
  const api = adminKubeConfig().makeApiClient(KubeJsonApi);
  const fieldSelector = `metadata.name=${name}`;
  const list: KubeList<T> = await api.list<T>(path, { fieldSelector });
  const versions: SeenVersion<T>[] = (list.items ?? []).map((object) => ({ object, seenAt: Date.now() }));
  const stopper = new AbortController();
  let broken: Error | undefined;
  const watching = api
    .watch(
      path,
      { fieldSelector, resourceVersion: list.metadata?.resourceVersion, timeoutSeconds: 600 },
      (event) => {
        if (event.type === 'ERROR') broken = new Error(`the watch of ${path}/${name} failed: ${JSON.stringify(event)}`);
        else if (event.type !== 'BOOKMARK') versions.push({ object: event.object as T, seenAt: Date.now() });
      },
      stopper.signal,
    )
    .then(
      () => {
        broken ??= new Error(`the API server ended the watch of ${path}/${name}: the history may have a hole`);
      },
      (err: unknown) => {
        if (!stopper.signal.aborted) broken ??= err instanceof Error ? err : new Error(String(err));
      },
    );
  return {
    versions,
    async stop() {
      stopper.abort();
      await watching;
      if (broken !== undefined) throw broken;
    },
  };
}

/** The values a history went through, with repeats of the same value folded into one. */
export function folded<T>(
  versions: readonly SeenVersion<T>[],
  value: (object: T) => string | undefined,
): (string | undefined)[] {
  const seen: (string | undefined)[] = [];
  for (const v of versions) if (seen.length === 0 || seen.at(-1) !== value(v.object)) seen.push(value(v.object));
  return seen;
}

/**
 * Where one write happened relative to another, across kinds. In this control plane a resourceVersion is the etcd
 * revision of the write, one counter for every object, so comparing two orders the writes; the API's promise that
 * they are opaque is about portability, which a story against its own control plane does not need.
 */
export function writtenBefore(a: Versioned, b: Versioned): boolean {
  return BigInt(a.metadata!.resourceVersion!) < BigInt(b.metadata!.resourceVersion!);
}

/** The names of the pods of a Rollout, sorted: the same list before and after means no pod started or went. */
export async function podNames(namespace: string, rollout: string): Promise<string[]> {
  const list = await clients().core.listNamespacedPod({ namespace, labelSelector: `sluice.dev/rollout=${rollout}` });
  return list.items.map((p) => p.metadata!.name!).sort();
}
