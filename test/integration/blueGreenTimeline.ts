/**
 * What a blue-green rollout did, as the API server recorded it: every version of the Rollout, of its active Service
 * and of its ReplicaSets, from three watches merged into one timeline, and the promises a blue-green switch makes,
 * checked over that timeline. Polling samples: a selector that moved to an unready revision and back between two
 * polls would look like one that never moved. Watches see every write.
 */
import type { Rollout } from '../../controller/src/api/types.ts';
import { KubeJsonApi, type WatchEvent } from '../../controller/src/kube/kubeJsonApi.ts';
import { adminKubeConfig } from './support.ts';

export type Kind = 'Rollout' | 'Service' | 'ReplicaSet';

/** One version of one object: how it arrived (LIST for what existed when the watch began), when, and its body. */
export interface Seen {
  kind: Kind;
  type: 'LIST' | 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The resourceVersion: etcd's revision, one counter across every object of the cluster (see ordered()). */
  rv: bigint;
  /** Wall-clock ms at arrival, comparable with the controller's timestamps (same machine). */
  at: number;
  object: KubeObject;
}

interface KubeObject {
  metadata: { name: string; uid: string; resourceVersion: string; labels?: Record<string, string> };
  spec?: { replicas?: number; selector?: Record<string, string> };
  status?: { readyReplicas?: number };
}

export interface BlueGreenTimeline {
  readonly seen: readonly Seen[];
  /** The newest version of the Rollout. */
  rollout(): Rollout;
  /** Resolves on the first Rollout version, from now on (the newest one included), that passes `test`. */
  until(what: string, test: (r: Rollout) => boolean, timeoutMs?: number): Promise<Rollout>;
  /** Ends the watches; throws if one broke off early, since the timeline would then have a hole. */
  stop(): Promise<void>;
}

