/**
 * Who may press a dashboard button: the Kubernetes API server decides, not the dashboard. The bearer token is
 * checked with a TokenReview (who is this?), then a SubjectAccessReview asks whether that user, with their groups,
 * may `patch` `rollouts.sluice.dev` of that name in that namespace: exactly the right `kubectl sluice promote`
 * needs, so the dashboard never lets anyone do more than their RBAC allows. The dashboard then writes with the
 * controller's own identity, and names the user in an Event.
 *
 * Nothing is cached: actions are rare, and a revoked token or RoleBinding must stop working at once.
 * The token never reaches a log line or an error message.
 */
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { apiGroup } from '../api/types.ts';

export interface AuthUser {
  username: string;
  uid: string | undefined;
  groups: string[];
  extra: Record<string, string[]> | undefined;
}

export type AuthDecision =
  | { kind: 'allowed'; user: AuthUser }
  | { kind: 'unauthenticated'; reason: string }
  | { kind: 'forbidden'; user: AuthUser; reason: string };

export interface ActionTarget {
  namespace: string;
  name: string;
}

/** The one question the dashboard asks before an action. */
export interface Authorizer {
  authorize(token: string, target: ActionTarget): Promise<AuthDecision>;
}

/** The verb and resource a dashboard action needs, as `kubectl auth can-i patch rollouts.sluice.dev/<name>`. */
export const actionPermission = { verb: 'patch', group: apiGroup, resource: 'rollouts' } as const;

export class KubernetesAuthorizer implements Authorizer {
  readonly #authn: AuthenticationV1Api;
  readonly #authz: AuthorizationV1Api;

  constructor(kc: KubeConfig) {
    this.#authn = kc.makeApiClient(AuthenticationV1Api);
    this.#authz = kc.makeApiClient(AuthorizationV1Api);
  }

  async authorize(token: string, target: ActionTarget): Promise<AuthDecision> {
    const review = await this.#authn.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } });
    const status = review.status;
    if (status?.authenticated !== true || status.user?.username === undefined) {
      return { kind: 'unauthenticated', reason: status?.error === undefined || status.error === '' ? 'the API server did not accept the token' : `the API server did not accept the token: ${status.error}` };
    }
    const user: AuthUser = {
      username: status.user.username,
      uid: status.user.uid,
      groups: status.user.groups ?? [],
      extra: status.user.extra,
    };
    const access = await this.#authz.createSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          ...(user.uid === undefined ? {} : { uid: user.uid }),
          groups: user.groups,
          ...(user.extra === undefined ? {} : { extra: user.extra }),
          resourceAttributes: { ...actionPermission, namespace: target.namespace, name: target.name },
        },
      },
    });
    if (access.status?.allowed === true) return { kind: 'allowed', user };
    const why = access.status?.reason;
    return {
      kind: 'forbidden',
      user,
      reason: `${user.username} may not ${actionPermission.verb} ${actionPermission.resource}.${actionPermission.group} ${target.name} in namespace ${target.namespace}` +
        (why === undefined || why === '' ? '' : ` (${why})`),
    };
  }
}
