import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthDecision } from './auth.ts';
import { alice, closeApps, post, promote, setup, token } from './server.test-support.ts';

afterEach(closeApps);

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
