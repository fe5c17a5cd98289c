/** Installs the Sluice CRDs generated into crds/ on the test control plane, for every story that needs them. */
import { ApiException, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { crdsDir } from '../../controller/src/api/generateCrds.ts';
import { resources } from '../../controller/src/api/resources.ts';
import { apiGroup, apiVersionName } from '../../controller/src/api/types.ts';
import { waitFor } from '../support/wait.ts';
import { kubectl } from './support.ts';

export const sluiceRef = { group: apiGroup, version: apiVersionName };

/** The plural (URL segment) of a Sluice kind, and whether it lives in a namespace. */
export function resourceOf(kind: string): { plural: string; namespaced: boolean } {
  const def = resources.find((r) => r.kind === kind);
  if (def === undefined)
    throw new Error(`${kind} is not a Sluice kind: use one of ${resources.map((r) => r.kind).join(', ')}`);
  return { plural: def.plural, namespaced: def.scope === 'Namespaced' };
}

/**
 * Applies crds/ the way a user installs them (`kubectl apply --server-side -k crds/`), then waits until each
 * endpoint answers a list: a CRD is Established a little before its endpoint serves. Not client-node's
 * KubernetesObjectApi: it serializes through the typed CRD model, which silently drops keys it spells
 * differently, such as x-kubernetes-int-or-string.
 */
export async function installSluiceCrds(kc: KubeConfig): Promise<void> {
  await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=sluice-tests', '-k', crdsDir]);
  const custom = kc.makeApiClient(CustomObjectsApi);
  for (const def of resources) {
    await waitFor(() => custom.listClusterCustomObject({ ...sluiceRef, plural: def.plural }).then(() => true), {
      timeoutMs: 30_000,
      what: `the ${def.plural}.${apiGroup} endpoint to answer`,
    });
  }
}

/** The message of a Kubernetes Status error (what kubectl prints), or the error's own message. */
export function statusMessage(err: unknown): string {
  if (err instanceof ApiException) {
    let body: unknown = err.body;
    try {
      if (typeof body === 'string') body = JSON.parse(body);
    } catch {
      return body as string;
    }
    if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string')
      return body.message;
  }
  return err instanceof Error ? err.message : String(err);
}
