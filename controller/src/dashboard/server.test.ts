import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Rollout } from '../api/types.ts';
import { actionMessage, actionPatch, type RolloutWriter } from './actions.ts';
import type { Asset } from './assets.ts';
import type { AuthDecision, Authorizer } from './auth.ts';
import { FakeCache, progressing, rollout } from './fixtures.test-support.ts';
import { WeightHistory } from './weightHistory.ts';
import type { RolloutDetail, RolloutList } from './model.ts';
import { RecentEvents } from './recentEvents.ts';
import { allowedDashboardHosts } from './hostCheck.ts';
import { dashboardServer, normalizeBasePath, type DashboardServerDeps } from './server.ts';
import { RolloutStream } from './stream.ts';
import { rolloutViews } from './view.ts';

const alice = { username: 'alice', uid: 'u1', groups: ['system:authenticated'], extra: undefined };

class FakeAuthorizer implements Authorizer {
  readonly asked: { token: string; namespace: string; name: string }[] = [];
  decision: AuthDecision | Error = { kind: 'allowed', user: alice };
  authorize(token: string, target: { namespace: string; name: string }): Promise<AuthDecision> {
    this.asked.push({ token, ...target });
    return this.decision instanceof Error ? Promise.reject(this.decision) : Promise.resolve(this.decision);
  }
}

class FakeWriter implements RolloutWriter {
  readonly writes: { key: string; action: string }[] = [];
  readonly events: { key: string; message: string }[] = [];
  failWith: Error | undefined;
  request(r: Rollout, action: string): Promise<void> {
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    this.writes.push({ key: `${r.metadata.namespace}/${r.metadata.name}`, action });
    return Promise.resolve();
  }
  recordAction(r: Rollout, message: string): Promise<void> {
    this.events.push({ key: `${r.metadata.namespace}/${r.metadata.name}`, message });
    return Promise.resolve();
  }
}

const assets = new Map<string, Asset>([
  [
    'index.html',
    {
      body: Buffer.from('<!doctype html><title>Sluice</title>'),
      contentType: 'text/html; charset=utf-8',
      immutable: false,
    },
  ],
  [
    'assets/app-1234.js',
    { body: Buffer.from('console.log(1)'), contentType: 'text/javascript; charset=utf-8', immutable: true },
  ],
]);

const apps: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function setup(overrides: Partial<DashboardServerDeps> = {}) {
  const rollouts = new FakeCache([
    rollout('shop', 'checkout', progressing(20, 0)),
    rollout('shop', 'cart', {
      phase: 'Healthy',
      currentStepIndex: 5,
      stableRevision: 'a',
      canaryRevision: 'a',
      weights: { canary: 0, stable: 100 },
    }),
    rollout('bank', 'ledger', {
      ...progressing(0, 1),
      phase: 'Degraded',
      message: 'aborted: error rate too high',
      abort: true,
    }),
  ]);
  const history = new WeightHistory();
  const events = new RecentEvents();
  const views = rolloutViews({
    rollouts,
    analysisTemplates: new FakeCache(),
    clusterAnalysisTemplates: new FakeCache(),
    history,
    events,
  });
  const state = { ready: true };
  const authorizer = new FakeAuthorizer();
  const writer = new FakeWriter();
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const stream = new RolloutStream(views, { flushMs: 10 });
  const app = dashboardServer({
    views,
    ready: () => state.ready,
    stream,
    authorizer,
    writer,
    assets,
    log,
    basePath: '/',
    actions: true,
    namespace: '',
    version: '0.1.0',
    allowedHosts: allowedDashboardHosts('sluice-7d9f', ['sluice.internal'], {
      eth0: [{ address: '10.244.1.7' } as never],
    }),
    ...overrides,
  });
  apps.push({
    close: async () => {
      stream.close();
      await app.close();
    },
  });
  return { app, rollouts, history, state, authorizer, writer, lines, stream };
}

const post = (path: string, headers: Record<string, string> = {}) => ({ method: 'POST' as const, url: path, headers });
const promote = '/api/rollouts/shop/checkout/actions/promote';
const token = 'eyJhbGciOiJSUzI1NiJ9.secret-part.signature';

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

