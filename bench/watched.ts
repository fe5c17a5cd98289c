/**
 * The benchmark's view of Rollouts and of the router objects (HTTPRoutes, VirtualServices...) in one namespace, kept by watches, with the arrival time
 * (wall clock, ms, sub-ms precision) of every change: "weight written" means "the API server's watch delivered it".
 * Waiting is event driven, so measuring adds no polling load to the API server.
 */
import type { Rollout } from '../controller/src/api/types.ts';
import { listWatch, rolloutRef, type Kube } from './kube.ts';
import type { RouterObjects } from './routerObjects.ts';

/** Wall-clock milliseconds with the resolution of performance.now(), comparable with the controller's timestamps. */
export const wallNow = () => performance.timeOrigin + performance.now();

interface ServiceSpec {
  selector?: Record<string, string>;
}
interface ServiceObject {
  metadata?: { name?: string; resourceVersion?: string };
  spec?: ServiceSpec;
}

interface Waiter<T> {
  test: () => T | undefined;
  resolve: (v: T) => void;
}

export class Watched {
  readonly rollouts = new Map<string, Rollout>();
  /** Canary percent of each app, read from its router object, and the wall-clock time that value arrived. */
  readonly weights = new Map<string, { percent: number | undefined; at: number }>();
  /** With `services`: the revision each Service selects (sluice.dev/revision), and when that value arrived. */
  readonly selectors = new Map<string, { revision: string | undefined; at: number }>();
  /** Called with each Rollout change as it arrives (the scale benchmark counts finished rollouts here). */
  onRollout: (r: Rollout, at: number) => void = () => {};
  #waiters = new Set<Waiter<unknown>>();
  #stops: (() => void)[] = [];

  /**
   * Watches the Rollouts, with `router` the kind of object that carries their weight, and with `services` the
   * Services' selectors (blue-green switches by its active Service's).
   */
  static start(
    kube: Kube,
    namespace: string,
    opts: { router: RouterObjects | undefined; services?: boolean },
  ): Watched {
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
    const router = opts.router;
    if (router !== undefined) {
      const { kind } = router;
      const rt = listWatch<{ metadata?: { name?: string; resourceVersion?: string } }>(
        kube,
        `/apis/${kind.group}/${kind.version}/namespaces/${namespace}/${kind.plural}`,
        async () => (await kube.custom.listNamespacedCustomObject({ ...kind, namespace })) as { items: object[] },
        (type, obj) => {
          const at = wallNow();
          const read = router.weightOf(obj);
          if (read === undefined) return;
          // A deleted object has no weight left to read.
          const percent = type === 'DELETED' ? undefined : read.percent;
          const prev = w.weights.get(read.app);
          if (prev === undefined || prev.percent !== percent) w.weights.set(read.app, { percent, at });
          w.#check();
        },
      );
      w.#stops.push(rt.stop);
    }
    if (opts.services === true) {
      const svc = listWatch<ServiceObject>(
        kube,
        `/api/v1/namespaces/${namespace}/services`,
        () => kube.core.listNamespacedService({ namespace }),
        (type, s) => {
          const at = wallNow();
          const name = s.metadata?.name ?? '';
          const revision = type === 'DELETED' ? undefined : s.spec?.selector?.['sluice.dev/revision'];
          if (!w.selectors.has(name) || w.selectors.get(name)!.revision !== revision)
            w.selectors.set(name, { revision, at });
          w.#check();
        },
      );
      w.#stops.push(svc.stop);
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
