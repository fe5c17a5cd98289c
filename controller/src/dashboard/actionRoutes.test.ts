import { afterEach, describe, expect, it } from 'vitest';
import { actionMessage, actionPatch } from './actions.ts';
import { alice, closeApps, post, promote, setup, token } from './server.test-support.ts';

afterEach(closeApps);

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
