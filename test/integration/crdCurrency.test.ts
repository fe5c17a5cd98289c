/**
 * The controller's check that the cluster's CRDs know every field it writes (controller/src/kube/crdCurrency.ts),
 * against the OpenAPI v3 schema a real API server publishes for sluice.dev/v1alpha1. The CRDs are shared by every
 * story of the run, so none is replaced by an older one here: the older CRD is the published schema with a field
 * taken out, as the API server publishes a CRD that lacks it.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../../controller/src/api/resources.ts';
import { crdCurrency, openApiPath, type CrdCurrency } from '../../controller/src/kube/crdCurrency.ts';
import { KubeJsonApi } from '../../controller/src/kube/kubeJsonApi.ts';
import { waitFor } from '../support/wait.ts';
import { serviceAccountKubeconfig } from './installation.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('crd-currency');
interface PublishedSchema {
  properties: Record<string, { properties: Record<string, unknown> }>;
  'x-kubernetes-group-version-kind'?: { kind: string }[];
}
type Published = Parameters<typeof crdCurrency>[0] & { components: { schemas: Record<string, PublishedSchema> } };

describe("the controller's check of the cluster's CRDs, on the schema the API server publishes", () => {
  let published: Published;

  beforeAll(async () => {
    await installSluiceCrds(adminKubeConfig());
    // An identity with no RBAC of its own: the check must work for any controller, whatever its grants.
    await adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'no-rights' } } });
    const kc = new KubeConfig();
    kc.loadFromFile(await serviceAccountKubeconfig(ns.name, 'no-rights'));
    const api = kc.makeApiClient(KubeJsonApi);
    // The API server publishes a changed CRD's schema a moment after the apply.
    let last: CrdCurrency | undefined;
    await waitFor(
      async () => {
        published = await api.get<Published>(openApiPath);
        last = crdCurrency(published, resources);
        return last.kind === 'current';
      },
      { timeoutMs: 30_000, what: 'the published schema of the CRDs just applied' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last: ${JSON.stringify(last)}`);
    });
  });

  it('given the CRDs of this release, when a ServiceAccount without any grant reads the schema, then they are current', () => {
    expect(crdCurrency(published, resources)).toEqual({ kind: 'current' });
  });

  it('given the schema of a Rollout CRD without status.phase and spec.restartAt, then the check names both', () => {
    const old = structuredClone(published);
    const rollout = Object.values(old.components.schemas).find((s) =>
      s['x-kubernetes-group-version-kind']?.some((g) => g.kind === 'Rollout'),
    )!;
    delete rollout.properties['status']!.properties['phase'];
    delete rollout.properties['spec']!.properties['restartAt'];
    expect(crdCurrency(old, resources)).toEqual({
      kind: 'behind',
      missing: ['Rollout.spec.restartAt', 'Rollout.status.phase'],
    });
  });
});
