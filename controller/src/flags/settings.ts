/**
 * What the controller needs to know about Unleash, as config.ts will load it. Everything is optional: a
 * controller whose Rollouts use no setFlag step and no freeze flag never needs Unleash, and the connection is
 * only made when the first Rollout asks for it (unleashConnection.ts).
 */
import type { TenancyPolicy } from './tenancy.ts';

export interface UnleashSettings {
  /** Base URL of the Unleash server, e.g. http://unleash.unleash:4242 (the /api/... paths are added here). */
  url: string | undefined;
  /** Admin API token (from a Secret): setFlag steps and restores write with it. Never logged. */
  adminToken: string | undefined;
  /** Backend (client) API token (from a Secret): the freeze gate reads flags with it. Its environment is the one the gate reads. */
  clientToken: string | undefined;
  /** Environment a setFlag step changes when it names none. */
  defaultEnvironment: string;
  /** Project of a flag when the step names none (the schema's own default is 'default' too). */
  defaultProject: string;
  /**
   * Which projects and environments each namespace's setFlag steps may change (--unleash-tenancy). Absent: only
   * the default project in the default environment (tenancy.ts).
   */
  tenancy?: TenancyPolicy | undefined;
}

/** The environment variables proposed for config.ts; messages name them so a user knows what to set. */
export const unleashEnv = {
  url: 'SLUICE_UNLEASH_URL',
  adminToken: 'SLUICE_UNLEASH_ADMIN_TOKEN',
  clientToken: 'SLUICE_UNLEASH_CLIENT_TOKEN',
  defaultEnvironment: 'SLUICE_UNLEASH_ENVIRONMENT',
  defaultProject: 'SLUICE_UNLEASH_PROJECT',
} as const;

export const unleashDefaults = {
  defaultEnvironment: 'development',
  defaultProject: 'default',
} as const;

/**
 * The server's base URL without a trailing slash or /api, so that "http://u:4242/", "http://u:4242/api" and
 * "http://u:4242" all reach the same endpoints. Returns undefined for text that is not an http(s) URL.
 */
export function unleashBaseUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return undefined;
  const path = url.pathname.replace(/\/+$/, '').replace(/\/api$/, '');
  return `${url.origin}${path}`;
}

/**
 * Why Unleash cannot be used for writes (`admin`) or for reading the freeze flag (`client`), or undefined when
 * the settings for that use are there.
 */
export function missingSettings(settings: UnleashSettings, needs: 'admin' | 'client'): string | undefined {
  const what =
    needs === 'admin' ? 'setFlag steps need the Unleash Admin API' : 'gates.freezeFlag needs an Unleash client';
  if (settings.url !== undefined && unleashBaseUrl(settings.url) === undefined) {
    return `${what}, but ${unleashEnv.url} is not an http(s) URL without credentials or query: set it to the server's base URL, like http://unleash.unleash:4242`;
  }
  const tokenKey = needs === 'admin' ? 'adminToken' : 'clientToken';
  const missing = [
    settings.url === undefined ? unleashEnv.url : undefined,
    settings[tokenKey] === undefined || settings[tokenKey] === '' ? unleashEnv[tokenKey] : undefined,
  ].filter((name) => name !== undefined);
  if (missing.length === 0) return undefined;
  return `${what}, but the controller has no ${missing.join(' and no ')}: set ${missing.join(' and ')} on the controller (tokens from a Secret)`;
}
