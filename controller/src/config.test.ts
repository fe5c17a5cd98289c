import { describe, expect, it } from 'vitest';
import {
  loadConfig,
  machineHost,
  renderHelp,
  renderSettingsTable,
  rolloutSelector,
  settings,
  type ControllerConfig,
} from './config.ts';
import { host, load, problemsOf, tokenFile } from './config.test-support.ts';

describe('loadConfig defaults', () => {
  it('gives every setting its default when nothing is set', () => {
    expect(load()).toEqual({
      kubeconfig: undefined,
      namespace: '',
      instanceId: undefined,
      logLevel: 'info',
      metricsPort: 8080,
      metricsAddress: '0.0.0.0',
      leaderElect: true,
      leaderElectionNamespace: 'sluice-system',
      leaderElectionId: 'sluice-controller',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      concurrency: 4,
      resyncPeriodMs: 300_000,
      kubeApiQps: 50,
      kubeApiBurst: 100,
      dashboardPort: 3100,
      dashboardBasePath: '/',
      dashboardActions: false,
      dashboardAllowedHosts: [],
      dashboardAudience: 'sluice-dashboard',
      unleashUrl: undefined,
      unleashAdminToken: undefined,
      unleashClientToken: undefined,
      unleashAdminTokenFile: undefined,
      unleashTenancy: undefined,
      unleashEnvironment: 'development',
      unleashProject: 'default',
      analysisAllowedHosts: [],
      analysisAnswerBudget: 64 * 1024 * 1024,
      otlpEndpoint: undefined,
      otlpTracesEndpoint: undefined,
      otlpHeaders: {},
      otlpProtocol: 'http/json',
      otlpTracesProtocol: undefined,
      tracesSampler: 'parentbased_always_on',
      tracesSamplerArg: 1,
      tracesQueueSize: 2048,
      tracesExportDelay: 5_000,
      podName: 'sluice-7d9f-a1b2c3',
    });
  });

  it('puts the Lease in the namespace of the pod when it runs in one', () => {
    expect(load([], {}, { ...host, podNamespace: () => 'platform' }).leaderElectionNamespace).toBe('platform');
  });

  it('names the Lease after the instance id, so that each shard elects its own leader', () => {
    expect(load(['--instance-id', 'team-a']).leaderElectionId).toBe('sluice-controller-team-a');
    expect(load(['--instance-id=team-a', '--leader-election-id=shop-sluice']).leaderElectionId).toBe('shop-sluice');
  });

  it('gives two controllers on one host different identities by default', () => {
    expect(machineHost.hostname()).not.toBe('');
    expect(machineHost.randomSuffix()).toMatch(/^[0-9a-f]{6}$/);
    expect(machineHost.randomSuffix()).not.toBe(machineHost.randomSuffix());
  });
});

