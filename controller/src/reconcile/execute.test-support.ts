/** The fixtures of the executor's tests: a Rollout, its ReplicaSets, a plan, and clients that record each call. */
import type { V1ReplicaSet } from '@kubernetes/client-node';
import type { Rollout, RolloutStatus } from '../api/types.ts';
import type { TrafficIntent } from '../routers/router.ts';
import type { Plan } from '../planner/world.ts';
import type { Caches } from './caches.ts';
import type { ExecuteContext } from './execute.ts';

export const rollout: Rollout = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  metadata: {
    name: 'checkout',
    namespace: 'shop',
    uid: 'u1',
    resourceVersion: '10',
    annotations: { 'sluice.dev/action': 'abort' },
  },
  spec: { workloadRef: { name: 'checkout' }, strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } } },
  status: { stableRevision: 'a', canaryRevision: 'b', currentStepIndex: 1, weights: { canary: 20, stable: 80 } },
};

export const rs = (revision: string, replicas: number): V1ReplicaSet => ({
  metadata: {
    name: `checkout-${revision}`,
    namespace: 'shop',
    uid: `rs-${revision}`,
    resourceVersion: '1',
    labels: { 'sluice.dev/revision': revision },
  },
  spec: { replicas, selector: { matchLabels: {} }, template: {} },
});

export const abortPlan = (status: Partial<RolloutStatus> = {}): Plan => ({
  status: {
    ...rollout.status,
    abort: true,
    abortedAt: '2026-11-30T00:00:00Z',
    handledAction: 'abort',
    weights: { canary: 0, stable: 100 },
    ...status,
  },
  replicaSets: [{ revision: 'a', replicas: 4 }],
  services: undefined,
  canaryWeight: 0,
  routes: [],
  takeOverDeployment: undefined,
  revisionNumber: undefined,
  undoTemplate: undefined,
  clearAction: true,
  flagOperations: [
    {
      id: 'op',
      operation: {
        kind: 'disable',
        flag: { name: 'f', project: 'p', environment: 'e', previousEnabled: false, rollout: 20, onAbort: 'disable' },
      },
      retry: false,
    },
  ],
  deleteReplicaSets: [],
  evictions: [],
  events: [{ type: 'Warning', reason: 'Aborted', message: 'aborted by a user request' }],
  requeueAfterMs: undefined,
});

/** An executor context whose every write is recorded in `calls`; `fail` makes the named write throw. */
export function recorder(
  fail: Partial<Record<'status' | 'route' | 'clear' | 'scale', Error>> = {},
  fence: () => void = () => {},
) {
  const calls: string[] = [];
  const statuses: RolloutStatus[] = [];
  let rv = 10;
  const attempt = (what: keyof typeof fail, label: string) => {
    calls.push(label);
    if (fail[what] !== undefined) throw fail[what];
  };
  const empty = { get: () => undefined, list: () => [] };
  const ctx = {
    rollout,
    deployment: undefined,
    replicaSets: [rs('a', 4), rs('b', 1)],
    router: {
      kind: 'test',
      observe: () => undefined,
      differs: () => true,
      apply: (intent: TrafficIntent) => Promise.resolve().then(() => attempt('route', `route ${intent.canaryWeight}%`)),
    },
    caches: { services: empty } as unknown as Caches,
    clients: {
      apps: {
        patchNamespacedReplicaSet: (p: { name: string; body: { spec: { replicas: number } } }) =>
          Promise.resolve().then(() => attempt('scale', `scale ${p.name} to ${p.body.spec.replicas}`)),
      },
      core: {},
      custom: {
        replaceNamespacedCustomObjectStatus: (p: {
          body: { status: RolloutStatus; metadata: { resourceVersion: string } };
        }) =>
          Promise.resolve().then(() => {
            attempt(
              'status',
              `status@${p.body.metadata.resourceVersion}${p.body.status.handledAction === undefined ? '' : ' handled'}${p.body.status.conditions?.some((c) => c.type === 'WriteFailed') === true ? ' WriteFailed' : ''}`,
            );
            statuses.push(p.body.status);
            return { metadata: { resourceVersion: String(++rv) } };
          }),
        patchNamespacedCustomObject: () =>
          Promise.resolve().then(() => {
            attempt('clear', 'remove the action annotation');
            return { metadata: { resourceVersion: String(++rv) } };
          }),
        patchNamespacedCustomObjectStatus: (p: { body: { status: Record<string, unknown> } }) =>
          Promise.resolve().then(() => {
            calls.push(`status patch ${JSON.stringify(p.body.status)}`);
            return { metadata: { resourceVersion: String(++rv) } };
          }),
      },
    },
    fence,
    events: { record: (_r: Rollout, e: { reason: string }) => calls.push(`event ${e.reason}`) },
    onRolloutWritten: () => {},
    onPruneFailed: () => {},
    dispatchFlagOperations: (ops: readonly unknown[]) => calls.push(`dispatch ${ops.length} flag operation(s)`),
  } as unknown as ExecuteContext;
  return { ctx, calls, statuses };
}