describe('actions', () => {
  it('are refused while the dashboard is read-only (the default), before any token is looked at', async () => {
    const { app, authorizer, writer } = setup({ actions: false });
    const res = await app.inject(post(promote, { authorization: `Bearer ${token}` }));
    expect(res.statusCode).toBe(403);
    expect(res.json<{ code: string }>().code).toBe('SLUICE_DASHBOARD_READ_ONLY');
    expect(authorizer.asked).toEqual([]);
    expect(writer.writes).toEqual([]);
  });

  it('need a bearer token: 401 without one', async () => {
    const { app, writer } = setup();
    const res = await app.inject(post(promote));
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="sluice"');
    expect(res.json<{ code: string }>().code).toBe('SLUICE_DASHBOARD_NO_TOKEN');
    expect((await app.inject(post(promote, { authorization: 'Basic YWxpY2U6cGFzcw==' }))).statusCode).toBe(401);
    expect(writer.writes).toEqual([]);
  });

  it('401 when the API server does not accept the token, 403 when its user may not patch the rollout', async () => {
    const { app, authorizer, writer } = setup();
    authorizer.decision = { kind: 'unauthenticated', reason: 'the API server did not accept the token' };
    const bad = await app.inject(post(promote, { authorization: `Bearer ${token}` }));
    expect(bad.statusCode).toBe(401);
    expect(bad.json<{ code: string }>().code).toBe('SLUICE_DASHBOARD_BAD_TOKEN');
    authorizer.decision = {
      kind: 'forbidden',
      user: alice,
      reason: 'alice may not patch rollouts.sluice.dev checkout in namespace shop',
    };
    const denied = await app.inject(post(promote, { authorization: `Bearer ${token}` }));
    expect(denied.statusCode).toBe(403);
    expect(denied.json<{ message: string }>().message).toMatch(
      /^alice may not patch rollouts.sluice.dev checkout in namespace shop: grant patch/,
    );
    expect(authorizer.asked.at(-1)).toEqual({ token, namespace: 'shop', name: 'checkout' });
    expect(writer.writes).toEqual([]);
  });

  it('writes the action and an Event naming the user when the API server allows it; the token is never logged', async () => {
    const { app, writer, lines } = setup();
    const res = await app.inject(
      post(promote, {
        authorization: `Bearer ${token}`,
        'sec-fetch-site': 'same-origin',
        origin: 'http://localhost:80',
        host: 'localhost:80',
      }),
    );
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({
      action: 'promote',
      rollout: 'shop/checkout',
      user: 'alice',
      message: 'promote requested by alice via the dashboard',
      eventRecorded: true,
    });
    expect(writer.writes).toEqual([{ key: 'shop/checkout', action: 'promote' }]);
    expect(writer.events).toEqual([{ key: 'shop/checkout', message: 'promote requested by alice via the dashboard' }]);
    expect(lines.some((l) => l.msg === 'dashboard action' && l.user === 'alice' && l.action === 'promote')).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('secret-part');
  });

  it('refuses cross-site requests even with a valid token', async () => {
    const { app, writer, authorizer } = setup();
    for (const headers of [
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'https://evil.example', host: 'sluice.internal:3100' },
    ] as Record<string, string>[]) {
      const res = await app.inject(post(promote, { authorization: `Bearer ${token}`, ...headers }));
      expect(res.statusCode).toBe(403);
      expect(res.json<{ code: string }>().code).toBe('SLUICE_DASHBOARD_CROSS_SITE');
    }
    expect(authorizer.asked).toEqual([]);
    expect(writer.writes).toEqual([]);
  });

  it('answers a CORS preflight without allowing anything', async () => {
    const { app } = setup();
    const res = await app.inject({
      method: 'OPTIONS',
      url: promote,
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-headers']).toBeUndefined();
  });

  it('knows the six actions and says which exist', async () => {
    const { app } = setup();
    const res = await app.inject(
      post('/api/rollouts/shop/checkout/actions/delete', { authorization: `Bearer ${token}` }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toBe(
      'unknown action "delete": use one of promote, promote-full, abort, retry, pause, resume',
    );
  });

  it('says what went wrong when the API server cannot be asked or written to', async () => {
    const { app, authorizer, writer, lines } = setup();
    authorizer.decision = new Error('connect ECONNREFUSED');
    expect((await app.inject(post(promote, { authorization: `Bearer ${token}` }))).json<{ code: string }>().code).toBe(
      'SLUICE_DASHBOARD_AUTH_UNAVAILABLE',
    );
    authorizer.decision = { kind: 'allowed', user: alice };
    writer.failWith = Object.assign(new Error('conflict'), { code: 500 });
    const res = await app.inject(post(promote, { authorization: `Bearer ${token}` }));
    expect(res.statusCode).toBe(502);
    expect(res.json<{ message: string }>().message).toBe(
      'could not write to rollout shop/checkout: the API server answered 500',
    );
    expect(
      (await app.inject(post('/api/rollouts/shop/gone/actions/abort', { authorization: `Bearer ${token}` })))
        .statusCode,
    ).toBe(404);
    expect(JSON.stringify(lines)).not.toContain('secret-part');
  });

  it('map to the same writes as kubectl sluice', () => {
    expect(actionPatch('promote-full')).toEqual({ metadata: { annotations: { 'sluice.dev/action': 'promote-full' } } });
    expect(actionPatch('pause')).toEqual({ spec: { paused: true } });
    expect(actionPatch('resume')).toEqual({ spec: { paused: false } });
    expect(actionMessage('abort', 'system:serviceaccount:shop:oncall')).toBe(
      'abort requested by system:serviceaccount:shop:oncall via the dashboard',
    );
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

describe('limits', () => {
  it('stream caps: 429 past the per-address cap, 503 past the total, and a closed stream frees its place', async () => {
    const { app } = setup({ limits: { streamsPerClient: 2, streamsTotal: 3 } });
    const open = (remoteAddress: string) => {
      // Not awaited: an accepted stream stays open until the server closes it.
      const pending = app.inject({ url: '/api/stream', remoteAddress });
      return pending;
    };
    const first = open('10.0.0.1');
    void open('10.0.0.1');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const perClient = await app.inject({ url: '/api/stream', remoteAddress: '10.0.0.1' });
    expect(perClient.statusCode).toBe(429);
    expect(perClient.json<{ code: string }>().code).toBe('SLUICE_DASHBOARD_TOO_MANY_STREAMS');
    void open('10.0.0.2');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const total = await app.inject({ url: '/api/stream', remoteAddress: '10.0.0.3' });
    expect(total.statusCode).toBe(503);
    expect(total.json<{ code: string; message: string }>()).toMatchObject({
      code: 'SLUICE_DASHBOARD_STREAMS_FULL',
      message: /already serves 3 streams/,
    });
    void first; // closed by the server on close (preClose ends every stream)
  });

  it("frees a stream's place when the page goes away", async () => {
    const { app } = setup({ limits: { streamsPerClient: 1, streamsTotal: 1 } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/api/stream`;
    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect((await fetch(url)).status).toBe(429);
    await first.body!.cancel();
    let again = 429;
    for (let i = 0; i < 50 && again !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      const res = await fetch(url);
      again = res.status;
      await res.body?.cancel();
    }
    expect(again).toBe(200);
  });

  it('actions: a burst per address, then 429 with Retry-After and no TokenReview; other addresses are not affected', async () => {
    const { app, authorizer } = setup({ limits: { actions: { perSecond: 0.5, burst: 3 } } });
    authorizer.decision = { kind: 'unauthenticated', reason: 'the API server did not accept the token' };
    const attempt = (remoteAddress: string) =>
      app.inject({ ...post(promote, { authorization: `Bearer made-up-${Math.random()}` }), remoteAddress });
    const codes = [];
    for (let i = 0; i < 20; i++) codes.push((await attempt('10.0.0.9')).statusCode);
    expect(codes.filter((c) => c === 401)).toHaveLength(3);
    expect(codes.filter((c) => c === 429)).toHaveLength(17);
    expect(authorizer.asked).toHaveLength(3);
    const limited = await attempt('10.0.0.9');
    expect(limited.headers['retry-after']).toBe('2');
    expect(limited.json<{ code: string }>().code).toBe('SLUICE_DASHBOARD_TOO_MANY_REQUESTS');
    expect((await attempt('10.0.0.10')).statusCode).toBe(401);
  });

  it('actions: 503 instead of queueing when too many tokens are being checked at once', async () => {
    const { app, authorizer } = setup({ limits: { authInFlight: 2, actions: { perSecond: 100, burst: 100 } } });
    let answer: (d: AuthDecision) => void = () => undefined;
    const waiting = new Promise<AuthDecision>((resolve) => {
      answer = resolve;
    });
    authorizer.authorize = (t, target) => {
      authorizer.asked.push({ token: t, ...target });
      return waiting;
    };
    const slow = [
      app.inject(post(promote, { authorization: `Bearer ${token}` })),
      app.inject(post(promote, { authorization: `Bearer ${token}` })),
    ];
    await new Promise((resolve) => setTimeout(resolve, 20));
    const busy = await app.inject(post(promote, { authorization: `Bearer ${token}` }));
    expect(busy.statusCode).toBe(503);
    expect(busy.json<{ code: string }>().code).toBe('SLUICE_DASHBOARD_AUTH_BUSY');
    expect(busy.headers['retry-after']).toBe('2');
    answer({ kind: 'allowed', user: alice });
    expect((await Promise.all(slow)).map((r) => r.statusCode)).toEqual([202, 202]);
    expect((await app.inject(post(promote, { authorization: `Bearer ${token}` }))).statusCode).toBe(202);
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
