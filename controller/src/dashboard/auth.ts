/**
 * Who may press a dashboard button: the Kubernetes API server decides, not the dashboard. The bearer token is
 * checked with a TokenReview (who is this?), then a SubjectAccessReview asks whether that user, with their groups,
 * may `patch` `rollouts.sluice.dev` of that name in that namespace: exactly the right `kubectl sluice promote`
 * needs, so the dashboard never lets anyone do more than their RBAC allows. The dashboard then writes with the
 * controller's own identity, and names the user in an Event.
 *
 * Tokens may be bound to the dashboard's audience (`kubectl create token <sa> --audience sluice-dashboard`): such a
 * token is useless against the API server itself, so a leaked one can do no more than press dashboard buttons.
 * Tokens for the API server's own audience (what `kubectl create token <sa>` gives) are accepted as before.
 *
 * Only refusals are cached, briefly and by the token's hash (rejectedTokens.ts), so that the same made-up token
 * sent again costs no TokenReview (a new one costs two: the dashboard's audience, then the API server's; what bounds
 * a flood of new ones is the per-client limit and the cap on checks in flight, in server.ts); accepted tokens and every SubjectAccessReview are asked afresh, so a
 * revoked token or RoleBinding stops working at once. The reviews go through a KubeConfig of the dashboard's own,
 * with its own rate limit, never the reconciler's. The token never reaches a log line or an error message.
 */
import type { V1TokenReviewStatus } from '@kubernetes/client-node';
import type { KubeConfig } from '../kube/clientNode.ts';
import { ReviewClient, jsonApi } from '../kube/resourceClients.ts';
import { apiGroup } from '../api/types.ts';
import { RejectedTokens } from './rejectedTokens.ts';

/** The audience a token made for the dashboard names, unless --dashboard-audience says otherwise. */
export const defaultDashboardAudience = 'sluice-dashboard';

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

export interface KubernetesAuthorizerOptions {
  /** The dashboard's own audience; tokens bound to it are accepted besides the API server's. */
  audience?: string;
  rejected?: RejectedTokens;
}

export class KubernetesAuthorizer implements Authorizer {
  readonly #authn: ReviewClient;
  readonly #authz: ReviewClient;
  readonly #audience: string;
  readonly #rejected: RejectedTokens;

  /** `kc` should be the dashboard's own (see runController.ts): its rate limit is what these reviews may spend. */
  constructor(kc: KubeConfig, options: KubernetesAuthorizerOptions = {}) {
    this.#authn = new ReviewClient(jsonApi(kc));
    this.#authz = this.#authn;
    this.#audience = options.audience ?? defaultDashboardAudience;
    this.#rejected = options.rejected ?? new RejectedTokens();
  }

  async authorize(token: string, target: ActionTarget): Promise<AuthDecision> {
    const refused = this.#rejected.reason(token);
    if (refused !== undefined) return { kind: 'unauthenticated', reason: refused };
    // The dashboard's audience first: that is the token meant for it. A token for the API server's audience fails
    // that review (audience-aware authenticators check the list) and passes the second, with no audiences given.
    // An authenticator that ignores audiences accepts its tokens in the first with empty status.audiences, which
    // means "valid for the API server": accepted either way, so status.audiences need not be checked.
    let status = await this.#review(token, [this.#audience]);
    if (!accepted(status)) status = await this.#review(token, undefined);
    if (!accepted(status)) {
      const reason =
        status?.error === undefined || status.error === ''
          ? 'the API server did not accept the token'
          : `the API server did not accept the token: ${status.error}`;
      this.#rejected.remember(token, reason);
      return { kind: 'unauthenticated', reason };
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
      reason:
        `${user.username} may not ${actionPermission.verb} ${actionPermission.resource}.${actionPermission.group} ${target.name} in namespace ${target.namespace}` +
        (why === undefined || why === '' ? '' : ` (${why})`),
    };
  }

  async #review(token: string, audiences: string[] | undefined): Promise<V1TokenReviewStatus | undefined> {
    const review = await this.#authn.createTokenReview({
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token, ...(audiences === undefined ? {} : { audiences }) },
      },
    });
    return review.status;
  }
}

function accepted(
  status: V1TokenReviewStatus | undefined,
): status is V1TokenReviewStatus & { user: { username: string } } {
  return status?.authenticated === true && status.user?.username !== undefined;
}
