/**
 * What the two install stories (manifestsClusterInstall.test.ts, manifestsNamespacedInstall.test.ts) share: the
 * test's own namespaces and name suffix, as an overlay would give them, the Sluice CRDs, the controller as the
 * Dockerfile's final stage holds it, and the clean-up of what an install leaves; and the ServiceAccount's access,
 * verb by verb.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import type { ControllerProcess } from './controllerProcess.ts';
import { routerModules } from '../../controller/src/routers/registry.ts';
import { buildImagePayload, type ImagePayload } from './imagePayload.ts';
import { allowed, kubectlAs, type Access, type KubeObject } from './installation.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, clusterInfo, useNamespace } from './support.ts';

export const rolloutRef = { group: 'sluice.dev', version: 'v1alpha1', plural: 'rollouts' };
const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'] as const;

export interface ManifestsInstall {
  id: string;
  suffix: string;
  /** Where the cluster-wide install goes: manifests/' sluice-system, renamed by the test's overlay. */
  installNs: string;
  app: { readonly name: string };
  nsInstall: { readonly name: string };
  /** A namespace whose owner lets Sluice read its Secrets with manifests/analysis-secrets-namespace. */
  tenant: { readonly name: string };
  /** The image's payload, built before the file's tests. */
  readonly payload: ImagePayload;
  /** The controllers the file started, stopped after its tests. */
  controllers: ControllerProcess[];
}

/** Registers the file's namespaces, the CRDs and the payload before its tests, and the clean-up after them. */
export function useManifestsInstall(): ManifestsInstall {
  const id = randomBytes(3).toString('hex');
  const suffix = `-${id}`;
  const installNs = `manifests-${id}-system`;
  const app = useNamespace('manifests-app');
  const nsInstall = useNamespace('manifests-ns');
  const tenant = useNamespace('manifests-tenant');
  let payload: ImagePayload;
  const controllers: ControllerProcess[] = [];

  beforeAll(async () => {
    await installSluiceCrds(adminKubeConfig());
    payload = await buildImagePayload(mkdtempSync(join(tmpdir(), 'sluice-image-')));
  }, 300_000);

  afterAll(async () => {
    await Promise.allSettled(controllers.map((c) => c.stop()));
    // A Rollout left with its handover finalizer (a failed story) would hold its namespace in Terminating.
    const custom = adminKubeConfig().makeApiClient(CustomObjectsApi);
    for (const namespace of [app.name, nsInstall.name]) {
      const list = (await custom
        .listNamespacedCustomObject({ ...rolloutRef, namespace })
        .catch(() => ({ items: [] }))) as { items: KubeObject[] };
      for (const r of list.items) {
        await kubectlAs(clusterInfo().kubeconfig, [
          'patch',
          'rollout',
          r.metadata.name,
          '-n',
          namespace,
          '--type=merge',
          '-p',
          '{"metadata":{"finalizers":null}}',
        ]);
      }
    }
    await kubectlAs(clusterInfo().kubeconfig, ['delete', 'namespace', installNs, '--wait=false', '--ignore-not-found']);
    await kubectlAs(clusterInfo().kubeconfig, [
      'delete',
      'clusterrole,clusterrolebinding',
      `sluice${suffix}`,
      `sluice-dashboard-actions${suffix}`,
      `sluice-clusteranalysistemplates-reader${suffix}`,
      '--ignore-not-found',
    ]);
  });
  return {
    id,
    suffix,
    installNs,
    app,
    nsInstall,
    tenant,
    get payload() {
      return payload;
    },
    controllers,
  };
}

/** For each "group/resource[/subresource]", the verbs the kubeconfig's user may use, in `namespace` or cluster-wide. */
/**
 * What the traffic routers' generated rules (manifests/router-rules.yaml) grant, as `group/resource` -> verbs in the
 * order accessMatrix reports them: each router module's `rbac`, so a new router needs no change to these tables.
 */