/** For each setting: a text it accepts and the value that text gives. */
const accepted: { [K in keyof ControllerConfig]: [string, ControllerConfig[K]] } = {
  kubeconfig: ['/home/ops/.kube/staging', '/home/ops/.kube/staging'],
  namespace: ['shop', 'shop'],
  instanceId: ['team-a', 'team-a'],
  logLevel: ['DEBUG', 'debug'],
  metricsPort: ['9090', 9090],
  metricsAddress: ['::1', '::1'],
  leaderElect: ['false', false],
  leaderElectionNamespace: ['platform', 'platform'],
  leaderElectionId: ['sluice.shop', 'sluice.shop'],
  leaseDurationMs: ['1m30s', 90_000],
  renewDeadlineMs: ['12s', 12_000],
  retryPeriodMs: ['500ms', 500],
  concurrency: ['16', 16],
  resyncPeriodMs: ['1h', 3_600_000],
  kubeApiQps: ['7.5', 7.5],
  kubeApiBurst: ['20', 20],
  dashboardPort: ['8443', 8443],
  dashboardBasePath: ['/sluice', '/sluice/'],
  dashboardActions: ['true', true],
  dashboardAllowedHosts: ['sluice.example.com, 10.0.0.5,,', ['sluice.example.com', '10.0.0.5']],
  dashboardAudience: ['https://sluice.example.com', 'https://sluice.example.com'],
  unleashUrl: ['http://unleash.unleash:4242', 'http://unleash.unleash:4242'],
  unleashAdminToken: ['*:*.0123abcd', '*:*.0123abcd'],
  unleashAdminTokenFile: [tokenFile, tokenFile],
  unleashTenancy: [
    '{namespaces: {shop: {projects: [shop], environments: [production]}}}',
    { namespaces: { shop: { projects: ['shop'], environments: ['production'] } }, source: 'setting' },
  ],
  unleashClientToken: ['default:production.0123abcd', 'default:production.0123abcd'],
  unleashEnvironment: ['production', 'production'],
  unleashProject: ['payments', 'payments'],
  analysisAllowedHosts: [
    'prometheus.monitoring:9090,*.svc',
    [
      { host: 'prometheus.monitoring', port: 9090 },
      { host: '*.svc', port: undefined },
    ],
  ],
  analysisAnswerBudget: ['128Mi', 128 * 1024 * 1024],
  otlpEndpoint: ['http://otel-collector.observability:4318', 'http://otel-collector.observability:4318'],
  otlpTracesEndpoint: ['https://otlp.example.com/v1/traces', 'https://otlp.example.com/v1/traces'],
  otlpProtocol: ['http/protobuf', 'http/protobuf'],
  otlpTracesProtocol: ['http/json', 'http/json'],
  otlpHeaders: ['api-key=s3cr%3Dt, X-Scope-OrgID=shop', { 'api-key': 's3cr=t', 'x-scope-orgid': 'shop' }],
  tracesSampler: ['parentbased_traceidratio', 'parentbased_traceidratio'],
  tracesSamplerArg: ['0.25', 0.25],
  tracesQueueSize: ['64', 64],
  tracesExportDelay: ['250', 250],
  podName: ['sluice-controller-5c9d8-xk2lp', 'sluice-controller-5c9d8-xk2lp'],
};
const names = Object.keys(settings) as (keyof ControllerConfig)[];

describe('loadConfig sources', () => {
  it('has a sample for every setting in the table', () => {
    expect(Object.keys(accepted).sort()).toEqual([...names].sort());
  });

  const flagged = names.filter((name) => !('secret' in settings[name]));
  it.each(flagged)('reads %s from its flag, as --flag=value and as --flag value', (name) => {
    const [text, value] = accepted[name];
    const { flag } = settings[name];
    expect(load([`${flag}=${text}`])[name]).toEqual(value);
    if (!('boolean' in settings[name])) expect(load([flag, text])[name]).toEqual(value);
  });

  it.each(names)('reads %s from its environment variable', (name) => {
    const [text, value] = accepted[name];
    expect(load([], { [settings[name].env]: text })[name]).toEqual(value);
  });

  it('prefers a flag to its variable, and its variable to the default', () => {
    const env = { SLUICE_METRICS_PORT: '9100', SLUICE_CONCURRENCY: '8' };
    const config = load(['--metrics-port', '9200'], env);
    expect(config.metricsPort).toBe(9200);
    expect(config.concurrency).toBe(8);
    expect(config.dashboardPort).toBe(3100);
  });

  it('takes the last of a repeated flag, so that a wrapper can append an override', () => {
    expect(load(['--log-level=warn', '--log-level=error']).logLevel).toBe('error');
  });

  it('reads a boolean flag that stands alone as true, over a variable that says false', () => {
    expect(load(['--leader-elect'], { SLUICE_LEADER_ELECT: 'false' }).leaderElect).toBe(true);
    expect(load(['--leader-elect=0']).leaderElect).toBe(false);
  });

  it('reads an empty namespace, instance id or kubeconfig as none', () => {
    const config = load(['--namespace='], { SLUICE_INSTANCE_ID: '', KUBECONFIG: '' });
    expect(config).toMatchObject({ namespace: '', instanceId: undefined, kubeconfig: undefined });
  });

  it('ignores variables it does not own', () => {
    expect(load([], { SLUICE_UNRELATED: 'x', HOME: '/root' }).metricsPort).toBe(8080);
  });
});

