/**
 * Every state a Gateway API app went through: its HTTPRoute, Sluice's two Services and the Rollout's pods, from
 * three watches merged in the order the API server wrote them (one etcd: resource versions are one sequence, so a
 * merge replays the states between two polls too). A story checks each state, not a sample.
 */
import { watchMerged, type MergedTimeline, type WatchSource } from './mergedWatch.ts';

interface Pod {
  metadata?: { labels?: Record<string, string>; deletionTimestamp?: string };
  status?: { conditions?: { type?: string; status?: string }[] };
}
interface Route {
  spec?: { rules?: { backendRefs?: { name?: string; weight?: number }[] }[] };
}
interface Service {
  spec?: { selector?: Record<string, string> };
}

/** One state: right after the write with resource version `rv`. */
export interface RouteMoment {
  rv: number;
  /** The canary's share in the route, in percent (undefined while the route has no weight). */
  canaryWeight: number | undefined;
  /** The revision each of Sluice's Services selects. */
  stableSelects: string | undefined;
  canarySelects: string | undefined;
  /** Ready, not terminating pods by revision. */
  ready: Map<string, number>;
}

const revisionLabel = 'sluice.dev/revision';

const isReady = (pod: Pod) =>
  pod.metadata?.deletionTimestamp === undefined &&
  (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export type RouteTimeline = MergedTimeline<RouteMoment>;

export async function watchRoute(namespace: string, name: string): Promise<RouteTimeline> {
  const sources: WatchSource[] = [
    { kind: 'route', path: `/apis/gateway.networking.k8s.io/v1/namespaces/${namespace}/httproutes`, q: {} },
    { kind: 'svc', path: `/api/v1/namespaces/${namespace}/services`, q: {} },
    { kind: 'pod', path: `/api/v1/namespaces/${namespace}/pods`, q: { labelSelector: `sluice.dev/rollout=${name}` } },
  ];
  return watchMerged(sources, (state, rv): RouteMoment => {
    const route = state.get('route')!.get(name) as Route | undefined;
    const refs = route?.spec?.rules?.[0]?.backendRefs ?? [];
    const weight = (role: string) => refs.find((r) => r.name === `${name}-${role}`)?.weight ?? 0;
    const total = weight('stable') + weight('canary');
    const selects = (role: string) =>
      (state.get('svc')!.get(`${name}-${role}`) as Service | undefined)?.spec?.selector?.[revisionLabel];
    const ready = new Map<string, number>();
    for (const pod of state.get('pod')!.values() as Iterable<Pod>) {
      const revision = pod.metadata?.labels?.[revisionLabel];
      if (revision !== undefined && isReady(pod)) ready.set(revision, (ready.get(revision) ?? 0) + 1);
    }
    return {
      rv,
      canaryWeight: total === 0 ? undefined : Math.round((weight('canary') * 100) / total),
      stableSelects: selects('stable'),
      canarySelects: selects('canary'),
      ready,
    };
  });
}

/**
 * The states in which a backend got a larger share than the ready pods of the revision its Service selects carry
 * at full size `replicas` (share x replicas > ready x 100), described for a failure message.
 */
export function overloaded(moments: readonly RouteMoment[], replicas: number): string[] {
  const out: string[] = [];
  for (const m of moments) {
    if (m.canaryWeight === undefined) continue;
    const shares = [
      { role: 'stable', revision: m.stableSelects, share: 100 - m.canaryWeight },
      { role: 'canary', revision: m.canarySelects, share: m.canaryWeight },
    ];
    for (const s of shares) {
      const ready = s.revision === undefined ? 0 : (m.ready.get(s.revision) ?? 0);
      if (s.share > 0 && s.share * replicas > ready * 100)
        out.push(`rv ${m.rv}: ${s.role} (${s.revision}) had ${s.share}% with ${ready}/${replicas} ready pods`);
    }
  }
  return out;
}
