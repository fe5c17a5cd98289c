/**
 * Which Unleash projects and environments the Rollouts of each namespace may change. A setFlag step is carried out
 * with the controller's one admin token, which can change any flag of any project; without a policy, whoever may
 * write a Rollout in any namespace could turn another team's flags in production. The policy is the cluster
 * admin's (--unleash-tenancy), not the Rollout author's.
 *
 * Shape (YAML or JSON):
 *
 *   namespaces:
 *     shop:   {projects: [shop], environments: [production, staging]}
 *     "*":    {projects: [default], environments: [development]}
 *
 * A namespace follows its own entry if it has one, else the "*" entry, else nothing is allowed; entries do not
 * merge. "*" in a list allows any project (or environment). With no policy at all, every namespace may change only
 * the controller's default project and default environment (--unleash-project, --unleash-environment): an upgrade
 * keeps the plain setup working and allows nothing more until an admin says so.
 *
 * Reading a freeze flag (gates.freezeFlag) is not covered: it changes nothing, and the client token it uses is
 * already bound to one environment.
 */
import { parse } from 'yaml';

export interface NamespaceGrant {
  projects: readonly string[];
  environments: readonly string[];
}

export interface TenancyPolicy {
  /** Grants by namespace name, or "*" for every namespace without an entry of its own. */
  namespaces: Readonly<Record<string, NamespaceGrant>>;
  /** Where the policy came from, for messages: the setting, or the defaults it stands in for. */
  source: 'setting' | 'defaults';
}

/** The setting that holds the policy, for messages. */
export const tenancySetting = '--unleash-tenancy / SLUICE_UNLEASH_TENANCY';

/** The policy without a setting: every namespace may change only the default project and environment. */
export function defaultTenancy(defaultProject: string, defaultEnvironment: string): TenancyPolicy {
  return {
    namespaces: { '*': { projects: [defaultProject], environments: [defaultEnvironment] } },
    source: 'defaults',
  };
}

export interface FlagTarget {
  project: string;
  environment: string;
}

const listed = (allowed: readonly string[], name: string) => allowed.includes('*') || allowed.includes(name);

/**
 * Why the Rollouts of `namespace` may not change a flag in `target`'s project or environment, naming the field to
 * fix (`<field>.project` or `<field>.environment`) and the setting to change; undefined when they may.
 */
export function flagAllowed(
  policy: TenancyPolicy,
  namespace: string,
  target: FlagTarget,
  field = 'setFlag',
): string | undefined {
  // Own keys only: a namespace called "constructor" or "__proto__" must not find Object.prototype's members.
  const grant = Object.hasOwn(policy.namespaces, namespace)
    ? policy.namespaces[namespace]
    : Object.hasOwn(policy.namespaces, '*')
      ? policy.namespaces['*']
      : undefined;
  const how =
    policy.source === 'defaults'
      ? `with no ${tenancySetting}, only the controller's default project and environment are allowed: a cluster admin can allow more there`
      : `a cluster admin can allow it in ${tenancySetting}`;
  if (grant === undefined) {
    return `${field}: the Rollouts of namespace ${namespace} may not change Unleash flags (the policy has no entry for it, nor "*"): ${how}`;
  }
  if (!listed(grant.projects, target.project)) {
    return (
      `${field}.project: the Rollouts of namespace ${namespace} may not change flags of Unleash project ${target.project} ` +
      `(allowed: ${grant.projects.join(', ')}): name an allowed project, or ${how}`
    );
  }
  if (!listed(grant.environments, target.environment)) {
    return (
      `${field}.environment: the Rollouts of namespace ${namespace} may not change flags in Unleash environment ${target.environment} ` +
      `(allowed: ${grant.environments.join(', ')}): name an allowed environment, or ${how}`
    );
  }
  return undefined;
}

const namespaceName = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const unleashName = /^[A-Za-z0-9_.-]{1,100}$/;

/** Reads a policy from YAML or JSON text; the problem as a sentence naming the key when it cannot. */
export function parseTenancy(text: string): TenancyPolicy | { problem: string } {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    return { problem: `is not YAML or JSON: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
  if (!isObject(doc) || !isObject(doc.namespaces))
    return {
      problem: 'needs a "namespaces" map, like {namespaces: {shop: {projects: [shop], environments: [production]}}}',
    };
  const extra = Object.keys(doc).filter((k) => k !== 'namespaces');
  if (extra.length > 0) return { problem: `has an unknown key ${JSON.stringify(extra[0])}: only "namespaces" is read` };
  const namespaces: Record<string, NamespaceGrant> = {};
  for (const [ns, grant] of Object.entries(doc.namespaces)) {
    const at = `namespaces.${ns}`;
    if (ns !== '*' && !namespaceName.test(ns))
      return { problem: `${at}: ${JSON.stringify(ns)} is not a namespace name or "*"` };
    if (!isObject(grant)) return { problem: `${at} must be a map with projects and environments` };
    const unknown = Object.keys(grant).filter((k) => k !== 'projects' && k !== 'environments');
    if (unknown.length > 0)
      return {
        problem: `${at} has an unknown key ${JSON.stringify(unknown[0])}: only projects and environments are read`,
      };
    const projects = nameList(grant.projects, `${at}.projects`);
    if (typeof projects === 'string') return { problem: projects };
    const environments = nameList(grant.environments, `${at}.environments`);
    if (typeof environments === 'string') return { problem: environments };
    namespaces[ns] = { projects, environments };
  }
  return { namespaces, source: 'setting' };
}

function nameList(value: unknown, at: string): string[] | string {
  if (!Array.isArray(value) || value.length === 0) return `${at} must be a list of at least one Unleash name, or ["*"]`;
  for (const name of value) {
    if (typeof name !== 'string' || (name !== '*' && !unleashName.test(name)))
      return `${at}: ${JSON.stringify(name)} is not an Unleash name or "*"`;
  }
  return value as string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
