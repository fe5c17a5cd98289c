import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { FreezeClient } from './freezeGate.ts';
import { unleashDefaults, type UnleashSettings } from './settings.ts';
import { UnleashAdmin } from './unleashAdmin.ts';
import { parseTenancy, type TenancyPolicy } from './tenancy.ts';
import { UnleashConnection } from './unleashConnection.ts';

const settings: UnleashSettings = {
  url: 'http://unleash:4242/api',
  adminToken: '*:*.admin',
  clientToken: 'default:development.client',
  ...unleashDefaults,
};

/** Counts the clients made; each answers as synchronized with every flag off. */
function clientFactory() {
  const made: (FreezeClient & EventEmitter & { destroyed: boolean; url: string })[] = [];
  return {
    made,
    createClient: (config: { url: string }) => {
      const client = Object.assign(new EventEmitter(), {
        destroyed: false,
        url: config.url,
        isEnabled: () => false,
        getFeatureToggleDefinition: (name: string) => ({ name }),
        destroy() {
          client.destroyed = true;
        },
      });
      made.push(client);
      return client;
    },
  };
}

describe('UnleashConnection', () => {
  it('starts nothing until a Rollout asks, and one freeze client serves every Rollout', () => {
    const clients = clientFactory();
    const connection = new UnleashConnection(settings, { freezeGate: { createClient: clients.createClient } });
    expect(connection.polling).toBe(false);
    expect(connection.admin()).toMatchObject({ ok: true, value: expect.any(UnleashAdmin) as UnleashAdmin });
    expect(clients.made).toHaveLength(0);

    expect(connection.isFrozen('deploy-freeze', { namespace: 'shop', rollout: 'a' }).frozen).toBe(true);
    clients.made[0]!.emit('changed');
    expect(connection.isFrozen('deploy-freeze', { namespace: 'shop', rollout: 'b' })).toEqual({
      frozen: false,
      message: 'freeze flag deploy-freeze is off',
    });
    expect(clients.made).toHaveLength(1);
    expect(clients.made[0]!.url).toBe('http://unleash:4242/api');
    expect(connection.polling).toBe(true);

    connection.close();
    expect(clients.made[0]!.destroyed).toBe(true);
    expect(connection.polling).toBe(false);
    expect(connection.isFrozen('deploy-freeze', { namespace: 'shop', rollout: 'b' }).message).toBe(
      'freeze flag deploy-freeze cannot be read: the controller is stopping; holding',
    );
  });

  it('names the settings a setFlag step or a freeze flag still needs', () => {
    const connection = new UnleashConnection({ ...settings, url: undefined, clientToken: undefined });
    expect(connection.admin()).toEqual({
      ok: false,
      message:
        'setFlag steps need the Unleash Admin API, but the controller has no SLUICE_UNLEASH_URL: set SLUICE_UNLEASH_URL on the controller (tokens from a Secret)',
    });
    expect(connection.isFrozen('deploy-freeze', { namespace: 'shop', rollout: 'a' })).toEqual({
      frozen: true,
      message:
        'freeze flag deploy-freeze cannot be read: gates.freezeFlag needs an Unleash client, but the controller has no SLUICE_UNLEASH_URL and no SLUICE_UNLEASH_CLIENT_TOKEN: ' +
        'set SLUICE_UNLEASH_URL and SLUICE_UNLEASH_CLIENT_TOKEN on the controller (tokens from a Secret); holding',
    });
    expect(connection.polling).toBe(false);
    connection.close();
  });

  it('hands out the default environment and project for steps that name none', () => {
    const connection = new UnleashConnection({ ...settings, defaultEnvironment: 'production' });
    expect([connection.defaultEnvironment, connection.defaultProject]).toEqual(['production', 'default']);
  });

  it("checks a namespace's flags against the tenancy setting, or the default project and environment without one", () => {
    const plain = new UnleashConnection(settings);
    expect(plain.flagAllowed('shop', { project: 'default', environment: 'development' })).toBeUndefined();
    expect(
      plain.flagAllowed(
        'shop',
        { project: 'payments', environment: 'development' },
        'spec.strategy.canary.steps[1].setFlag',
      ),
    ).toMatch(/^spec\.strategy\.canary\.steps\[1\]\.setFlag\.project: .*with no --unleash-tenancy/);
    const tenancy = parseTenancy(
      '{namespaces: {shop: {projects: [payments], environments: [production]}}}',
    ) as TenancyPolicy;
    const policed = new UnleashConnection({ ...settings, tenancy });
    expect(policed.flagAllowed('shop', { project: 'payments', environment: 'production' })).toBeUndefined();
    expect(policed.flagAllowed('blog', { project: 'default', environment: 'development' })).toMatch(
      /namespace blog may not change Unleash flags/,
    );
  });
});
