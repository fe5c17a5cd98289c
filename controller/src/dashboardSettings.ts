/** The settings of the dashboard: where it listens, what it may do, and whom it answers. */
import { booleanWords, invalid, parsePort, setting } from './settingParsers.ts';

/** "/sluice" and "/sluice/" both become "/sluice/"; no "..", "//", query or fragment. */
function parseBasePath(text: string): string | typeof invalid {
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(text) || text.includes('//') || /\/\.\.?(\/|$)/.test(text)) return invalid;
  return text.endsWith('/') ? text : `${text}/`;
}

export const dashboardSettings = {
  dashboardPort: setting({
    flag: '--dashboard-port',
    env: 'SLUICE_DASHBOARD_PORT',
    valueName: 'port',
    accepts: 'a port (1-65535)',
    description: 'Port of the dashboard and its API.',
    defaultText: '3100',
    default: () => 3100,
    parse: parsePort,
  }),
  dashboardBasePath: setting({
    flag: '--dashboard-base-path',
    env: 'SLUICE_DASHBOARD_BASE_PATH',
    valueName: 'path',
    accepts: 'a URL path starting with "/" (letters, digits, "-", "_", "." and "/")',
    description:
      'URL path the dashboard and its API are served under, for a proxy that forwards, say, /sluice/ to it unchanged.',
    defaultText: '/',
    default: () => '/',
    parse: parseBasePath,
  }),
  dashboardActions: setting({
    flag: '--dashboard-actions',
    env: 'SLUICE_DASHBOARD_ACTIONS',
    valueName: 'bool',
    accepts: 'true or false',
    boolean: true,
    description:
      'Let the dashboard promote, abort, retry, pause and resume. Each action then needs a Kubernetes bearer token whose user may ' +
      'patch the Rollout (checked with a TokenReview and a SubjectAccessReview), and becomes an Event naming that user. Off: the dashboard is read-only.',
    defaultText: 'false',
    default: () => false,
    parse: (text) => booleanWords.get(text.toLowerCase()) ?? invalid,
  }),
  // Dashboard hardening (issue 13): which Host names the dashboard answers to, and the audience of its tokens.
  dashboardAllowedHosts: setting<readonly string[]>({
    flag: '--dashboard-allowed-hosts',
    env: 'SLUICE_DASHBOARD_ALLOWED_HOSTS',
    valueName: 'names',
    accepts: 'comma-separated host names or IP addresses, without ports',
    description:
      "Host names the dashboard may be reached by besides localhost, 127.0.0.1, [::1] and the pod's own name and addresses: " +
      'the name of a proxy or Ingress in front of it. Requests naming any other Host get 421 (a guard against DNS rebinding).',
    defaultText: '(none)',
    default: () => [],
    parse: (text) => {
      const names = text
        .split(',')
        .map((n) => n.trim().toLowerCase())
        .filter((n) => n !== '');
      return names.every((n) => /^[a-z0-9.-]{1,253}$/.test(n) || /^[0-9a-f:.]{2,45}$/.test(n)) ? names : invalid;
    },
  }),
  dashboardAudience: setting({
    flag: '--dashboard-audience',
    env: 'SLUICE_DASHBOARD_AUDIENCE',
    valueName: 'audience',
    accepts: 'a token audience (1 to 253 characters, no spaces)',
    description:
      'Audience of tokens made for the dashboard (kubectl create token <sa> --audience <this>): such a token cannot be used ' +
      "against the API server itself. Tokens for the API server's own audience are accepted too.",
    defaultText: 'sluice-dashboard',
    default: () => 'sluice-dashboard',
    parse: (text) => (/^\S{1,253}$/.test(text) ? text : invalid),
  }),
};
