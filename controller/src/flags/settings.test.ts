import { describe, expect, it } from 'vitest';
import { missingSettings, unleashBaseUrl, unleashDefaults, type UnleashSettings } from './settings.ts';

const complete: UnleashSettings = {
  url: 'http://unleash:4242',
  adminToken: '*:*.admin',
  clientToken: 'default:development.client',
  ...unleashDefaults,
};

describe('unleashBaseUrl', () => {
  it('reaches the same endpoints with or without a trailing slash or /api', () => {
    for (const text of [
      'http://unleash:4242',
      'http://unleash:4242/',
      'http://unleash:4242/api',
      'http://unleash:4242/api/',
    ]) {
      expect(unleashBaseUrl(text)).toBe('http://unleash:4242');
    }
    expect(unleashBaseUrl('https://flags.example.com/unleash/api')).toBe('https://flags.example.com/unleash');
  });

  it('refuses what is not a plain http(s) base URL', () => {
    for (const text of [
      'unleash:4242',
      'ftp://unleash',
      'http://user:pw@unleash:4242',
      'http://unleash:4242/?token=x',
      '',
    ]) {
      expect(unleashBaseUrl(text)).toBeUndefined();
    }
  });
});

describe('missingSettings', () => {
  it('finds nothing missing when the URL and the token for the use are set', () => {
    expect(missingSettings(complete, 'admin')).toBeUndefined();
    expect(missingSettings({ ...complete, adminToken: undefined }, 'client')).toBeUndefined();
  });

  it('names every variable a setFlag step still needs', () => {
    expect(missingSettings({ ...complete, url: undefined, adminToken: undefined }, 'admin')).toBe(
      'setFlag steps need the Unleash Admin API, but the controller has no SLUICE_UNLEASH_URL and no SLUICE_UNLEASH_ADMIN_TOKEN: ' +
        'set SLUICE_UNLEASH_URL and SLUICE_UNLEASH_ADMIN_TOKEN on the controller (tokens from a Secret)',
    );
  });

  it('names the client token for the freeze gate, and treats an empty token as none', () => {
    expect(missingSettings({ ...complete, clientToken: '' }, 'client')).toContain(
      'gates.freezeFlag needs an Unleash client, but the controller has no SLUICE_UNLEASH_CLIENT_TOKEN',
    );
  });

  it('says what a usable URL looks like', () => {
    expect(missingSettings({ ...complete, url: 'unleash:4242' }, 'admin')).toContain(
      'SLUICE_UNLEASH_URL is not an http(s) URL',
    );
  });
});
