import { EventEmitter } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UnleashConfig } from 'unleash-client';
import { afterEach, describe, expect, it } from 'vitest';
import { FreezeGate, type FreezeClient } from './freezeGate.ts';

/** Stands in for unleash-client: the test emits its events and sets which flags exist and are on. */
class FakeClient extends EventEmitter implements FreezeClient {
  flags = new Map<string, boolean | ((properties: Record<string, string>) => boolean)>();
  destroyed = false;
  config: UnleashConfig | undefined;

  isEnabled(name: string, context: { properties: Record<string, string> }): boolean {
    const f = this.flags.get(name);
    return typeof f === 'function' ? f(context.properties) : f === true;
  }

  getFeatureToggleDefinition(name: string): unknown {
    return this.flags.has(name) ? { name } : undefined;
  }

  destroy(): void {
    this.destroyed = true;
  }
}

const url = 'http://unleash:4242';
const context = { namespace: 'shop', rollout: 'checkout' };

function setup(options: { refreshIntervalMs?: number; staleAfterMs?: number } = {}) {
  const client = new FakeClient();
  let now = 0;
  let changes = 0;
  const gate = new FreezeGate({
    url,
    clientToken: 'default:production.token',
    ...options,
    now: () => now,
    onChange: () => changes++,
    createClient: (config) => {
      client.config = config;
      return client;
    },
  });
  return { client, gate, advance: (ms: number) => (now += ms), changes: () => changes };
}

