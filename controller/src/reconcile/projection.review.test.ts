/**
 * Review of issue 20's cache projection and sharing (projection.ts, kube/sharedValues.ts): what one cached object
 * can do to another now that equal pod specs are one object.
 */
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { forCache } from '../kube/informerDecisions.ts';
import type { KubeObject } from '../kube/objectStore.ts';
import { deploymentsRef, replicaSetsRef } from '../kube/resourceRef.ts';
import { revisionOf } from '../planner/revision.ts';
import { buildReplicaSet } from '../workload/objects.ts';
import { apiServerDeployment, apiServerReplicaSet } from './apiServerObjects.test-support.ts';
import { cacheTransforms } from './projection.ts';
import type { Rollout } from '../api/types.ts';

describe('pod specs shared between cached objects', () => {
  // review: cacheTransforms gives every cached Deployment and ReplicaSet with an equal pod spec the same object,
  // across namespaces (the Deployment informer is cluster-wide), and leaves it writable. Every reader must copy it
  // before changing it (buildReplicaSet and templateOf do, with structuredClone); one that does not (a default filled
  // in, a container's env sorted, an image rewritten on the object at hand) changes, silently, the cached pod spec
  // of another team's Deployment and of the ReplicaSets Sluice builds for it: one namespace reaching another's
  // objects. A shared value must be immutable, so that such a write fails where it is made.
  it("cannot be changed through one team's Deployment under another team's ReplicaSet", () => {
    const transforms = cacheTransforms();
    // 7 and 357 have equal pod specs (the image is svc-7:1.4.0 for both) in namespaces team-7 and team-17.
    const ours = transforms.deployment(forCache(apiServerDeployment(7) as KubeObject, deploymentsRef)) as V1Deployment;
    const theirs = transforms.replicaSet(
      forCache(apiServerReplicaSet(357) as KubeObject, replicaSetsRef),
    ) as V1ReplicaSet;
    expect(ours.metadata?.namespace).not.toBe(theirs.metadata?.namespace);
    const image = theirs.spec!.template!.spec!.containers[0]!.image;
    try {
      ours.spec!.template.spec!.containers[0]!.image = 'attacker.example.com/shop/svc-7:evil';
    } catch {
      // A frozen value refuses the write: that is the fix.
    }
    expect(theirs.spec!.template!.spec!.containers[0]!.image).toBe(image);
  });
});

describe('fields the equivalence fixtures do not carry', () => {
  // review: the API server fixtures (apiServerObjects.test-support.ts) have no minReadySeconds and no
  // terminatingReplicas, so dropping either from the projection failed no test (tried: all of reconcile/ and kube/
  // stayed green). A built ReplicaSet would lose the Deployment's minReadySeconds (pods counted available at once),
  // and pods still shutting down would go uncounted. These pin them.
  it("keeps a Deployment's minReadySeconds for the ReplicaSets built from it", () => {
    const transforms = cacheTransforms();
    const whole = forCache(apiServerDeployment(7) as KubeObject, deploymentsRef) as V1Deployment;
    whole.spec!.minReadySeconds = 30;
    const kept = transforms.deployment(structuredClone(whole) as KubeObject) as V1Deployment;
    const rollout = { metadata: { name: 'svc-7', namespace: 'team-7', uid: 'u' }, spec: {} } as unknown as Rollout;
    const revision = revisionOf(whole.spec!.template);
    const built = buildReplicaSet(rollout, kept, revision, 1, 1);
    expect(built.spec?.minReadySeconds).toBe(30);
    expect(built).toEqual(buildReplicaSet(rollout, whole, revision, 1, 1));
  });

  it("keeps a ReplicaSet's minReadySeconds and terminatingReplicas", () => {
    const transforms = cacheTransforms();
    const whole = apiServerReplicaSet(7) as { spec: Record<string, unknown>; status: Record<string, unknown> };
    whole.spec.minReadySeconds = 30;
    whole.status.terminatingReplicas = 2;
    const kept = transforms.replicaSet(forCache(whole as KubeObject, replicaSetsRef)) as {
      spec?: { minReadySeconds?: number };
      status?: { terminatingReplicas?: number };
    };
    expect(kept.spec?.minReadySeconds).toBe(30);
    expect(kept.status?.terminatingReplicas).toBe(2);
  });
});
