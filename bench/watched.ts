/**
 * The benchmark's view of Rollouts and HTTPRoutes in one namespace, kept by watches, with the arrival time
 * (wall clock, ms, sub-ms precision) of every change: "weight written" means "the API server's watch delivered it".
 * Waiting is event driven, so measuring adds no polling load to the API server.
 */
import type { Rollout } from '../controller/src/api/types.ts';
import { listWatch, rolloutRef, routeRef, type Kube } from './kube.ts';

/** Wall-clock milliseconds with the resolution of performance.now(), comparable with the controller's timestamps. */
export const wallNow = () => performance.timeOrigin + performance.now();

interface Route {
  metadata?: { name?: string; resourceVersion?: string };
  spec?: { rules?: { backendRefs?: { name: string; weight?: number }[] }[] };
}

/** The canary's percentage of an HTTPRoute written like the benchmark's (<name>-stable and <name>-canary backendRefs). */
export function canaryPercent(route: Route): number | undefined {
  const name = route.metadata?.name;
  const refs = route.spec?.rules?.[0]?.backendRefs ?? [];
  const canary = refs.find((r) => r.name === `${name}-canary`)?.weight ?? 1;
  const stable = refs.find((r) => r.name === `${name}-stable`)?.weight ?? 1;
  return canary + stable === 0 ? undefined : Math.round((canary * 100) / (canary + stable));
}

interface Waiter<T> {
  test: () => T | undefined;
  resolve: (v: T) => void;
}

export class Watched {
  readonly rollouts = new Map<string, Rollout>();
  /** Canary percent of each route and the wall-clock time that value arrived. */
  readonly weights = new Map<string, { percent: number | undefined; at: number }>();
  /** Called with each Rollout change as it arrives (the scale benchmark counts finished rollouts here). */
  onRollout: (r: Rollout, at: number) => void = () => {};
  #waiters = new Set<Waiter<unknown>>();
  #stops: (() => void)[] = [];

  static start(kube: Kube, namespace: string, opts: { routes: boolean }): Watched {
    const w = new Watched();
    const ro = listWatch<Rollout>(
      kube,
      `/apis/${rolloutRef.group}/${rolloutRef.version}/namespaces/${namespace}/${rolloutRef.plural}`,
      async () => (await kube.custom.listNamespacedCustomObject({ ...rolloutRef, namespace })) as { items: Rollout[] },
      (type, r) => {
        const at = wallNow();
        if (type === 'DELETED') w.rollouts.delete(r.metadata.name!);
        else w.rollouts.set(r.metadata.name!, r);
        w.onRollout(r, at);
        w.#check();
      },
    );
    w.#stops.push(ro.stop);
    if (opts.routes) {
      const rt = listWatch<Route>(
        kube,
        `/apis/${routeRef.group}/${routeRef.version}/namespaces/${namespace}/${routeRef.plural}`,
        async () => (await kube.custom.listNamespacedCustomObject({ ...routeRef, namespace })) as { items: Route[] },
        (_type, route) => {
          const at = wallNow();
          const percent = canaryPercent(route);
          const prev = w.weights.get(route.metadata!.name!);
          if (prev === undefined || prev.percent !== percent) w.weights.set(route.metadata!.name!, { percent, at });
          w.#check();
        },
      );
      w.#stops.push(rt.stop);
    }
    return w;
  }

  /** Resolves with test()'s first defined result, checked now and after every watched change; rejects after timeoutMs. */
  until<T>(what: string, test: () => T | undefined, timeoutMs: number): Promise<T> {
    const now = test();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<unknown> = {
        test,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  #check(): void {
    for (const w of this.#waiters) {
      const v = w.test();
      if (v !== undefined) {
        this.#waiters.delete(w);
        w.resolve(v);
      }
    }
  }

  stop(): void {
    for (const s of this.#stops) s();
  }
}
