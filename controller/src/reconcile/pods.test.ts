import { describe, expect, it } from 'vitest';
import { observePods, summarizePod } from './pods.ts';

/** A pod as the API server sends it, with the bulk a real one carries. */
const pod = (name: string, over: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'shop',
    uid: `uid-${name}`,
    resourceVersion: '42',
    creationTimestamp: '2026-11-30T10:00:00Z',
    labels: { app: 'checkout', 'sluice.dev/rollout': 'checkout', 'sluice.dev/revision': 'rev-a' },
    annotations: { 'example.com/config': 'x'.repeat(2_000) },
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'checkout-rev-a', uid: 'rs-a', controller: true },
    ],
    managedFields: [{ manager: 'kube-controller-manager', fieldsV1: { f: 'y'.repeat(2_000) } }],
  },
  spec: {
    containers: [{ name: 'app', image: 'example.invalid/app:v1', env: [{ name: 'A', value: 'z'.repeat(2_000) }] }],
  },
  status: {
    phase: 'Running',
    conditions: [
      { type: 'PodScheduled', status: 'True' },
      { type: 'Ready', status: 'True' },
    ],
    containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'example.invalid/app:v1' }],
  },
  ...over,
});

describe('summarizePod', () => {
  it('keeps only what a restart reads: a small fraction of the pod', () => {
    const full = pod('checkout-rev-a-x1');
    const kept = summarizePod(full);
    expect(kept).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'checkout-rev-a-x1',
        namespace: 'shop',
        resourceVersion: '42',
        uid: 'uid-checkout-rev-a-x1',
        creationTimestamp: '2026-11-30T10:00:00Z',
        labels: { 'sluice.dev/rollout': 'checkout', 'sluice.dev/revision': 'rev-a' },
        controllerUid: 'rs-a',
      },
      ready: true,
    });
    expect(JSON.stringify(kept).length * 20).toBeLessThan(JSON.stringify(full).length);
  });

  it('reads a pod not ready, one being deleted, and a watch bookmark (only a resourceVersion)', () => {
    const leaving = summarizePod(
      pod('p', {
        status: { conditions: [{ type: 'Ready', status: 'False' }] },
      }),
    );
    expect(leaving.ready).toBe(false);
    const deleting = summarizePod({ metadata: { name: 'q', deletionTimestamp: new Date('2026-11-30T11:00:00Z') } });
    expect(deleting.metadata.deletionTimestamp).toBe('2026-11-30T11:00:00.000Z');
    expect(summarizePod({ metadata: { resourceVersion: '7' } })).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { resourceVersion: '7', labels: {} },
      ready: false,
    });
  });
});

describe('observePods', () => {
  it("lists only the pods of the Rollout's own ReplicaSets, by the controller's uid", () => {
    const mine = summarizePod(pod('mine'));
    const forged = summarizePod(
      pod('forged', { metadata: { ...pod('x').metadata, name: 'forged', ownerReferences: [] } }),
    );
    const deleting = summarizePod(
      pod('going', { metadata: { ...pod('x').metadata, name: 'going', deletionTimestamp: '2026-11-30T11:00:00Z' } }),
    );
    expect(observePods([mine, forged, deleting], new Set(['rs-a']))).toEqual([
      {
        name: 'mine',
        uid: 'uid-mine',
        revision: 'rev-a',
        createdAt: '2026-11-30T10:00:00Z',
        ready: true,
        deleting: false,
      },
      {
        name: 'going',
        uid: 'uid-x',
        revision: 'rev-a',
        createdAt: '2026-11-30T10:00:00Z',
        ready: true,
        deleting: true,
      },
    ]);
  });
});