export function routerGrants(): Record<string, string[]> {
  const grants: Record<string, string[]> = {};
  for (const rule of routerModules.flatMap((m) => m.rbac))
    for (const group of rule.apiGroups)
      for (const resource of rule.resources) {
        const key = `${group}/${resource}`;
        grants[key] = verbs.filter((v) => rule.verbs.includes(v) || (grants[key] ?? []).includes(v));
      }
  return grants;
}

/** What both installs grant: the Rollouts, the workloads Sluice runs and the routers it steers. */
function workloadGrants(): Record<string, string[]> {
  return {
    'sluice.dev/rollouts': ['list', 'watch', 'patch'],
    'sluice.dev/rollouts/status': ['update', 'patch'],
    'apps/deployments': ['list', 'watch', 'patch'],
    'apps/replicasets': ['list', 'watch', 'create', 'patch', 'delete'],
    '/services': ['get', 'list', 'watch', 'create', 'patch'],
    'autoscaling/horizontalpodautoscalers': ['list', 'watch'],
    'policy/poddisruptionbudgets': ['list', 'watch', 'create', 'patch', 'delete'],
    '/pods': ['list', 'watch'],
    '/pods/eviction': ['create'],
    // The job metric provider: one Job per measurement, and the failed pod's log tail.
    'batch/jobs': ['get', 'create', 'delete'],
    '/pods/log': ['get'],
    '/events': ['list', 'watch', 'create'],
    ...routerGrants(),
  };
}

/**
 * What the cluster-wide install's ServiceAccount may do, in any namespace and cluster-wide: the ClusterRoles of
 * manifests/ (and of manifests/dashboard-actions when asked), and nothing on Pods, Secrets, Leases or RBAC (the
 * notification channels' Secrets are a Role of the controller's own namespace). Shared
 * by the kustomize and Helm install stories, which must grant exactly the same.
 */
export function clusterWideGrants(opts: { dashboardActions: boolean }): Record<string, string[]> {
  const dashboard = opts.dashboardActions ? ['create'] : [];
  return {
    ...workloadGrants(),
    'sluice.dev/rollouts/finalizers': ['update'],
    'sluice.dev/analysistemplates': ['list', 'watch'],
    'sluice.dev/clusteranalysistemplates': ['list', 'watch'],
    // Notification channels, and the labels of a Rollout's namespace for a channel's namespaceSelector.
    'sluice.dev/notificationchannels': ['list', 'watch'],
    'authentication.k8s.io/tokenreviews': dashboard,
    'authorization.k8s.io/subjectaccessreviews': dashboard,
    '/secrets': [],
    '/configmaps': [],
    '/serviceaccounts': [],
    '/serviceaccounts/token': [],
    '/namespaces': ['get'],
    'apps/daemonsets': [],
    'coordination.k8s.io/leases': [],
    'rbac.authorization.k8s.io/clusterroles': [],
    'rbac.authorization.k8s.io/rolebindings': [],
  };
}

/** What the namespaced install's ServiceAccount may do in its own namespace (and, in any other, nothing). */
export function namespaceOnlyGrants(): Record<string, string[]> {
  return {
    ...workloadGrants(),
    '/secrets': [],
    'authentication.k8s.io/tokenreviews': [],
  };
}

export async function accessMatrix(
  kubeconfig: string,
  keys: string[],
  namespace: string | undefined,
): Promise<Record<string, string[]>> {
  const entries = await Promise.all(
    keys.map(async (key) => {
      const [group = '', resource = '', subresource] = key.split('/');
      const granted: string[] = [];
      for (const verb of verbs) {
        const access: Access = {
          group,
          resource,
          verb,
          ...(subresource === undefined ? {} : { subresource }),
          ...(namespace === undefined ? {} : { namespace }),
        };
        if (await allowed(kubeconfig, access)) granted.push(verb);
      }
      return [key, granted] as const;
    }),
  );
  const order = (list: readonly string[]) =>
    [...list].sort((a, b) => verbs.indexOf(a as never) - verbs.indexOf(b as never));
  return Object.fromEntries(entries.map(([k, v]) => [k, order(v)]));
}
