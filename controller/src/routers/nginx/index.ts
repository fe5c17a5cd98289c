/**
 * The ingress-nginx router: a canary Ingress beside the user's stable Ingress (networking.k8s.io/v1), carrying
 * the canary-weight and canary-by-header annotations.
 */
import type { Rollout } from '../../api/types.ts';
import type { KubeObject } from '../../kube/objectStore.ts';
import { rolloutLabel } from '../../workload/names.ts';
import type { RouterModule } from '../router.ts';
import type { Ingress } from './canaryIngress.ts';
import { nginxIngressRouter } from './ingressRouter.ts';
import { nginxSpecError } from './nginxSpec.ts';

const group = 'networking.k8s.io';

/** The Rollouts that read the Ingress: those it is the stable Ingress of, and the one whose canary Ingress it is. */
function readers(object: KubeObject, rollouts: readonly Rollout[]): Rollout[] {
  const ingress = object as Ingress;
  const name = ingress.metadata?.name;
  const labels = ingress.metadata?.labels;
  const owners = Array.isArray(ingress.metadata?.ownerReferences) ? ingress.metadata.ownerReferences : [];
  return rollouts.filter(
    (r) =>
      (r.spec.trafficRouting?.nginx?.stableIngress === name && name !== undefined) ||
      (labels?.[rolloutLabel] === r.metadata.name && owners.some((o) => o?.uid === r.metadata.uid)),
  );
}

export const nginxRouter: RouterModule = {
  name: 'nginx',
  watches: [{ resource: { group, version: 'v1', plural: 'ingresses', kind: 'Ingress', namespaced: true }, readers }],
  rbac: [
    {
      apiGroups: [group],
      resources: ['ingresses'],
      verbs: ['list', 'watch', 'create', 'patch'],
      why:
        "The user's stable Ingress is only read from the cache, never written. Sluice creates its canary Ingress " +
        '(owned by the Rollout, so the garbage collector deletes it with the Rollout: no delete right) and patches ' +
        'its canary annotations and rules with JSON patches guarded by test operations on its uid and owner.',
    },
  ],
  supports: { header: true, mirror: false },
  notServed:
    'the Ingress kind (networking.k8s.io/v1) is not served: Rollouts with trafficRouting.nginx will report InvalidSpec',
  specError: nginxSpecError,
  create: (rollout, deps) => nginxIngressRouter(rollout, deps),
};
