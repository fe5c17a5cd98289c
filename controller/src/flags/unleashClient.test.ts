import { EventEmitter } from 'node:events';
import { InMemStorageProvider } from 'unleash-client';
import { describe, expect, it } from 'vitest';
import { createUnleashClient } from './unleashClient.ts';

type Module = typeof import('unleash-client');

/** A stand-in for unleash-client's module, recording the clients it makes. */
function fakeModule() {
  const made: (EventEmitter & { config: Record<string, unknown>; destroyed: boolean })[] = [];
  class Unleash extends EventEmitter {
    destroyed = false;
    readonly config: Record<string, unknown>;
    constructor(config: Record<string, unknown>) {
      super();
      this.config = config;
      made.push(this);
    }
    isEnabled = (name: string) => name === 'on';
    getFeatureToggleDefinition = (name: string) => (name === 'on' ? { name } : undefined);
    destroy() {
      this.destroyed = true;
    }
  }
  return { made, module: { Unleash, InMemStorageProvider } as unknown as Module };
}

const config = { url: 'http://unleash.test/api', appName: 'sluice' };

describe('createUnleashClient', () => {
  it('loads unleash-client on first use and passes on what the client reports, to listeners added before it loaded', async () => {
    const { made, module } = fakeModule();
    let loads = 0;
    const client = createUnleashClient(undefined, () => {
      loads++;
      return Promise.resolve(module);
    })(config);
    const heard: string[] = [];
    client.on('changed', () => heard.push('changed'));
    expect(client.getFeatureToggleDefinition('on')).toBeUndefined();
    expect(client.isEnabled('on', { properties: {} })).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(loads).toBe(1);
    expect(made).toHaveLength(1);
    // Flags only in memory: a restarted controller must hear from Unleash before it trusts one.
    expect(made[0]!.config.storageProvider).toBeInstanceOf(InMemStorageProvider);
    made[0]!.emit('changed');
    expect(heard).toEqual(['changed']);
    expect(client.isEnabled('on', { properties: {} })).toBe(true);
  });

  it('never starts a client that was destroyed before unleash-client loaded', async () => {
    const { made, module } = fakeModule();
    const client = createUnleashClient(undefined, () => Promise.resolve(module))(config);
    client.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(made).toHaveLength(0);
  });

  it('reports a module that cannot be loaded as an error, so the gate holds and says why', async () => {
    const client = createUnleashClient(undefined, () => Promise.reject(new Error('Cannot find package')))(config);
    const errors: unknown[] = [];
    client.on('error', (err) => errors.push(err));
    await new Promise((resolve) => setImmediate(resolve));
    expect(String(errors[0])).toContain('the Unleash client could not be loaded: Cannot find package');
  });
});
