/**
 * Secrets the analysis needs (template args and Prometheus headers from secretKeyRef), fetched just before the
 * measurements and held only for that reconcile. Sluice watches no Secrets: it reads the few it is pointed at.
 */
import { ApiException, type CoreV1Api } from '@kubernetes/client-node';
import type { ReadSecret } from '../analysis/args.ts';

/** Every {secretKeyRef: {name, key}} anywhere in the given specs. */
export function secretRefs(specs: readonly unknown[]): { name: string; key: string }[] {
  const found: { name: string; key: string }[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v === null || typeof v !== 'object') return;
    const ref = (v as { secretKeyRef?: { name?: unknown; key?: unknown } }).secretKeyRef;
    if (typeof ref?.name === 'string' && typeof ref.key === 'string') found.push({ name: ref.name, key: ref.key });
    Object.values(v).forEach(walk);
  };
  specs.forEach(walk);
  return found;
}

/** Reads the named Secrets of a namespace; a missing Secret reads as undefined (the analysis says which). */
export async function readSecrets(core: CoreV1Api, namespace: string, refs: readonly { name: string }[]): Promise<ReadSecret> {
  const data = new Map<string, Record<string, string>>();
  for (const name of new Set(refs.map((r) => r.name))) {
    try {
      const secret = await core.readNamespacedSecret({ namespace, name });
      data.set(name, Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])));
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) continue; // the analysis names the missing Secret
      if (err instanceof ApiException && err.code === 403) {
        throw new Error(`Sluice may not read Secret ${namespace}/${name} (403): grant its ServiceAccount get on secrets in ${namespace}`, { cause: err });
      }
      throw err;
    }
  }
  return (ns, name, key) => (ns === namespace ? data.get(name)?.[key] : undefined);
}
