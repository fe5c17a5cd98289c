/**
 * Hostile-review test for a pending undo (issue 16), from the caches as the reconciler reads them: once its write
 * has landed, a later change that happens to put the old template back (GitOps self-heal) is a newer change, and
 * the undo must not be written over it again.
 */
import type { V1Deployment, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../api/types.ts';
import { planRollout } from '../planner/plan.ts';
import { revisionOf } from '../planner/revision.ts';
import type { Caches, ObjectCache } from './caches.ts';
import { observeWorld } from './observe.ts';

const template = (image: string): V1PodTemplateSpec => ({
  metadata: { labels: { app: 'checkout' } },
  spec: { containers: [{ name: 'app', image }] },
});
const v1 = template('shop/checkout:v1');
const v2 = template('shop/checkout:v2');
const [a, b] = [revisionOf(v1), revisionOf(v2)];

const replicaSet = (revision: string, content: V1PodTemplateSpec, number: number, replicas: number): V1ReplicaSet => ({
  metadata: {
    name: `checkout-${revision}`,
    namespace: 'shop',
    labels: { 'sluice.dev/rollout': 'checkout', 'sluice.dev/revision': revision },
    annotations: { 'sluice.dev/revision-number': String(number) },
    ownerReferences: [{ apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', name: 'checkout', uid: 'r1' }],
  },
  spec: { replicas, selector: { matchLabels: {} }, template: content },
  status: { replicas, readyReplicas: replicas, availableReplicas: replicas },
});

const deployment = (content: V1PodTemplateSpec, generation: number, resourceVersion: string): V1Deployment => ({
  metadata: { name: 'checkout', namespace: 'shop', generation, resourceVersion },
  spec: { replicas: 0, selector: { matchLabels: { app: 'checkout' } }, template: content },
});

const cache = <T>(items: T[]): ObjectCache<T> => ({
  get: (_ns, name) => items.find((i) => (i as { metadata?: { name?: string } }).metadata?.name === name),
  list: () => items,
});

function caches(d: V1Deployment): Caches {
  return {
    rollouts: cache([]),
    deployments: cache([d]),
    replicaSets: cache([replicaSet(a, v1, 1, 0), replicaSet(b, v2, 2, 4)]),
    services: cache([]),
    pods: undefined,
    podDisruptionBudgets: cache([]),
    autoscalers: cache([]),
    routed: new Map(),
    analysisTemplates: cache([]),
    clusterAnalysisTemplates: cache([]),
  };
}

const now = new Date('2026-11-30T12:00:00Z');
const routing = { router: undefined, invalid: undefined };

/** v1 then v2 released; v2 is stable; someone asks for undo. */
const rollout = (): Rollout => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  metadata: {
    name: 'checkout',
    namespace: 'shop',
    uid: 'r1',
    generation: 1,
    annotations: { 'sluice.dev/action': 'undo' },
  },
  spec: { workloadRef: { name: 'checkout' }, strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } } },
  status: { stableRevision: b, canaryRevision: b, currentStepIndex: 2, replicas: 4, phase: 'Healthy' },
});

/** The first reconcile decides the undo; then the Rollout as the executor leaves it (status written, annotation gone). */
function decided(): Rollout {
  const r = rollout();
  const first = planRollout(observeWorld(caches(deployment(v2, 4, '100')), r, routing, now));
  expect(first.undoTemplate).toEqual({ replicaSet: `checkout-${a}`, revision: a });
  return { ...r, metadata: { ...r.metadata, annotations: {} }, status: first.status };
}

describe('a pending undo whose write landed and was then reverted before the controller saw it', () => {
  // Defect (planner/undo.ts carryOnPending: "written again until the Deployment has the template" compares only the
  // template's revision with status.undo.from). The undo's write lands (generation 5, template v1); before the next
  // reconcile reads the cache, Argo CD's self-heal puts Git's v2 back (generation 6). The controller sees v2 ==
  // `from` and writes v1 again, fenced with the *new* resourceVersion, so the fence does not stop it: it overwrites
  // a change made after its decision, which the header of revisionWrites.ts promises never to do, and the two
  // writers can flip the Deployment back and forth for as long as the controller keeps missing v1. A Deployment
  // whose spec changed since the decision (its generation moved) must drop the pending undo as superseded.
  it('is not written again over the newer change', () => {
    const second = planRollout(observeWorld(caches(deployment(v2, 6, '131')), decided(), routing, now));
    expect(second.undoTemplate).toBeUndefined();
    expect(second.status.undo).toBeUndefined();
  });

  it('(control) a write that never landed (only the Deployment status changed) is written again', () => {
    const second = planRollout(observeWorld(caches(deployment(v2, 4, '104')), decided(), routing, now));
    expect(second.undoTemplate).toEqual({ replicaSet: `checkout-${a}`, revision: a });
  });
});
