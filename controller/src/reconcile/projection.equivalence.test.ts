/**
 * The projection's promise: a reader that gets a projected object behaves exactly as with the whole one. Checked
 * where Sluice reads the caches: the world the planner is given, the plan it makes, the ReplicaSet the executor
 * builds from the Deployment, the template an undo writes back, and the selector a hand-over gives the Services.
 */
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../api/types.ts';
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
import { planRollout } from '../planner/plan.ts';
import { revisionOf } from '../planner/revision.ts';
import { buildReplicaSet } from '../workload/objects.ts';
import {
  apiServerAutoscaler,
  apiServerDeployment,
  apiServerPod,
  apiServerPodDisruptionBudget,
  apiServerReplicaSet,
  apiServerRollout,
  apiServerService,
} from './apiServerObjects.test-support.ts';
import type { Caches, ObjectCache } from './caches.ts';
import { observeWorld } from './observe.ts';
import { summarizePod } from './pods.ts';
import { cacheTransforms, type Projection } from './projection.ts';
import { templateOf } from './revisionWrites.ts';

type Json = Record<string, unknown>;

const cache = <T>(items: T[]): ObjectCache<T> => ({
  get: (ns, name) =>
    items.find((i) => {
      const m = (i as KubeObject).metadata;
      return m?.name === name && (ns === undefined || m.namespace === ns);
    }),
  list: (ns) => items.filter((i) => ns === undefined || (i as KubeObject).metadata?.namespace === ns),
});

/** One Rollout's world as the API server sends it: the Deployment at `image`, the stable ReplicaSet, Services, ... */
function cluster(image: string) {
  const deployment = apiServerDeployment(7) as { spec: { template: { spec: { containers: Json[] } } } };
  const stableTemplate = structuredClone(deployment.spec.template);
  deployment.spec.template.spec.containers[0]!.image = image;
  const stable = revisionOf(stableTemplate);
  const rs = apiServerReplicaSet(7, stable) as { spec: { template: Json } };
  // The stable ReplicaSet was built from the template before this change.
  rs.spec.template = { ...stableTemplate, metadata: (rs.spec.template as { metadata: Json }).metadata };
  const rollout = apiServerRollout(7) as { spec: Json; status: Json };
  rollout.spec.service = { port: 80, targetPort: 8080 };
  rollout.spec.restartAt = '2026-11-30T12:30:00Z';
  Object.assign(rollout.status, { stableRevision: stable, canaryRevision: stable });
  const hpa = apiServerAutoscaler(7) as { spec: { scaleTargetRef: Json } };
  hpa.spec.scaleTargetRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'svc-7' };
  const pods = [0, 1, 2, 3].map((n) => {
    const pod = apiServerPod(7, n) as { metadata: { labels: Json } };
    pod.metadata.labels['sluice.dev/revision'] = stable;
    return pod;
  });
  const service = (role: string) => {
    const s = apiServerService(7, role) as { spec: { selector: Json } };
    s.spec.selector['sluice.dev/revision'] = stable;
    return s;
  };
  return {
    rollout,
    deployments: [deployment],
    replicaSets: [rs],
    services: [service('stable'), service('canary')],
    pods,
    podDisruptionBudgets: [apiServerPodDisruptionBudget(7)],
    autoscalers: [hpa],
  };
}

