/**
 * The ServiceAccount the controller runs as, read from its own token (a service account token is a JWT whose
 * subject is "system:serviceaccount:<namespace>:<name>"). Undefined out of a cluster (a client certificate, a
 * kubeconfig user): there is then no controller ServiceAccount a tenant's Job could borrow.
 */
import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';

export interface ServiceAccountName {
  namespace: string;
  name: string;
}

const inClusterTokenFile = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const subjectPattern = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** The ServiceAccount a token is of; undefined for anything else (not a JWT, another kind of subject). */
export function serviceAccountOfToken(token: string): ServiceAccountName | undefined {
  const payload = token.trim().split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown };
    const match = typeof claims.sub === 'string' ? subjectPattern.exec(claims.sub) : null;
    return match === null ? undefined : { namespace: match[1]!, name: match[2]! };
  } catch {
    return undefined;
  }
}

function readToken(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The controller's ServiceAccount, from the kubeconfig's token (or token file), else the in-cluster token file. */
export function ownServiceAccount(kc: KubeConfig, tokenFile = inClusterTokenFile): ServiceAccountName | undefined {
  const user = kc.getCurrentUser();
  const provider = user?.authProvider as { config?: { tokenFile?: unknown } } | undefined;
  const config = provider?.config;
  const candidates = [
    user?.token,
    typeof config?.tokenFile === 'string' ? readToken(config.tokenFile) : undefined,
    readToken(tokenFile),
  ];
  for (const token of candidates) {
    const account = token === undefined ? undefined : serviceAccountOfToken(token);
    if (account !== undefined) return account;
  }
  return undefined;
}
