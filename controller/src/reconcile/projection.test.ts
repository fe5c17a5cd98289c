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

describe('an event of an object the cache holds at the same generation', () => {
  /** The fields these cases change or read, of an object as the API server sends it and as the cache keeps it. */
  interface Json {
    metadata: { resourceVersion?: string; generation?: number; uid?: string };
    spec: { replicas?: number; template: { spec: { containers: { image: string }[] } } };
    status?: unknown;
  }
  const fields = (obj: unknown) => obj as Json;
  const event = (obj: Json, change: (o: Json) => void) => {
    const next = structuredClone(obj);
    change(next);
    return forCache(next as unknown as KubeObject, deploymentsRef);
  };

  it('keeps the spec already cached (its pod template the same object) and takes the new metadata and status', () => {
    const t = cacheTransforms();
    const first = t.deployment(forCache(apiServerDeployment(1) as KubeObject, deploymentsRef));
    const update = event(fields(apiServerDeployment(1)), (d) => {
      d.metadata.resourceVersion = '9001';
      d.status = { availableReplicas: 3 };
    });
    const second = t.deployment(update, first);
    expect(second.spec).toBe(first.spec);
    expect(second.metadata?.resourceVersion).toBe('9001');
    expect(second.status).toEqual({ availableReplicas: 3 });
    expect(second).toEqual(t.deployment(structuredClone(update)));
  });

  it('projects a changed spec anew: the API server bumps the generation with every change to it', () => {
    const t = cacheTransforms();
    const first = t.deployment(forCache(apiServerDeployment(1) as KubeObject, deploymentsRef));
    const update = event(fields(apiServerDeployment(1)), (d) => {
      d.metadata.generation = 4;
      d.spec.template.spec.containers[0]!.image = 'registry.example/app:v2';
    });
    const second = fields(t.deployment(update, first));
    expect(second.spec).not.toBe(first.spec);
    expect(second.spec.template.spec.containers[0]!.image).toBe('registry.example/app:v2');
  });

  it('projects anew an object made again under the same name (another uid), even at the same generation', () => {
    const t = cacheTransforms();
    const first = t.replicaSet(forCache(apiServerReplicaSet(1) as KubeObject, replicaSetsRef));
    const again = fields(structuredClone(apiServerReplicaSet(1)));
    again.metadata.uid = 'another-uid';
    again.spec.template.spec.containers[0]!.image = 'registry.example/app:v2';
    const second = fields(t.replicaSet(forCache(again as unknown as KubeObject, replicaSetsRef), first));
    expect(second.spec).not.toBe(first.spec);
    expect(second.spec.template.spec.containers[0]!.image).toBe('registry.example/app:v2');
  });

  it('projects anew when either side has no generation to compare', () => {
    const t = cacheTransforms();
    const first = t.replicaSet(forCache(apiServerReplicaSet(1) as KubeObject, replicaSetsRef));
    const update = fields(structuredClone(apiServerReplicaSet(1)));
    delete update.metadata.generation;
    update.spec.replicas = 7;
    const second = fields(t.replicaSet(forCache(update as unknown as KubeObject, replicaSetsRef), first));
    expect(second.spec).not.toBe(first.spec);
    expect(second.spec.replicas).toBe(7);
  });
});