describe('loadConfig refusals', () => {
  it('names the flag and the variable and says what a port is', () => {
    expect(problemsOf(['--metrics-port', 'abc'])).toEqual([
      '--metrics-port / SLUICE_METRICS_PORT: "abc" is not a port (1-65535)',
    ]);
    expect(problemsOf([], { SLUICE_METRICS_PORT: '' })).toEqual([
      '--metrics-port / SLUICE_METRICS_PORT: "" is not a port (1-65535)',
    ]);
  });

  it.each([
    ['--metrics-port', '0', /is not a port \(1-65535\)/],
    ['--dashboard-port', '65536', /is not a port/],
    ['--dashboard-base-path', 'sluice', /is not a URL path starting with "\/"/],
    ['--dashboard-base-path', '/a/../b', /is not a URL path/],
    ['--dashboard-base-path', '/sluice?x=1', /is not a URL path/],
    ['--dashboard-actions', 'on', /is not true or false/],
    [
      '--dashboard-allowed-hosts',
      'sluice.example.com:8443',
      /is not comma-separated host names or IP addresses, without ports/,
    ],
    ['--dashboard-audience', 'two words', /is not a token audience/],
    ['--metrics-port', '80.5', /is not a port/],
    ['--namespace', 'Shop', /is not a namespace name/],
    ['--instance-id', 'team_a', /is not an id of lowercase letters/],
    ['--instance-id', 'a'.repeat(64), /is not an id/],
    ['--log-level', 'verbose', /is not one of trace, debug, info, warn, error/],
    ['--metrics-address', 'localhost', /is not an IP address/],
    ['--leader-elect', 'yes', /is not true or false/],
    ['--leader-election-namespace', '', /is not a namespace name/],
    ['--leader-election-id', 'Sluice', /is not a Lease name/],
    ['--lease-duration', '15', /"15" is not a duration in whole seconds, longer than 0 and at most 576h \(like 15s/],
    ['--renew-deadline', '0s', /is not a duration longer than 0/],
    ['--retry-period', '-2s', /is not a duration/],
    ['--resync-period', '500ms', /is not a duration from 1s to 576h/],
    // Past 2^31-1 ms a Node timer fires at once: a 30-day lease would renew in a busy loop.
    ['--resync-period', '30d', /is not a duration from 1s to 576h/],
    ['--lease-duration', '600h', /is not a duration in whole seconds, longer than 0 and at most 576h/],
    ['--concurrency', '0', /is not a whole number from 1 to 100/],
    ['--concurrency', '2.5', /is not a whole number/],
    ['--kube-api-qps', '0', /is not a number of requests per second above 0/],
    ['--kube-api-qps', 'NaN', /is not a number/],
    ['--kube-api-burst', '-1', /is not a whole number of requests/],
    ['--pod-name', '', /is not a name of 1 to 253 characters/],
  ])('refuses %s=%j', (flag, text, message) => {
    const problems = problemsOf([`${flag}=${text}`]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${flag} / [A-Z_]+: `));
    expect(problems[0]).toMatch(message);
  });

  it('refuses an unknown flag, a single-dash flag and a stray argument', () => {
    expect(problemsOf(['--metric-port=9090', '-n', 'shop', 'extra'])).toEqual([
      'unknown flag --metric-port (see --help for the flags)',
      'unknown flag -n (see --help for the flags)',
      'unexpected argument "shop": every setting is a --flag (see --help)',
      'unexpected argument "extra": every setting is a --flag (see --help)',
    ]);
  });

  it('refuses a flag without its value', () => {
    expect(problemsOf(['--namespace'])).toEqual([
      '--namespace needs a value: --namespace=<namespace> or --namespace <namespace>',
    ]);
    expect(problemsOf(['--concurrency', '--namespace=shop'])).toEqual([
      '--concurrency needs a value: --concurrency=<n> or --concurrency <n>',
    ]);
  });

  it('says how to write a boolean that was given after a space', () => {
    expect(problemsOf(['--leader-elect', 'false'])).toEqual([
      '--leader-elect takes its value after "=": --leader-elect=false',
    ]);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(['--concurrency=many', '--bogus'], { SLUICE_LOG_LEVEL: 'loud' });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/--bogus[\s\S]*SLUICE_LOG_LEVEL: "loud"[\s\S]*SLUICE_CONCURRENCY: "many"/);
  });

  it('throws a ConfigError whose message lists the problems, one per line', () => {
    expect(() => loadConfig(['--concurrency=0', '--metrics-port=x'], {}, host)).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        message: expect.stringMatching(/^--metrics-port .*\n--concurrency /) as unknown,
      }),
    );
  });
});

describe('loadConfig rules between settings', () => {
  it('wants the renew deadline shorter than the lease duration', () => {
    expect(problemsOf(['--lease-duration=10s'])).toEqual([
      '--renew-deadline / SLUICE_RENEW_DEADLINE (10s) must be shorter than --lease-duration / SLUICE_LEASE_DURATION (10s): ' +
        'otherwise another replica can take the Lease while this one still believes it leads',
    ]);
  });

  it('wants the retry period shorter than the renew deadline', () => {
    expect(problemsOf(['--retry-period=1m'])).toEqual([
      expect.stringMatching(
        /^--retry-period \/ SLUICE_RETRY_PERIOD \(1m\) must be shorter than --renew-deadline \/ SLUICE_RENEW_DEADLINE \(10s\)/,
      ),
    ]);
  });

  it('accepts lease timings that keep the order, however short', () => {
    const config = load(['--lease-duration=3s', '--renew-deadline=2s', '--retry-period=500ms']);
    expect([config.leaseDurationMs, config.renewDeadlineMs, config.retryPeriodMs]).toEqual([3_000, 2_000, 500]);
  });

  it('wants the metrics and the dashboard on different ports', () => {
    expect(problemsOf(['--dashboard-port=8080'])).toEqual([
      '--metrics-port / SLUICE_METRICS_PORT and --dashboard-port / SLUICE_DASHBOARD_PORT are both 8080: they need different ports',
    ]);
  });
});

describe('--help', () => {
  it('returns the help text instead of a config, even beside bad flags', () => {
    const outcome = loadConfig(['--bogus', '--help'], { SLUICE_METRICS_PORT: 'x' }, host);
    expect(outcome).toEqual({ kind: 'help', text: renderHelp() });
    expect(loadConfig(['-h'], {}, host).kind).toBe('help');
  });

  it('lists every flag with its variable and default, in plain text', () => {
    const help = renderHelp();
    for (const setting of Object.values(settings)) {
      if ('secret' in setting) expect(help).toContain(`  (environment only: ${setting.env})`);
      else expect(help).toMatch(new RegExp(`^  ${setting.flag}[ []`, 'm'));
      expect(help).toContain(`env ${setting.env}; default: ${setting.defaultText}`);
      expect(help).toContain(setting.description);
    }
    expect(help).toContain('--leader-elect[=<bool>]');
    // No Markdown: tables, code spans or emphasis (a lone * is a wildcard in the allowed hosts and the tenancy policy).
    expect(help).not.toMatch(/[|`]|\*\*|\*[a-z]+\*/i);
    expect(help).not.toContain('\u001b');
  });
});

describe('renderSettingsTable', () => {
  it('has a header and one row per setting', () => {
    const lines = renderSettingsTable().trimEnd().split('\n');
    expect(lines.slice(0, 2)).toEqual([
      '| Flag | Environment variable | Default | Description |',
      '| --- | --- | --- | --- |',
    ]);
    expect(lines).toHaveLength(2 + names.length);
    expect(lines[2 + names.indexOf('metricsPort')]).toBe(
      '| `--metrics-port <port>` | `SLUICE_METRICS_PORT` | 8080 | Port of the Prometheus /metrics endpoint and the health probes. Accepts a port (1-65535). |',
    );
  });

  it('escapes what Markdown would read as HTML outside code spans', () => {
    const row = renderSettingsTable()
      .split('\n')
      .find((line) => line.startsWith('| `--leader-election-id'));
    expect(row).toContain('sluice-controller-&lt;instance-id&gt;');
    expect(row).toMatch(/^\| `--leader-election-id <name>` \|/);
  });
});

describe('rolloutSelector', () => {
  it('selects the labelled Rollouts for an instance, and the unlabelled ones without an id', () => {
    expect(rolloutSelector({ instanceId: 'team-a' })).toBe('sluice.dev/instance-id=team-a');
    expect(rolloutSelector({ instanceId: undefined })).toBe('!sluice.dev/instance-id');
  });
});