export async function watchBlueGreen(namespace: string, rollout: string, activeService: string) {
  const api = adminKubeConfig().makeApiClient(KubeJsonApi);
  const seen: Seen[] = [];
  const stopper = new AbortController();
  const waiters = new Set<{ test: (r: Rollout) => boolean; resolve: (r: Rollout) => void }>();
  let latest: Rollout | undefined;
  let broken: Error | undefined;

  const record = (kind: Kind, type: Seen['type'], object: KubeObject) => {
    seen.push({ kind, type, rv: BigInt(object.metadata.resourceVersion), at: Date.now(), object });
    if (kind !== 'Rollout' || type === 'DELETED') return;
    latest = object as unknown as Rollout;
    for (const w of waiters) {
      if (!w.test(latest)) continue;
      waiters.delete(w);
      w.resolve(latest);
    }
  };
  const follow = async (kind: Kind, path: string, query: Record<string, string>) => {
    const list = await api.list<KubeObject>(path, query);
    for (const item of list.items ?? []) record(kind, 'LIST', item);
    const onEvent = (e: WatchEvent) => {
      if (e.type === 'ERROR') broken ??= new Error(`the ${kind} watch failed: ${JSON.stringify(e.object)}`);
      else if (e.type !== 'BOOKMARK') record(kind, e.type, e.object as unknown as KubeObject);
    };
    const watchQuery = { ...query, resourceVersion: list.metadata?.resourceVersion, timeoutSeconds: 900 };
    return api.watch(path, watchQuery, onEvent, stopper.signal).then(
      () => void (broken ??= new Error(`the API server ended the ${kind} watch: the timeline may have a hole`)),
      (err: unknown) => {
        if (!stopper.signal.aborted) broken ??= err instanceof Error ? err : new Error(String(err));
      },
    );
  };
  const watching = [
    follow('Rollout', `/apis/sluice.dev/v1alpha1/namespaces/${namespace}/rollouts`, {
      fieldSelector: `metadata.name=${rollout}`,
    }),
    follow('Service', `/api/v1/namespaces/${namespace}/services`, { fieldSelector: `metadata.name=${activeService}` }),
    follow('ReplicaSet', `/apis/apps/v1/namespaces/${namespace}/replicasets`, {
      labelSelector: `sluice.dev/rollout=${rollout}`,
    }),
  ];
  const timeline: BlueGreenTimeline = {
    seen,
    rollout: () => latest!,
    until(what, test, timeoutMs = 60_000) {
      if (latest !== undefined && test(latest)) return Promise.resolve(latest);
      return new Promise<Rollout>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${what}; last status: ${JSON.stringify(latest?.status)}`,
            ),
          );
        }, timeoutMs);
        const waiter = { test, resolve: (r: Rollout) => (clearTimeout(timer), resolve(r)) };
        waiters.add(waiter);
      });
    },
    async stop() {
      stopper.abort();
      await Promise.all(watching);
      if (broken !== undefined) throw broken;
    },
  };
  await timeline.until('the Rollout in the first list', () => true, 10_000);
  return timeline;
}

/**
 * The timeline in the order the API server wrote it. resourceVersions are opaque to clients in general; here they
 * are etcd's revisions, and ordering by them is what lets three separate watches say which write came first (a
 * status write and the Service patch it decided arrive on different streams).
 */
export function ordered(seen: readonly Seen[]): Seen[] {
  return [...seen].sort((a, b) => (a.rv < b.rv ? -1 : a.rv > b.rv ? 1 : 0));
}

export interface SwitchPromises {
  /** The Rollout's replicas: a revision the active Service selects has that many pods, all ready. */
  replicas: number;
  /** The index of the switch step: active never selects the new revision before status has reached it. */
  switchStep: number;
  /** abortScaleDownDelaySeconds in ms: an aborted revision keeps its pods that long after status.abortedAt. */
  abortDelayMs: number;
}

export interface Verdict {
  /** Every broken promise, with the resourceVersion of the write that broke it. */
  violations: string[];
  /** The revisions the active Service selected, in order, repeats folded. */
  activeRevisions: string[];
}

/**
 * Replays the timeline and checks what blue-green promises at every write: the active Service selects only a
 * revision with all its pods ready, and moves only once status has recorded the decision (the switch step reached,
 * or the abort); a revision that served keeps its full size until its scale-down time (status.scaleDown) or, for
 * an aborted one, abortedAt + the abort delay; and each revision's ReplicaSet is created once.
 */
export function checkBlueGreen(seen: readonly Seen[], p: SwitchPromises): Verdict {
  const violations: string[] = [];
  const activeRevisions: string[] = [];
  const sets = new Map<string, KubeObject>();
  const uids = new Map<string, string>();
  const scaleDownAt = new Map<string, number>();
  const abortedAt = new Map<string, number>();
  const served = new Set<string>();
  let rollout: Rollout | undefined;
  let active: string | undefined;

  const fullAndReady = (revision: string) => {
    const rs = sets.get(revision);
    return (rs?.spec?.replicas ?? 0) >= p.replicas && (rs?.status?.readyReplicas ?? 0) >= p.replicas;
  };
  for (const s of ordered(seen)) {
    const at = `at resourceVersion ${s.rv}`;
    if (s.kind === 'Rollout') {
      rollout = s.object as unknown as Rollout;
      const st = rollout.status;
      for (const w of st?.scaleDown ?? [])
        if (w.scaleDownAt !== undefined) scaleDownAt.set(w.revision, Date.parse(w.scaleDownAt));
      if (st?.abort === true && st.abortedAt !== undefined && st.canaryRevision !== undefined)
        abortedAt.set(st.canaryRevision, Date.parse(st.abortedAt));
      continue;
    }
    if (s.kind === 'Service') {
      const selects = s.object.spec?.selector?.['sluice.dev/revision'];
      if (selects === undefined || selects === active) continue;
      const st = rollout?.status;
      // A list returns each object's newest version only: the ReplicaSet and status as they were then are not in it.
      if (s.type !== 'LIST') {
        if (!fullAndReady(selects)) {
          const rs = sets.get(selects);
          violations.push(
            `${at}: the active Service moved to ${selects}, whose ReplicaSet has ${rs?.status?.readyReplicas ?? 0}/${rs?.spec?.replicas ?? 0} ready of ${p.replicas}`,
          );
        }
        // The decision is status.weights (100 on the new revision: active on it); status.blueGreen.activeRevision
        // is the read-back, which follows the Service.
        const decided =
          st?.weights?.canary === 100 && st.canaryRevision !== st.stableRevision
            ? st.canaryRevision
            : st?.stableRevision;
        if (decided !== selects)
          violations.push(
            `${at}: the active Service moved to ${selects} before status recorded it (status says active ${decided})`,
          );
        const forward = selects === st?.canaryRevision && selects !== st.stableRevision;
        if (forward && (st.currentStepIndex ?? 0) < p.switchStep)
          violations.push(
            `${at}: the active Service moved to ${selects} at step ${st.currentStepIndex}, before the switch`,
          );
      }
      active = selects;
      served.add(selects);
      activeRevisions.push(selects);
      continue;
    }
    const revision = s.object.metadata.labels?.['sluice.dev/revision'] ?? '';
    const uid = uids.get(revision);
    if (uid !== undefined && uid !== s.object.metadata.uid)
      violations.push(`${at}: a second ReplicaSet of revision ${revision} (${s.object.metadata.name})`);
    uids.set(revision, s.object.metadata.uid);
    if (s.type === 'DELETED') {
      sets.delete(revision);
      continue;
    }
    sets.set(revision, s.object);
    if (revision === active && !fullAndReady(revision))
      violations.push(
        `${at}: revision ${revision} serves as active with ${s.object.status?.readyReplicas ?? 0}/${s.object.spec?.replicas ?? 0} ready of ${p.replicas}`,
      );
    const replicas = s.object.spec?.replicas ?? 0;
    if (revision !== active && served.has(revision) && replicas < p.replicas) {
      const due = Math.min(
        scaleDownAt.get(revision) ?? Infinity,
        (abortedAt.get(revision) ?? Infinity) + p.abortDelayMs,
      );
      if (s.at < due)
        violations.push(
          `${at}: revision ${revision}, which served, scaled to ${replicas} ${due === Infinity ? 'with no scale-down time recorded' : `${due - s.at} ms before its scale-down time`}`,
        );
    }
  }
  return { violations, activeRevisions };
}
