/** What the background-task tests (backgroundTasks.test.ts and its review) measure: a Rollout, a due smoke metric, a Job. */
import type { DueMeasurement } from '../analysis/engine.ts';
import type { JobApi } from '../analysis/job.ts';
import type { Rollout } from '../api/types.ts';

export const rolloutIn = (namespace: string) =>
  ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout', namespace, uid: `uid-${namespace}` },
    spec: {},
  }) as Rollout;

export function due(provider: DueMeasurement['metric']['provider']): DueMeasurement {
  return {
    id: 'step-1/rev/at/smoke/0',
    run: { name: 'step-1', revision: 'rev' },
    metric: { name: 'smoke', provider },
    templateArgs: undefined,
    passedArgs: [],
    template: 'AnalysisTemplate shop/smoke',
    clusterScope: false,
    argsField: 'spec.strategy.canary.steps[1].analysis.args',
    field: 'AnalysisTemplate shop/smoke metrics[smoke]',
  };
}

export const job = { spec: { template: { spec: { containers: [{ name: 'smoke', image: 'curl' }] } } } };

/** A cluster where the Job never appears: the measurement waits until its timeout. */
export const readsNothing: JobApi = {
  create: () => Promise.reject(new Error('not in this test')),
  read: () => Promise.resolve(undefined),
  delete: () => Promise.resolve(),
  pods: () => Promise.resolve([]),
  log: () => Promise.resolve(''),
};