/** The caches from those objects: whole (forCache only), or as the controller keeps them (cacheTransforms). */
function caches(world: ReturnType<typeof cluster>, projected: boolean): Caches {
  const transforms = cacheTransforms();
  const keep = <T>(objects: unknown[], ref: ResourceRef, transform: Projection, before?: Projection): ObjectCache<T> =>
    cache(
      objects.map((o) => {
        const whole = forCache(structuredClone(o) as KubeObject, ref);
        return (projected ? transform(whole) : before === undefined ? whole : before(whole)) as T;
      }),
    );
  const rolloutRef = { ...deploymentsRef, group: 'sluice.dev', kind: 'Rollout', plural: 'rollouts' };
  return {
    rollouts: keep([world.rollout], rolloutRef, transforms.whole),
    deployments: keep(world.deployments, deploymentsRef, transforms.deployment),
    replicaSets: keep(world.replicaSets, replicaSetsRef, transforms.replicaSet),
    services: keep(world.services, servicesRef, transforms.service),
    // Pods were projected before this change (pods.ts): only the interning is new for them.
    pods: keep(world.pods, podsRef, transforms.pod, summarizePod),
    podDisruptionBudgets: keep(world.podDisruptionBudgets, podDisruptionBudgetsRef, transforms.podDisruptionBudget),
    autoscalers: keep(world.autoscalers, autoscalersRef, transforms.autoscaler),
    routed: new Map(),
    analysisTemplates: cache([]),
    clusterAnalysisTemplates: cache([]),
  };
}

const now = new Date('2026-11-30T13:00:00Z');
const routing = { router: undefined, invalid: undefined };

describe('readers of projected objects decide as with the whole ones', () => {
  for (const [story, image] of [
    ['a steady Rollout (the Deployment at the stable template)', 'registry.example.com/shop/svc-7:1.4.0'],
    ['a new template in the Deployment (a canary starts)', 'registry.example.com/shop/svc-7:2.0.0'],
  ] as const) {
    it(`observes the same world and plans the same for ${story}`, () => {
      const world = cluster(image);
      const [whole, kept] = [caches(world, false), caches(world, true)];
      const rollout = whole.rollouts.get('team-7', 'svc-7')!;
      const observed = observeWorld(whole, rollout, routing, now);
      const fromKept = observeWorld(kept, kept.rollouts.get('team-7', 'svc-7')!, routing, now);
      // unleash holds a function made per call: everything else must be equal.
      expect({ ...fromKept, unleash: undefined }).toEqual({ ...observed, unleash: undefined });
      expect(observed.autoscalerOnDeployment).toBe('svc-7');
      expect(observed.services?.stable).toBe(world.rollout.status.stableRevision);
      expect(planRollout(fromKept)).toEqual(planRollout(observed));
    });
  }

  it('builds the same ReplicaSet from the projected Deployment', () => {
    const world = cluster('registry.example.com/shop/svc-7:2.0.0');
    const [whole, kept] = [caches(world, false), caches(world, true)];
    const rollout = whole.rollouts.get('team-7', 'svc-7') as Rollout;
    const d = (c: Caches): V1Deployment => c.deployments.get('team-7', 'svc-7')!;
    const revision = revisionOf(d(whole).spec!.template);
    expect(buildReplicaSet(rollout, d(kept), revision, 1, 2)).toEqual(
      buildReplicaSet(rollout, d(whole), revision, 1, 2),
    );
  });

  it('writes back the same template on undo from a projected ReplicaSet', () => {
    const world = cluster('registry.example.com/shop/svc-7:2.0.0');
    const rs = (c: Caches): V1ReplicaSet => c.replicaSets.list('team-7')[0]!;
    const [whole, kept] = [rs(caches(world, false)), rs(caches(world, true))];
    expect(templateOf(kept)).toEqual(templateOf(whole));
    expect(revisionOf(templateOf(kept)!)).toBe(world.rollout.status.stableRevision);
  });

  it('shares one pod spec between a Deployment and the ReplicaSet of its template, and keeps them equal to the whole', () => {
    const world = cluster('registry.example.com/shop/svc-7:1.4.0');
    const [whole, kept] = [caches(world, false), caches(world, true)];
    const podSpec = (c: Caches) => [
      c.deployments.get('team-7', 'svc-7')!.spec!.template.spec,
      c.replicaSets.list('team-7')[0]!.spec!.template!.spec,
    ];
    const [deployment, replicaSet] = podSpec(kept);
    expect(deployment).toBe(replicaSet);
    expect(podSpec(kept)).toEqual(podSpec(whole));
    expect(podSpec(whole)[0]).not.toBe(podSpec(whole)[1]);
  });
});
