/**
 * The settings of the controller's place in the cluster: how it reaches the API server and how fast, which Rollouts
 * it handles, its logs and metrics, and the leader election between its replicas.
 */
import { isIP } from 'node:net';
import { logLevels, type LogLevel } from './log.ts';
import {
  booleanWords,
  durationExamples,
  invalid,
  parseDurationAtLeast,
  parsePort,
  parseWholeNumber,
  setting,
} from './settingParsers.ts';

/** The label that assigns a Rollout to the controller started with the same `--instance-id`. */
export const instanceIdLabel = 'sluice.dev/instance-id';

// DNS-1123 label: what namespaces are, and what an instance id must be to end a Lease name and be a label value.
const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsSubdomain = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const clusterSettings = {
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
    // Whole seconds: the Lease holds it as spec.leaseDurationSeconds, an int32, and the API server refuses every
    // write of 15.5 (no replica would ever lead).
    accepts: 'a duration in whole seconds, longer than 0 and at most 576h (like 15s or 1m30s)',
    description: 'How long the other replicas wait after the last renewal before they take the Lease over.',
    defaultText: '15s',
    default: () => 15_000,
    parse: (text) => {
      const ms = parseDurationAtLeast(0)(text);
      return ms === invalid || ms % 1000 !== 0 ? invalid : ms;
    },
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
};

/** Last in the table: this replica's name in the Lease. */
export const podSettings = {
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
