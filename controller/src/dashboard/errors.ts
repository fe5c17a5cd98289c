/**
 * The dashboard API's errors: a stable code, the HTTP status, and a sentence that says what to do. The JSON body
 * is `{code, message}` (model.ts ApiError), so scripts can match the code and people can read the message.
 */
import type { ApiError } from './model.ts';

export class DashboardError extends Error implements ApiError {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'DashboardError';
    this.status = status;
    this.code = code;
  }
}

const error = (status: number, code: string, message: string): DashboardError =>
  new DashboardError(status, code, message);

export const dashboardErrors = {
  notSynced: () =>
    error(503, 'SLUICE_DASHBOARD_NOT_SYNCED', 'the controller has not listed the rollouts yet: try again in a moment'),
  badQuery: (problem: string) => error(400, 'SLUICE_DASHBOARD_BAD_QUERY', problem),
  notFound: (namespace: string, name: string) =>
    error(
      404,
      'SLUICE_DASHBOARD_NOT_FOUND',
      `rollout ${namespace}/${name} was not found (or is handled by another controller)`,
    ),
  readOnly: () =>
    error(
      403,
      'SLUICE_DASHBOARD_READ_ONLY',
      'the dashboard is read-only: start the controller with --dashboard-actions=true (SLUICE_DASHBOARD_ACTIONS=true) to allow actions',
    ),
  crossSite: (reason: string) => error(403, 'SLUICE_DASHBOARD_CROSS_SITE', `refused a cross-site request: ${reason}`),
  unknownAction: (action: string, known: readonly string[]) =>
    error(
      400,
      'SLUICE_DASHBOARD_UNKNOWN_ACTION',
      `unknown action ${JSON.stringify(action)}: use one of ${known.join(', ')}`,
    ),
  noToken: () =>
    error(
      401,
      'SLUICE_DASHBOARD_NO_TOKEN',
      'actions need a Kubernetes bearer token in the Authorization header (for example from kubectl create token <service-account>)',
    ),
  badToken: (reason: string) => error(401, 'SLUICE_DASHBOARD_BAD_TOKEN', reason),
  forbidden: (reason: string) =>
    error(
      403,
      'SLUICE_DASHBOARD_FORBIDDEN',
      `${reason}: grant patch on rollouts.sluice.dev with a Role and RoleBinding`,
    ),
  authUnavailable: () =>
    error(
      502,
      'SLUICE_DASHBOARD_AUTH_UNAVAILABLE',
      'could not ask the API server who the token belongs to or what it may do: try again',
    ),
  writeFailed: (namespace: string, name: string, detail: string) =>
    error(502, 'SLUICE_DASHBOARD_WRITE_FAILED', `could not write to rollout ${namespace}/${name}: ${detail}`),
  badHost: (reason: string) =>
    error(
      421,
      'SLUICE_DASHBOARD_BAD_HOST',
      `${reason}: open it through localhost (kubectl port-forward), the pod's address, or a name listed in --dashboard-allowed-hosts (SLUICE_DASHBOARD_ALLOWED_HOSTS)`,
    ),
  tooManyRequests: (retryAfterSeconds: number) =>
    error(
      429,
      'SLUICE_DASHBOARD_TOO_MANY_REQUESTS',
      `too many action requests from this address: try again in ${retryAfterSeconds} s`,
    ),
  authBusy: () =>
    error(
      503,
      'SLUICE_DASHBOARD_AUTH_BUSY',
      'too many tokens are being checked with the API server right now: try again in a few seconds',
    ),
  tooManyStreams: (perClient: number) =>
    error(
      429,
      'SLUICE_DASHBOARD_TOO_MANY_STREAMS',
      `this address already has ${perClient} open streams: close other dashboard tabs, or try again when one has closed`,
    ),
  streamsFull: (total: number) =>
    error(
      503,
      'SLUICE_DASHBOARD_STREAMS_FULL',
      `the dashboard already serves ${total} streams: try again later, or use another replica`,
    ),
  noAssets: () =>
    error(
      503,
      'SLUICE_DASHBOARD_NO_ASSETS',
      'the dashboard page is not built: run npm run build:dashboard (the JSON API under api/ works without it)',
    ),
};
