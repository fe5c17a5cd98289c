/**
 * The controller's one config loader. Every setting is declared once, in `settings` (settings.ts), with its flag, its
 * environment variable, its default, what it accepts and why it exists; the loader, `--help` and the README table
 * are all read from that table, so they cannot disagree. A flag wins over its environment variable, which wins
 * over the default. Bad input stops the controller before it touches the cluster, with a message that names the
 * flag and the variable and says what would be accepted.
 */
import { readFileSync } from 'node:fs';
import { formatDuration } from './api/duration.ts';
import {
  booleanWords,
  instanceIdLabel,
  invalid,
  machineHost,
  Refused,
  settings,
  type ConfigHost,
  type DefaultContext,
  type SettingName,
  type SettingValue,
} from './settings.ts';

export { instanceIdLabel, machineHost, settings, type ConfigHost } from './settings.ts';

/** The controller's settings, one field per entry of `settings`. Durations are in milliseconds. */
export type ControllerConfig = { readonly [K in SettingName]: SettingValue<(typeof settings)[K]> };

/** Why the controller cannot start with the given flags and environment: one line per problem. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type ConfigOutcome = { kind: 'run'; config: ControllerConfig } | { kind: 'help'; text: string };

type Environment = Readonly<Record<string, string | undefined>>;

const names = Object.keys(settings) as SettingName[];
const byFlag = new Map(names.map((name) => [settings[name].flag, name]));

function label(name: SettingName): string {
  return `${settings[name].flag} / ${settings[name].env}`;
}

/** Reads the flags (`process.argv.slice(2)`) and the environment; throws ConfigError with every problem found. */
export function loadConfig(argv: readonly string[], env: Environment, host: ConfigHost = machineHost): ConfigOutcome {
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help', text: renderHelp() };
  const problems: string[] = [];
  const raw = new Map<SettingName, string>();
  for (const name of names) {
    const fromEnv = env[settings[name].env];
    if (fromEnv !== undefined) raw.set(name, fromEnv);
  }
  // Flags after the environment, so that a flag wins; a repeated flag's last value wins, as in Go.
  readFlags(argv, raw, problems);

  const values = new Map<SettingName, unknown>();
  for (const name of names) {
    const text = raw.get(name);
    if (text === undefined) continue;
    const value: unknown = settings[name].parse(text);
    if (value === invalid) problems.push(`${label(name)}: ${JSON.stringify(text)} is not ${settings[name].accepts}`);
    else if (value instanceof Refused) problems.push(`${label(name)}: ${value.reason}`);
    else values.set(name, value);
  }
  const context: DefaultContext = { instanceId: values.get('instanceId') as string | undefined, host };
  for (const name of names) {
    if (!values.has(name)) values.set(name, settings[name].default(context));
  }
  if (values.get('unleashAdminTokenFile') !== undefined) readAdminTokenFile(values, problems);
  // Each value came from its own setting's parser or default, so the object has the ControllerConfig shape.
  const config = Object.fromEntries(values) as ControllerConfig;
  if (problems.length === 0) problems.push(...crossSettingProblems(config));
  if (problems.length > 0) throw new ConfigError(problems);
  return { kind: 'run', config };
}

/** The admin token from its file: once, at start (restart the controller after rotating the Secret). */
function readAdminTokenFile(values: Map<SettingName, unknown>, problems: string[]): void {
  const path = values.get('unleashAdminTokenFile') as string;
  if (values.get('unleashAdminToken') !== undefined) {
    problems.push(`${label('unleashAdminTokenFile')} and ${settings.unleashAdminToken.env} are both set: set only one`);
    return;
  }
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (err) {
    problems.push(
      `${label('unleashAdminTokenFile')}: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`,
    );
    return;
  }
  if (token === '')
    problems.push(`${label('unleashAdminTokenFile')}: ${path} is empty: it should hold the Unleash admin API token`);
  else values.set('unleashAdminToken', token);
}

