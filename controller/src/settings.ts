/**
 * Every setting of the controller, declared once: flag, environment variable, default, what it accepts and why it
 * exists. config.ts reads flags and variables against this table, and --help and the README table are rendered
 * from it, so none of them can disagree.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { parseHostPatterns, type HostPattern } from './analysis/providerPolicy.ts';
import { parseDuration } from './api/duration.ts';
import { unleashBaseUrl, unleashDefaults } from './flags/settings.ts';
import { parseTenancy, type TenancyPolicy } from './flags/tenancy.ts';
import { logLevels, type LogLevel } from './log.ts';

/** The label that assigns a Rollout to the controller started with the same `--instance-id`. */
export const instanceIdLabel = 'sluice.dev/instance-id';

/** What the loader asks of the machine it runs on; tests pass their own. */
export interface ConfigHost {
  /** The namespace of the pod this runs in, or undefined outside a cluster. */
  podNamespace(): string | undefined;
  hostname(): string;
  /** A few random characters, so that two controllers on one host have different identities. */
  randomSuffix(): string;
}

const serviceAccountNamespaceFile = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export const machineHost: ConfigHost = {
  podNamespace() {
    try {
      return readFileSync(serviceAccountNamespaceFile, 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  },
  hostname: () => hostname(),
  randomSuffix: () => randomBytes(3).toString('hex'),
};

/** What a parser returns for text it does not accept. */
export const invalid: unique symbol = Symbol('invalid');

/** What a parser returns for text it does not accept when it can say more than `accepts` does. */
export class Refused {
  readonly reason: string;

  constructor(reason: string) {
    this.reason = reason;
  }
}

export interface DefaultContext {
  /** Given to defaults that depend on it (the Lease name). */
  instanceId: string | undefined;
  host: ConfigHost;
}

export interface Setting<T> {
  flag: `--${string}`;
  env: string;
  /** What the value is, in --help: `--metrics-port <port>`. */
  valueName: string;
  /** Completes "... is not <accepts>" in errors and "Accepts <accepts>." in the docs. */
  accepts: string;
  description: string;
  /** The default in words, for --help and the README. */
  defaultText: string;
  default: (context: DefaultContext) => T;
  parse: (text: string) => T | typeof invalid | Refused;
  /** May stand alone (`--leader-elect` means true); a value needs `=`, as with Go's flag package. */
  boolean?: true;
  /**
   * A secret: read from the environment (or a file setting) only. A flag's value is visible to every user of the
   * machine in the process list, so the flag is refused with a message saying what to use instead.
   */
  secret?: { instead: string };
}

function setting<T>(spec: Setting<T>): Setting<T> {
  return spec;
}

// DNS-1123 label: what namespaces are, and what an instance id must be to end a Lease name and be a label value.
const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsSubdomain = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function parseWholeNumber(min: number, max: number) {
  return (text: string): number | typeof invalid => {
    if (!/^[0-9]+$/.test(text)) return invalid;
    const value = Number(text);
    return value >= min && value <= max ? value : invalid;
  };
}

const parsePort = parseWholeNumber(1, 65_535);

/** Node's timers fire at once past 2^31-1 ms (24.8 days): no duration setting may reach it. */
const maxSettingMs = 24 * 24 * 3_600_000;

function parseDurationAtLeast(minMs: number) {
  return (text: string): number | typeof invalid => {
    try {
      const ms = parseDuration(text);
      return ms >= minMs && ms > 0 && ms <= maxSettingMs ? ms : invalid;
    } catch {
      return invalid;
    }
  };
}

/** "/sluice" and "/sluice/" both become "/sluice/"; no "..", "//", query or fragment. */
function parseBasePath(text: string): string | typeof invalid {
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(text) || text.includes('//') || /\/\.\.?(\/|$)/.test(text)) return invalid;
  return text.endsWith('/') ? text : `${text}/`;
}

export const booleanWords = new Map([
  ['true', true],
  ['1', true],
  ['false', false],
  ['0', false],
]);

const durationExamples = '(like 15s, 1m30s or 500ms)';

const byteUnits: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** "64Mi", "1Gi", "16777216": a size in bytes, as Kubernetes writes memory, from `min` up. */
function parseBytesAtLeast(min: number) {
  return (text: string): number | typeof invalid => {
    const m = /^([0-9]+)(Ki|Mi|Gi)?$/.exec(text);
    if (m === null) return invalid;
    const bytes = Number(m[1]) * byteUnits[m[2] ?? '']!;
    return Number.isSafeInteger(bytes) && bytes >= min ? bytes : invalid;
  };
}

/** Inline YAML or JSON when the text starts with "{", else a path to a file holding it (read once, at start). */
function parseTenancySetting(text: string): TenancyPolicy | undefined | Refused {
  if (text.trim() === '') return undefined;
  let source = text;
  if (!text.trimStart().startsWith('{')) {
    try {
      source = readFileSync(text, 'utf8');
    } catch (err) {
      return new Refused(`cannot read the policy file ${text}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const policy = parseTenancy(source);
  return 'problem' in policy ? new Refused(`the policy ${policy.problem}`) : policy;
}

export const settings = {
  kubeconfig: setting<string | undefined>({
    flag: '--kubeconfig',
    env: 'KUBECONFIG',
    valueName: 'path',
    accepts: 'a path to a kubeconfig file',
    description: 'Kubeconfig to reach the API server with.',
    defaultText: 'in a pod, its service account; elsewhere ~/.kube/config',
    default: () => undefined,
    parse: (text) => text || undefined,
  }),
  namespace: setting({
    flag: '--namespace',
    env: 'SLUICE_NAMESPACE',
    valueName: 'namespace',
    accepts: 'a namespace name (lowercase letters, digits and "-", at most 63) or empty',
    description: 'The only namespace whose Rollouts this controller handles; empty for all of them.',
    defaultText: '(all namespaces)',
    default: () => '',
    parse: (text) => (text === '' || dnsLabel.test(text) ? text : invalid),
  }),
  instanceId: setting<string | undefined>({
    flag: '--instance-id',
    env: 'SLUICE_INSTANCE_ID',
    valueName: 'id',
    accepts: 'an id of lowercase letters, digits and "-" (at most 63, starting and ending with a letter or digit)',
    description:
      `Shards the cluster between controllers: with an id, this one handles only Rollouts labelled ${instanceIdLabel}=<id>; ` +
      'without one, only Rollouts that have no such label.',
    defaultText: '(none)',
    default: () => undefined,
    parse: (text) => (text === '' ? undefined : dnsLabel.test(text) ? text : invalid),
  }),
  logLevel: setting<LogLevel>({
    flag: '--log-level',
    env: 'SLUICE_LOG_LEVEL',
    valueName: 'level',
    accepts: `one of ${logLevels.join(', ')}`,
    description: 'The least severe level that is logged.',
    defaultText: 'info',
    default: () => 'info',
    parse: (text) => logLevels.find((level) => level === text.toLowerCase()) ?? invalid,
  }),
  metricsPort: setting({
    flag: '--metrics-port',
    env: 'SLUICE_METRICS_PORT',
    valueName: 'port',
    accepts: 'a port (1-65535)',
    description: 'Port of the Prometheus /metrics endpoint and the health probes.',
    defaultText: '8080',
    default: () => 8080,
    parse: parsePort,
  }),
  metricsAddress: setting({
    flag: '--metrics-address',
    env: 'SLUICE_METRICS_ADDRESS',
    valueName: 'ip',
    accepts: 'an IP address to listen on (like 0.0.0.0, 127.0.0.1 or ::)',
    description: 'Address the metrics endpoint, the health probes and the dashboard listen on.',
    defaultText: '0.0.0.0',
    default: () => '0.0.0.0',
    parse: (text) => (isIP(text) === 0 ? invalid : text),
  }),
  leaderElect: setting({
    flag: '--leader-elect',
    env: 'SLUICE_LEADER_ELECT',
    valueName: 'bool',
    accepts: 'true or false',
    boolean: true,
    description:
      'Take a Lease before reconciling, so that of several replicas only one acts. Turn off only for a single local run.',
    defaultText: 'true',
    default: () => true,
    parse: (text) => booleanWords.get(text.toLowerCase()) ?? invalid,
  }),
  leaderElectionNamespace: setting({
    flag: '--leader-election-namespace',
    env: 'SLUICE_LEADER_ELECTION_NAMESPACE',
    valueName: 'namespace',
    accepts: 'a namespace name (lowercase letters, digits and "-", at most 63)',
    description: 'Namespace of the leader-election Lease.',
    defaultText: 'the namespace of the pod, else sluice-system',
    default: ({ host }) => host.podNamespace() ?? 'sluice-system',
    parse: (text) => (dnsLabel.test(text) ? text : invalid),
  }),
  leaderElectionId: setting({
    flag: '--leader-election-id',
    env: 'SLUICE_LEADER_ELECTION_ID',
    valueName: 'name',
    accepts: 'a Lease name (lowercase letters, digits, "-" and ".", at most 253)',
    description: 'Name of the leader-election Lease; controllers with the same name elect one leader between them.',
    defaultText: 'sluice-controller, or sluice-controller-<instance-id> with an instance id',
    default: ({ instanceId }) => (instanceId === undefined ? 'sluice-controller' : `sluice-controller-${instanceId}`),
    parse: (text) => (dnsSubdomain.test(text) ? text : invalid),
  }),
  leaseDurationMs: setting({
    flag: '--lease-duration',
    env: 'SLUICE_LEASE_DURATION',
    valueName: 'duration',
    accepts: `a duration longer than 0 and at most 576h ${durationExamples}`,
    description: 'How long the other replicas wait after the last renewal before they take the Lease over.',
    defaultText: '15s',
    default: () => 15_000,
    parse: parseDurationAtLeast(0),
  }),
  renewDeadlineMs: setting({
    flag: '--renew-deadline',
    env: 'SLUICE_RENEW_DEADLINE',
    valueName: 'duration',
    accepts: `a duration longer than 0 and at most 576h ${durationExamples}`,
    description:
      'How long the leader keeps trying to renew before it stops reconciling; shorter than the lease duration.',
    defaultText: '10s',
    default: () => 10_000,
    parse: parseDurationAtLeast(0),
  }),
  retryPeriodMs: setting({
    flag: '--retry-period',
    env: 'SLUICE_RETRY_PERIOD',
    valueName: 'duration',
    accepts: `a duration longer than 0 and at most 576h ${durationExamples}`,
    description: 'How often to try to take or renew the Lease; shorter than the renew deadline.',
    defaultText: '2s',
    default: () => 2_000,
    parse: parseDurationAtLeast(0),
  }),
  concurrency: setting({
    flag: '--concurrency',
    env: 'SLUICE_CONCURRENCY',
    valueName: 'n',
    accepts: 'a whole number from 1 to 100',
    description: 'How many Rollouts are reconciled at once (one Rollout is never reconciled twice at once).',
    defaultText: '4',
    default: () => 4,
    parse: parseWholeNumber(1, 100),
  }),
  resyncPeriodMs: setting({
    flag: '--resync-period',
    env: 'SLUICE_RESYNC_PERIOD',
    valueName: 'duration',
    accepts: 'a duration from 1s to 576h (like 5m or 30s)',
    description: 'How often every watched list is read again, in case a watch stalled without an error.',
    defaultText: '5m',
    default: () => 300_000,
    parse: parseDurationAtLeast(1_000),
  }),
  kubeApiQps: setting({
    flag: '--kube-api-qps',
    env: 'SLUICE_KUBE_API_QPS',
    valueName: 'rate',
    accepts: 'a number of requests per second above 0',
    description:
      'Sustained rate of requests to the API server. Events are sent in the background with a budget of their own of the same size.',
    defaultText: '50',
    default: () => 50,
    parse: (text) => (/^[0-9]+(\.[0-9]+)?$/.test(text) && Number(text) > 0 ? Number(text) : invalid),
  }),
  kubeApiBurst: setting({
    flag: '--kube-api-burst',
    env: 'SLUICE_KUBE_API_BURST',
    valueName: 'n',
    accepts: 'a whole number of requests from 1 to 10000',
    description: 'Requests to the API server allowed at once above the sustained rate.',
    defaultText: '100',
    default: () => 100,
    parse: parseWholeNumber(1, 10_000),
  }),
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
  unleashUrl: setting<string | undefined>({
    flag: '--unleash-url',
    env: 'SLUICE_UNLEASH_URL',
    valueName: 'url',
    accepts: 'an http(s) URL of the Unleash server, without credentials',
    description: 'Unleash server for setFlag steps and freeze flags. Needed only when a Rollout uses them.',
    defaultText: '(none)',
    default: () => undefined,
    parse: (text) => (text === '' ? undefined : unleashBaseUrl(text) === undefined ? invalid : text),
  }),
  unleashAdminToken: setting<string | undefined>({
    flag: '--unleash-admin-token',
    env: 'SLUICE_UNLEASH_ADMIN_TOKEN',
    valueName: 'token',
    accepts: 'an Unleash admin API token',
    description:
      'Admin API token that setFlag steps and abort restores write with; in a cluster, from a Secret. Never logged. ' +
      'Environment only (or --unleash-admin-token-file): a flag would show the token in the process list.',
    defaultText: '(none)',
    default: () => undefined,
    parse: (text) => text || undefined,
    secret: { instead: 'SLUICE_UNLEASH_ADMIN_TOKEN (from a Secret) or --unleash-admin-token-file=<path>' },
  }),
  unleashAdminTokenFile: setting<string | undefined>({
    flag: '--unleash-admin-token-file',
    env: 'SLUICE_UNLEASH_ADMIN_TOKEN_FILE',
    valueName: 'path',
    accepts: 'a path to a file holding the token',
    description:
      'File the Unleash admin API token is read from at start (a mounted Secret), instead of SLUICE_UNLEASH_ADMIN_TOKEN.',
    defaultText: '(none)',
    default: () => undefined,
    parse: (text) => text || undefined,
  }),
  unleashTenancy: setting<TenancyPolicy | undefined>({
    flag: '--unleash-tenancy',
    env: 'SLUICE_UNLEASH_TENANCY',
    valueName: 'policy',
    accepts: 'a policy in YAML or JSON, inline when it starts with "{", else the path of a file holding it',
    description:
      'Which Unleash projects and environments the Rollouts of each namespace may change with setFlag steps, like ' +
      '{namespaces: {shop: {projects: [shop], environments: [production]}, "*": {projects: [default], environments: [development]}}}; ' +
      'a namespace without an entry follows "*", and "*" in a list allows any name. A step outside it is InvalidSpec and no flag moves.',
    defaultText: 'every namespace may change only --unleash-project in --unleash-environment',
    default: () => undefined,
    parse: parseTenancySetting,
  }),
  unleashClientToken: setting<string | undefined>({
    flag: '--unleash-client-token',
    env: 'SLUICE_UNLEASH_CLIENT_TOKEN',
    valueName: 'token',
    accepts: 'an Unleash backend (client) API token',
    description:
      'Client API token that freeze flags are read with (its environment is the one read); in a cluster, from a Secret. Never logged.',
    defaultText: '(none)',
    default: () => undefined,
    parse: (text) => text || undefined,
  }),
  unleashEnvironment: setting({
    flag: '--unleash-environment',
    env: 'SLUICE_UNLEASH_ENVIRONMENT',
    valueName: 'name',
    accepts: 'an Unleash environment name',
    description: 'Environment a setFlag step changes when it names none.',
    defaultText: unleashDefaults.defaultEnvironment,
    default: () => unleashDefaults.defaultEnvironment,
    parse: (text) => (/^[A-Za-z0-9_.-]{1,100}$/.test(text) ? text : invalid),
  }),
  unleashProject: setting({
    flag: '--unleash-project',
    env: 'SLUICE_UNLEASH_PROJECT',
    valueName: 'name',
    accepts: 'an Unleash project id',
    description: 'Project of a flag when a setFlag step names none.',
    defaultText: unleashDefaults.defaultProject,
    default: () => unleashDefaults.defaultProject,
    parse: (text) => (/^[A-Za-z0-9_.-]{1,100}$/.test(text) ? text : invalid),
  }),
  analysisAllowedHosts: setting<HostPattern[]>({
    flag: '--analysis-allowed-hosts',
    env: 'SLUICE_ANALYSIS_ALLOWED_HOSTS',
    valueName: 'hosts',
    accepts: 'host, host:port, *.domain or *.domain:port entries separated by commas, or * for any host',
    description:
      'Hosts a namespaced AnalysisTemplate may query (provider.prometheus.address); ClusterAnalysisTemplates, written by cluster admins, may query any. ' +
      'An entry without a port allows every port. No address may carry credentials or use a scheme other than http(s).',
    defaultText: '(none: only ClusterAnalysisTemplates may query Prometheus)',
    default: () => [],
    parse: (text) => {
      const patterns = parseHostPatterns(text);
      return 'problem' in patterns ? new Refused(patterns.problem) : patterns;
    },
  }),
  analysisAnswerBudget: setting({
    flag: '--analysis-answer-budget',
    env: 'SLUICE_ANALYSIS_ANSWER_BUDGET',
    valueName: 'bytes',
    accepts: 'a size of at least 16Mi (like 64Mi or 1Gi)',
    description:
      'Bytes of Prometheus answers the controller holds at once, over all analyses; one answer may be at most 8 MiB. ' +
      'A measurement whose answer finds no room before its timeout is an Error, measured again at the next interval.',
    defaultText: '64Mi',
    default: () => 64 * 1024 * 1024,
    parse: parseBytesAtLeast(16 * 1024 * 1024),
  }),
  podName: setting({
    flag: '--pod-name',
    env: 'POD_NAME',
    valueName: 'name',
    accepts: 'a name of 1 to 253 characters',
    description: "This replica's identity in the leader-election Lease (set it from the downward API).",
    defaultText: 'the host name and a random suffix',
    default: ({ host }) => `${host.hostname()}-${host.randomSuffix()}`,
    parse: (text) => (text.length >= 1 && text.length <= 253 ? text : invalid),
  }),
};

export type SettingName = keyof typeof settings;
export type SettingValue<S> = S extends Setting<infer T> ? T : never;
