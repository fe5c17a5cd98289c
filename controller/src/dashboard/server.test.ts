import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { progressing, rollout } from './fixtures.test-support.ts';
import type { RolloutDetail, RolloutList } from './model.ts';
import { normalizeBasePath } from './server.ts';
import { closeApps, post, promote, setup, token } from './server.test-support.ts';

afterEach(closeApps);

describe('the JSON API', () => {
  it('lists rollouts sorted, filtered by namespace, phase and text, and paged', async () => {
    const { app } = setup();
    const list = async (query: string) => (await app.inject(`/api/rollouts${query}`)).json<RolloutList>();
    expect((await list('')).items.map((s) => s.key)).toEqual(['bank/ledger', 'shop/cart', 'shop/checkout']);
    expect((await list('?namespace=shop')).items.map((s) => s.key)).toEqual(['shop/cart', 'shop/checkout']);
    expect((await list('?phase=Degraded,Healthy')).items.map((s) => s.key)).toEqual(['bank/ledger', 'shop/cart']);
    expect((await list('?q=ERROR%20RATE')).items.map((s) => s.key)).toEqual(['bank/ledger']);
    expect(await list('?limit=1&offset=1')).toMatchObject({
      items: [{ key: 'shop/cart' }],
      total: 3,
      offset: 1,
      limit: 1,
    });
  });

  it('refuses a bad query with a code and a sentence', async () => {
    const { app } = setup();
    const res = await app.inject('/api/rollouts?phase=Running');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      code: 'SLUICE_DASHBOARD_BAD_QUERY',
      message: 'unknown phase Running: use Progressing, Paused, Healthy, Degraded',
    });
    const tooMany = await app.inject('/api/rollouts?limit=5000');
    expect([tooMany.statusCode, tooMany.json()]).toEqual([
      400,
      { code: 'SLUICE_DASHBOARD_BAD_QUERY', message: 'limit must be a whole number from 0 to 1000' },
    ]);
  });

  it('says the controller is starting instead of showing an empty list before the caches synced', async () => {
    const { app, state } = setup();
    state.ready = false;
    const res = await app.inject('/api/rollouts');
    expect(res.statusCode).toBe(503);
    expect(res.json<{ code: string }>().code).toBe('SLUICE_DASHBOARD_NOT_SYNCED');
    expect((await app.inject('/api/rollouts/shop/checkout')).statusCode).toBe(503);
  });

  it('shows one rollout in detail, with its weight history', async () => {
    const { app, history } = setup();
    history.record('shop/checkout', 0);
    history.record('shop/checkout', 20);
    const res = await app.inject('/api/rollouts/shop/checkout');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const d = res.json<RolloutDetail>();
    expect(d).toMatchObject({
      key: 'shop/checkout',
      phase: 'Progressing',
      canaryWeight: 20,
      stableWeight: 80,
      stableRevision: 'aaa',
      canaryRevision: 'bbb',
    });
    expect(d.weightHistory.canary).toEqual([0, 20]);
    expect(d.steps[0]).toEqual({ index: 0, kind: 'setWeight', text: 'setWeight 20%', state: 'current' });
    const missing = await app.inject('/api/rollouts/shop/nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.json<{ message: string }>().message).toMatch(/shop\/nope was not found/);
  });

  it('tells the page whether actions are on', async () => {
    const { app } = setup({ actions: false, namespace: 'shop' });
    expect((await app.inject('/api/config')).json()).toEqual({ version: '0.1.0', actions: false, namespace: 'shop' });
  });
});

describe('the page', () => {
  it('is served under the base path with a strict Content-Security-Policy, and the bare base path redirects', async () => {
    const { app } = setup({ basePath: '/sluice' });
    const index = await app.inject('/sluice/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(index.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(index.headers['cache-control']).toBe('no-cache');
    const js = await app.inject('/sluice/assets/app-1234.js');
    expect(js.headers['cache-control']).toMatch(/immutable/);
    expect(js.body).toBe('console.log(1)');
    expect((await app.inject('/sluice')).headers.location).toBe('/sluice/');
    expect((await app.inject('/sluice/api/rollouts')).statusCode).toBe(200);
    expect((await app.inject('/api/rollouts')).statusCode).toBe(404);
    expect((await app.inject('/sluice/assets/../index.html')).statusCode).not.toBe(500);
  });

  it('says how to build it when it is not built, while the API works', async () => {
    const { app } = setup({ assets: undefined });
    const res = await app.inject('/');
    expect(res.statusCode).toBe(503);
    expect(res.json<{ message: string }>().message).toMatch(/npm run build:dashboard/);
  });

  it('normalizes base paths', () => {
    expect(['/', '', '/sluice', '/sluice/', '/a/b//'].map(normalizeBasePath)).toEqual([
      '/',
      '/',
      '/sluice/',
      '/sluice/',
      '/a/b/',
    ]);
  });
});

describe('the stream', () => {
  it('pushes a snapshot, then the changes and the detail as the cache changes, over server-sent events', async () => {
    const { app, rollouts, stream } = setup();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/api/stream?namespace=shop&rollout=shop/checkout`);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
        text += value;
      }
    };
    await readUntil(/event: detail\n/);
    expect(text).toMatch(/^retry: 2000\n\nevent: snapshot\ndata: \{"items":\[\{"key":"shop\/cart"/);
    rollouts.put(rollout('shop', 'checkout', progressing(60, 3)));
    stream.rolloutChanged('shop/checkout');
    await readUntil(/event: changes\ndata: .*"canaryWeight":60/);
    await readUntil(/event: detail\ndata: \{"key":"shop\/checkout","rollout":\{.*"canaryWeight":60/);
    await reader.cancel();
  });

  it('refuses a malformed rollout parameter', async () => {
    const { app } = setup();
    expect((await app.inject('/api/stream?rollout=nope')).statusCode).toBe(400);
  });
});

describe('the Host header (DNS rebinding)', () => {
  it("accepts loopback with any port, the pod's name and address, and configured names", async () => {
    const { app } = setup();
    for (const host of [
      'localhost',
      'localhost:8080',
      '127.0.0.1:3100',
      '[::1]:3100',
      'sluice-7d9f:3100',
      '10.244.1.7:3100',
      'Sluice.Internal',
    ]) {
      expect((await app.inject({ url: '/api/config', headers: { host } })).statusCode, host).toBe(200);
    }
  });

  it('refuses any other name with 421 and a code, for reads and actions alike', async () => {
    const { app, authorizer } = setup();
    for (const host of ['attacker.example:3100', 'localhost.attacker.example', '127.0.0.1.nip.io', 'evil@localhost']) {
      const res = await app.inject({ url: '/api/rollouts', headers: { host } });
      expect(res.statusCode, host).toBe(421);
      expect(res.json<{ code: string }>().code).toBe('SLUICE_DASHBOARD_BAD_HOST');
    }
    const action = await app.inject(
      post(promote, {
        authorization: `Bearer ${token}`,
        host: 'rebound.attacker.example:3100',
        'sec-fetch-site': 'same-origin',
      }),
    );
    expect(action.statusCode).toBe(421);
    expect(action.json<{ message: string }>().message).toMatch(/--dashboard-allowed-hosts/);
    expect(authorizer.asked).toEqual([]);
  });
});
