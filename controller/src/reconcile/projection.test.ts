import { describe, expect, it } from 'vitest';
import { forCache } from '../kube/informerDecisions.ts';
import type { KubeObject } from '../kube/objectStore.ts';
import {
  autoscalersRef,
  deploymentsRef,
  podDisruptionBudgetsRef,
  podsRef,
  replicaSetsRef,
  servicesRef,
  type ResourceRef,
} from '../kube/resourceRef.ts';
import {
  apiServerAutoscaler,
  apiServerDeployment,
  apiServerPod,
  apiServerPodDisruptionBudget,
  apiServerReplicaSet,
  apiServerService,
  podTemplate,
} from './apiServerObjects.test-support.ts';
import { summarizePod } from './pods.ts';
import {
  cacheTransforms,
  projectAutoscaler,
  projectDeployment,
  projectPodDisruptionBudget,
  projectReplicaSet,
  projectService,
  type Projection,
} from './projection.ts';

/** As the informer caches it: forCache, then the kind's projection. */
const cached = (obj: Record<string, unknown>, ref: ResourceRef, projection: Projection) =>
  projection(forCache(obj as KubeObject, ref));

const owner = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  name: 'svc-7',
  uid: 'rollout-0000-4000-8000-000000000007',
  controller: true,
  blockOwnerDeletion: true,
};
const sluiceLabels = { 'sluice.dev/rollout': 'svc-7', 'sluice.dev/revision': '5c8d7f9b64' };
const meta = (kind: string) => ({
  namespace: 'team-7',
  uid: `${kind}-0000-4000-8000-000000000007`,
  resourceVersion: '100007',
  creationTimestamp: '2026-11-30T12:00:00Z',
});

describe('what the caches keep of each kind', () => {
  it('keeps of a Deployment its metadata, the spec a ReplicaSet is built from, and its available replicas', () => {
    expect(cached(apiServerDeployment(7), deploymentsRef, projectDeployment)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'svc-7',
        ...meta('deploy'),
        generation: 3,
        labels: { app: 'svc-7', team: 'team-7' },
        annotations: { 'deployment.kubernetes.io/revision': '1', 'sluice.dev/recorded-replicas': '4' },
      },
      spec: { replicas: 0, selector: { matchLabels: { app: 'svc-7' } }, template: podTemplate(7) },
      status: { availableReplicas: 0 },
    });
  });

  it('keeps of a ReplicaSet its pod template whole (an undo copies it) and the replica counts the planner reads', () => {
    const template = podTemplate(7) as { metadata: { labels: object } };
    expect(cached(apiServerReplicaSet(7), replicaSetsRef, projectReplicaSet)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'svc-7-5c8d7f9b64',
        ...meta('rs'),
        generation: 2,
        labels: sluiceLabels,
        annotations: { 'sluice.dev/revision-number': '1' },
        ownerReferences: [owner],
      },
      spec: {
        replicas: 4,
        selector: { matchLabels: { app: 'svc-7', ...sluiceLabels } },
        template: { ...template, metadata: { labels: { ...template.metadata.labels, ...sluiceLabels } } },
      },
      status: { replicas: 4, readyReplicas: 4, availableReplicas: 4 },
    });
  });

  it('keeps of a Service its selector, ports and type', () => {
    expect(cached(apiServerService(7), servicesRef, projectService)).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'svc-7-stable',
        ...meta('svc'),
        labels: { 'sluice.dev/rollout': 'svc-7' },
        ownerReferences: [owner],
      },
      spec: {
        ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
        selector: sluiceLabels,
        type: 'ClusterIP',
      },
    });
  });

  it('keeps of a PodDisruptionBudget its budget and selector, not its status', () => {
    expect(cached(apiServerPodDisruptionBudget(7), podDisruptionBudgetsRef, projectPodDisruptionBudget)).toEqual({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: {
        name: 'svc-7',
        ...meta('pdb'),
        generation: 1,
        labels: { 'sluice.dev/rollout': 'svc-7' },
        ownerReferences: [owner],
      },
      spec: { maxUnavailable: 1, selector: { matchLabels: { 'sluice.dev/rollout': 'svc-7' } } },
    });
  });

  it('keeps of a HorizontalPodAutoscaler only what it scales', () => {
    expect(cached(apiServerAutoscaler(7), autoscalersRef, projectAutoscaler)).toEqual({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'svc-7', ...meta('hpa') },
      spec: { scaleTargetRef: { apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', name: 'svc-7' } },
    });
  });

  it('keeps of a pod the five fields a restart reads', () => {
    expect(cached(apiServerPod(7), podsRef, summarizePod)).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'svc-7-5c8d7f9b64-0x0007',
        namespace: 'team-7',
        uid: 'pod0-0000-4000-8000-000000000007',
        resourceVersion: '100007',
        creationTimestamp: '2026-11-30T12:00:00Z',
        labels: sluiceLabels,
        controllerUid: 'rs-0000-4000-8000-000000000007',
      },
      ready: true,
    });
  });

  it('adds no section an object does not have: a bookmark stays a bookmark, a missing template stays missing', () => {
    const bookmark = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { resourceVersion: '42' } };
    for (const projection of [projectDeployment, projectReplicaSet, projectService, projectAutoscaler])
      expect(projection(bookmark)).toEqual(bookmark);
    const withoutTemplate = projectDeployment({ metadata: { name: 'd' }, spec: { replicas: 2 } });
    expect(withoutTemplate).toEqual({ metadata: { name: 'd' }, spec: { replicas: 2 } });
    expect(Object.keys(withoutTemplate.spec as object)).toEqual(['replicas']);
  });

  it('does not change the object it was given: the watch event stays whole for whoever else holds it', () => {
    const whole = apiServerReplicaSet(3);
    const before = structuredClone(whole);
    projectReplicaSet(whole);
    expect(whole).toEqual(before);
  });

  it('takes bookmarks and odd shapes through every transform the informers apply without failing or adding to them', () => {
    const transforms = cacheTransforms();
    const bookmark = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { resourceVersion: '42' } };
    for (const transform of Object.values(transforms)) expect(transform(structuredClone(bookmark))).toBeDefined();
    for (const transform of [transforms.deployment, transforms.replicaSet, transforms.whole])
      expect(transform(structuredClone(bookmark))).toEqual(bookmark);
    const odd = { metadata: { name: 'd' }, spec: { template: { spec: 'not an object' } } };
    expect(transforms.deployment(structuredClone(odd))).toEqual(odd);
    expect(transforms.replicaSet({ metadata: { name: 'r' }, spec: null })).toEqual({ metadata: { name: 'r' } });
  });
});
