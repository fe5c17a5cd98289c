/**
 * Secrets an analysis needs (template args and Prometheus headers from secretKeyRef), fetched by the background
 * measurement just before it measures and held only for that measurement. Sluice watches no Secrets: it reads the
 * few it is pointed at, in the Rollout's own namespace, and only for an analysis that is measuring.
 */
import type { CoreClient } from '../kube/resourceClients.ts';
import { isForbidden, isNotFound, statusCode } from '../kube/apiErrors.ts';
import type { ReadSecret } from '../analysis/args.ts';

/** Reads the named Secrets of a namespace; a missing Secret reads as undefined (the analysis says which). */
export async function readSecrets(
  core: Pick<CoreClient, 'readNamespacedSecret'>,
  namespace: string,
  refs: readonly { name: string }[],
): Promise<ReadSecret> {
  const data = new Map<string, Record<string, string>>();
  for (const name of new Set(refs.map((r) => r.name))) {
    try {
      const secret = await core.readNamespacedSecret({ namespace, name });
      data.set(
        name,
        Object.fromEntries(
          Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
        ),
      );
    } catch (err) {
      if (isNotFound(err)) continue; // the analysis names the missing Secret
      if (isForbidden(err)) {
        throw new Error(
          `Sluice may not read Secret ${namespace}/${name} (403): let its ServiceAccount get this Secret (see manifests/analysis-secrets), or remove the secretKeyRef`,
          { cause: err },
        );
      }
      const code = statusCode(err) === undefined ? '' : ` (${statusCode(err)})`;
      throw new Error(`reading Secret ${namespace}/${name} failed${code}; the next measurement tries again`, {
        cause: err,
      });
    }
  }
  return (ns, name, key) => (ns === namespace ? data.get(name)?.[key] : undefined);
}