function readFlags(argv: readonly string[], raw: Map<SettingName, string>, problems: string[]): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) {
      problems.push(`unexpected argument ${JSON.stringify(arg)}: every setting is a --flag (see --help)`);
      continue;
    }
    const equals = arg.indexOf('=');
    const flag = equals === -1 ? arg : arg.slice(0, equals);
    const name = byFlag.get(flag as `--${string}`);
    if (name === undefined) {
      problems.push(`unknown flag ${flag} (see --help for the flags)`);
      continue;
    }
    const { boolean, valueName } = settings[name];
    const next = argv[i + 1];
    const secret = (settings[name] as { secret?: { instead: string } }).secret;
    if (secret !== undefined) {
      // Not even read: the value is already in the process list, and must not reach the config either.
      problems.push(
        `${flag} is not accepted: a flag's value is visible to every user of the machine in the process list; use ${secret.instead}`,
      );
      if (equals === -1 && next !== undefined && !next.startsWith('--')) i++;
    } else if (equals !== -1) {
      raw.set(name, arg.slice(equals + 1));
    } else if (boolean && next !== undefined && booleanWords.has(next.toLowerCase())) {
      // Go's rule: `--leader-elect false` is the flag (true) and a stray word. Say what works instead.
      problems.push(`${flag} takes its value after "=": ${flag}=${next}`);
      i++;
    } else if (boolean) {
      raw.set(name, 'true');
    } else if (next !== undefined && !next.startsWith('--')) {
      raw.set(name, next);
      i++;
    } else {
      problems.push(`${flag} needs a value: ${flag}=<${valueName}> or ${flag} <${valueName}>`);
    }
  }
}

function crossSettingProblems(config: ControllerConfig): string[] {
  const problems: string[] = [];
  const shorter = (a: 'renewDeadlineMs' | 'retryPeriodMs', b: 'leaseDurationMs' | 'renewDeadlineMs') => {
    if (config[a] >= config[b]) {
      problems.push(
        `${label(a)} (${formatDuration(config[a])}) must be shorter than ${label(b)} (${formatDuration(config[b])}): ` +
          'otherwise another replica can take the Lease while this one still believes it leads',
      );
    }
  };
  shorter('renewDeadlineMs', 'leaseDurationMs');
  shorter('retryPeriodMs', 'renewDeadlineMs');
  if (config.metricsPort === config.dashboardPort) {
    problems.push(
      `${label('metricsPort')} and ${label('dashboardPort')} are both ${config.metricsPort}: they need different ports`,
    );
  }
  return problems;
}

/** The label selector for the Rollouts this controller handles, per `--instance-id`. */
export function rolloutSelector(config: Pick<ControllerConfig, 'instanceId'>): string {
  return config.instanceId === undefined ? `!${instanceIdLabel}` : `${instanceIdLabel}=${config.instanceId}`;
}

function usage(name: SettingName): string {
  const { flag, valueName, boolean } = settings[name];
  if ('secret' in settings[name]) return `(environment only: ${settings[name].env})`;
  return boolean ? `${flag}[=<${valueName}>]` : `${flag} <${valueName}>`;
}

/** The text of `--help`. */
export function renderHelp(): string {
  const lines = [
    'Usage: sluice-controller [flags]',
    '',
    'Sluice: progressive delivery for Kubernetes. Every setting is a flag and an environment variable;',
    'a flag wins over its variable, which wins over the default. Durations are written like 15s, 1m30s or 500ms.',
    '',
    'Flags:',
  ];
  for (const name of names) {
    const s = settings[name];
    lines.push(
      `  ${usage(name)}  (env ${s.env}; default: ${s.defaultText})`,
      `      ${s.description} Accepts ${s.accepts}.`,
    );
  }
  lines.push('  -h, --help', '      Print this text and exit.');
  return lines.join('\n') + '\n';
}

/** The settings as a Markdown table, for the README. */
export function renderSettingsTable(): string {
  // Markdown would take `<id>` for an HTML tag, `|` for a column break and two wildcards for emphasis.
  const cell = (text: string) =>
    text.replaceAll('|', '\\|').replaceAll('*', '\\*').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  const rows = names.map((name) => {
    const s = settings[name];
    return `| \`${usage(name)}\` | \`${s.env}\` | ${cell(s.defaultText)} | ${cell(`${s.description} Accepts ${s.accepts}.`)} |`;
  });
  return (
    ['| Flag | Environment variable | Default | Description |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n'
  );
}
