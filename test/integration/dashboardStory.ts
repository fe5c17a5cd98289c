/** Building blocks of the dashboard stories: a ServiceAccount token with or without RBAC on rollouts, and HTTP calls. */
import { AuthorizationV1Api, CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { waitFor } from '../support/wait.ts';
import { adminKubeConfig } from './support.ts';

/**
 * Creates a ServiceAccount and returns a token for it from the TokenRequest API. With `patchRollouts`, a Role and
 * RoleBinding let it patch the named rollouts (all rollouts without names), and this waits until the API server's
 * authorizer says so: RBAC reaches the authorizer through its own informers, a moment after the write.
 */
export async function serviceAccountToken(
  namespace: string,
  name: string,
  opts: { patchRollouts?: string[] | 'all' } = {},
): Promise<{ token: string; username: string }> {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  const username = `system:serviceaccount:${namespace}:${name}`;
  if (opts.patchRollouts !== undefined) {
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    const resourceNames = opts.patchRollouts === 'all' ? undefined : opts.patchRollouts;
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: `${name}-rollouts` },
        rules: [
          {
            apiGroups: ['sluice.dev'],
            resources: ['rollouts'],
            verbs: ['get', 'list', 'watch', 'patch'],
            ...(resourceNames === undefined ? {} : { resourceNames }),
          },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: `${name}-rollouts` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${name}-rollouts` },
        subjects: [{ kind: 'ServiceAccount', name, namespace }],
      },
    });
    const authz = kc.makeApiClient(AuthorizationV1Api);
    const target = resourceNames?.[0] ?? 'any';
    await waitFor(
      async () =>
        (
          await authz.createSubjectAccessReview({
            body: {
              spec: {
                user: username,
                groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
                resourceAttributes: {
                  group: 'sluice.dev',
                  resource: 'rollouts',
                  verb: 'patch',
                  namespace,
                  name: target,
                },
              },
            },
          })
        ).status?.allowed === true,
      { timeoutMs: 15_000, what: `RBAC to let ${username} patch rollouts` },
    );
  }
  const request = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { expirationSeconds: 3600 } },
  });
  const token = request.status?.token;
  if (token === undefined) throw new Error(`the TokenRequest for ${username} returned no token`);
  return { token, username };
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** POSTs a dashboard action the way a script would (no browser headers unless given). */
export async function postAction(
  dashboardUrl: string,
  namespace: string,
  name: string,
  action: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${dashboardUrl}api/rollouts/${namespace}/${name}/actions/${action}`, {
    method: 'POST',
    headers,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function getJson<T>(dashboardUrl: string, path: string): Promise<T> {
  const res = await fetch(`${dashboardUrl}${path}`);
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
