/** The settings of the Unleash connection: the server, its tokens, and which projects each namespace may change. */
import { readFileSync } from 'node:fs';
import { unleashBaseUrl, unleashDefaults } from './flags/settings.ts';
import { parseTenancy, type TenancyPolicy } from './flags/tenancy.ts';
import { invalid, Refused, setting } from './settingParsers.ts';

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

export const unleashSettings = {
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
};
