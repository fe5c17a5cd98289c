/** Rollouts, templates and caches for the dashboard's tests: plain objects as the informer caches hold them. */
import type { AnalysisTemplate, Rollout, RolloutSpec, RolloutStatus } from '../api/types.ts';
import type { ObjectCache } from '../reconcile/caches.ts';

export function rollout(
  namespace: string,
  name: string,
  status?: RolloutStatus,
  spec: Partial<RolloutSpec> = {},
): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { namespace, name, uid: `uid-${name}`, creationTimestamp: new Date('2026-11-29T02:00:00Z') },
    spec: {
      workloadRef: { name },
      strategy: {
        canary: {
          steps: [
            { setWeight: 20 },
            { pause: { duration: '30s' } },
            { analysis: { templates: [{ templateName: 'error-rate' }] } },
            { setWeight: 60 },
            { pause: {} },
          ],
          analysis: { templates: [{ templateName: 'latency', clusterScope: true }] },
        },
      },
      ...spec,
    },
    ...(status === undefined ? {} : { status }),
  };
}

export const progressing = (weight: number, step: number): RolloutStatus => ({
  phase: 'Progressing',
  message: `step ${step + 1}/5`,
  currentStepIndex: step,
  stableRevision: 'aaa',
  canaryRevision: 'bbb',
  weights: { canary: weight, stable: 100 - weight },
});

export function template(
  namespace: string,
  name: string,
  metrics: AnalysisTemplate['spec']['metrics'],
): AnalysisTemplate {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { namespace, name },
    spec: { metrics },
  };
}

export const prometheus = { prometheus: { address: 'http://prometheus:9090', query: 'vector(0)' } };

/** An ObjectCache over a map, which tests change directly. */
export class FakeCache<T extends { metadata: { namespace?: string; name?: string } }> implements ObjectCache<T> {
  readonly objects = new Map<string, T>();

  constructor(objects: T[] = []) {
    for (const o of objects) this.put(o);
  }

  put(o: T): void {
    this.objects.set(`${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
  }

  delete(namespace: string, name: string): void {
    this.objects.delete(`${namespace}/${name}`);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.objects.get(`${namespace ?? ''}/${name}`);
  }

  list(namespace?: string): T[] {
    return [...this.objects.values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace);
  }
}