describe('FreezeGate', () => {
  it("starts the client with Sluice's name, the client token and no metrics (unleashClient.ts adds the in-memory store)", () => {
    const { client } = setup({ refreshIntervalMs: 5_000 });
    expect(client.config).toMatchObject({
      url: `${url}/api`,
      appName: 'sluice',
      customHeaders: { Authorization: 'default:production.token' },
      refreshInterval: 5_000,
      disableMetrics: true,
    });
  });

  it('holds every Rollout until the client has synchronized', () => {
    const { client, gate } = setup();
    client.flags.set('deploy-freeze', false);
    expect(gate.isFrozen('deploy-freeze', context)).toEqual({
      frozen: true,
      message: `freeze flag deploy-freeze cannot be read: Unleash at ${url} has not answered yet; holding`,
    });
    client.emit('changed');
    expect(gate.isFrozen('deploy-freeze', context)).toEqual({
      frozen: false,
      message: 'freeze flag deploy-freeze is off',
    });
  });

  it('is frozen while the flag is on for this Rollout, asking with its namespace and name', () => {
    const { client, gate } = setup();
    client.flags.set('deploy-freeze', (p) => p.namespace === 'shop' && p.rollout === 'checkout');
    client.emit('changed');
    expect(gate.isFrozen('deploy-freeze', context)).toEqual({
      frozen: true,
      message: 'freeze flag deploy-freeze is enabled in Unleash: no step advances until it is turned off',
    });
    expect(gate.isFrozen('deploy-freeze', { namespace: 'payments', rollout: 'checkout' }).frozen).toBe(false);
  });

  it('lets a flag Unleash does not know pass, and says that it does not exist', () => {
    const { client, gate } = setup();
    client.emit('changed');
    expect(gate.isFrozen('deploy-frezee', context)).toEqual({
      frozen: false,
      message:
        "freeze flag deploy-frezee does not exist in Unleash (in the client token's projects and environment): not frozen",
    });
  });

  it('holds after an error until Unleash answers again, and tells the controller both times', () => {
    const { client, gate, changes } = setup();
    client.flags.set('deploy-freeze', false);
    client.emit('changed');
    expect(changes()).toBe(1);
    client.emit(
      'error',
      new Error(
        'Unleash Repository error: request to http://unleash:4242/api/client/features failed, reason: connect ECONNREFUSED 10.0.0.1:4242',
      ),
    );
    expect(gate.isFrozen('deploy-freeze', context)).toEqual({
      frozen: true,
      message: `freeze flag deploy-freeze cannot be read: Unleash at ${url} unreachable (connect ECONNREFUSED 10.0.0.1:4242); holding`,
    });
    client.emit('error', new Error('again'));
    expect(changes()).toBe(2);
    client.emit('unchanged');
    expect(gate.isFrozen('deploy-freeze', context).frozen).toBe(false);
    expect(changes()).toBe(3);
    client.emit('unchanged');
    expect(changes()).toBe(3);
  });

  it('holds on the warnings that mean a poll failed, and ignores the others', () => {
    const { client, gate } = setup();
    client.flags.set('deploy-freeze', false);
    client.emit('changed');
    client.emit('warn', 'Socket keep alive error, retrying in 1000ms');
    expect(gate.isFrozen('deploy-freeze', context).frozen).toBe(false);
    client.emit('warn', 'http://unleash:4242/api/client/features responded 503. Backing off');
    expect(gate.isFrozen('deploy-freeze', context)).toMatchObject({
      frozen: true,
      message: expect.stringContaining('responded 503') as string,
    });
  });

  it('says the client token was refused, and that the client gave up', () => {
    const { client, gate } = setup();
    client.emit(
      'error',
      new Error(
        'Unleash Repository error: http://unleash:4242/api/client/features responded 401 which means your API key is not allowed to connect. Stopping refresh of toggles',
      ),
    );
    expect(gate.isFrozen('deploy-freeze', context).message).toBe(
      `freeze flag deploy-freeze cannot be read: Unleash at ${url} refused the client token (401), and the client has stopped polling: ` +
        'check the Secret behind SLUICE_UNLEASH_CLIENT_TOKEN, then restart the controller; holding',
    );
  });

  it('stops trusting what it read when Unleash has been silent too long', () => {
    const { client, gate, advance } = setup({ refreshIntervalMs: 1_000, staleAfterMs: 30_000 });
    client.flags.set('deploy-freeze', false);
    client.emit('changed');
    advance(30_000);
    expect(gate.isFrozen('deploy-freeze', context).frozen).toBe(false);
    advance(1);
    expect(gate.isFrozen('deploy-freeze', context)).toEqual({
      frozen: true,
      message: `freeze flag deploy-freeze cannot be read: Unleash at ${url} unreachable (no answer for 30 s); holding`,
    });
    client.emit('unchanged');
    expect(gate.isFrozen('deploy-freeze', context).frozen).toBe(false);
  });

  it("by default waits out the client's longest backoff (11 intervals) plus a poll deadline before calling it stale", () => {
    const { client, gate, advance } = setup({ refreshIntervalMs: 1_000 });
    client.emit('changed');
    advance(12 * 1_000 + 10_000);
    expect(gate.isFrozen('x', context).frozen).toBe(false);
    advance(1);
    expect(gate.isFrozen('x', context).frozen).toBe(true);
  });

  it('destroys the client once and holds afterwards', () => {
    const { client, gate } = setup();
    client.emit('changed');
    gate.destroy();
    gate.destroy();
    expect(client.destroyed).toBe(true);
    expect(gate.isFrozen('deploy-freeze', context)).toEqual({
      frozen: true,
      message: 'freeze flag deploy-freeze cannot be read: the Unleash client was stopped; holding',
    });
  });
});

describe('FreezeGate with unleash-client', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  it('survives a poll that fails after the gate was destroyed (unleash-client drops its listeners on destroy)', async () => {
    let held: (res: ServerResponse) => void = () => undefined;
    const polled = new Promise<ServerResponse>((resolve) => (held = resolve));
    server = createServer((_req, res) => held(res));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let late: (what: string) => void = () => undefined;
    const reported = new Promise<string>((resolve) => (late = resolve));

    const gate = new FreezeGate({
      url: base,
      clientToken: 'default:development.token',
      refreshIntervalMs: 60_000,
      onLateReport: late,
    });
    const res = await polled;
    gate.destroy();
    // A 401 makes the client emit 'error' (not a warning): without a listener that would end the test process.
    res.writeHead(401).end();
    expect(await reported).toBe(
      `${base}/api/client/features responded 401 which means your API key is not allowed to connect. Stopping refresh of toggles`,
    );
  });
});
